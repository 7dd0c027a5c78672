import type { DataSource, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';

/**
 * Keyset pagination over the `seq` column every listed table has (insertion order). Never OFFSET:
 * a page costs the same at the millionth row as at the first.
 */
export interface PageRequest {
  limit: number;
  /** true for `last`/`before`: take the rows just before `beforeSeq`, still returned in order. */
  backward: boolean;
  afterSeq?: string;
  beforeSeq?: string;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

export async function keysetPage<T extends ObjectLiteral & { seq: string }>(
  qb: SelectQueryBuilder<T>,
  page: PageRequest,
): Promise<Page<T>> {
  const alias = qb.alias;
  if (page.afterSeq !== undefined) qb.andWhere(`${alias}.seq > :afterSeq`, { afterSeq: page.afterSeq });
  if (page.beforeSeq !== undefined) qb.andWhere(`${alias}.seq < :beforeSeq`, { beforeSeq: page.beforeSeq });
  qb.orderBy(`${alias}.seq`, page.backward ? 'DESC' : 'ASC').take(page.limit + 1);
  const rows = await qb.getMany();
  return toPage(rows, page);
}

/** Trims the probe row (limit + 1) and restores ascending order. */
export function toPage<T>(rows: T[], page: PageRequest): Page<T> {
  const more = rows.length > page.limit;
  const items = more ? rows.slice(0, page.limit) : rows;
  if (page.backward) items.reverse();
  return {
    items,
    // The spec lets the opposite direction answer false when it is not cheap to know.
    hasNextPage: page.backward ? false : more,
    hasPreviousPage: page.backward ? more : false,
  };
}

/**
 * One page per parent in a single statement (for DataLoaders): a window function numbers each
 * parent's rows in keyset order, and the outer query keeps limit + 1 of them.
 */
export async function keysetPagesByParent<T extends ObjectLiteral>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
  parentColumn: string,
  parentIds: readonly string[],
  page: PageRequest,
): Promise<Map<string, Page<T>>> {
  const metadata = dataSource.getMetadata(entity);
  const params: unknown[] = [parentIds];
  const conditions = [`"${parentColumn}" = ANY($1)`];
  if (page.afterSeq !== undefined) {
    params.push(page.afterSeq);
    conditions.push(`seq > $${params.length}`);
  }
  if (page.beforeSeq !== undefined) {
    params.push(page.beforeSeq);
    conditions.push(`seq < $${params.length}`);
  }
  params.push(page.limit + 1);
  const direction = page.backward ? 'DESC' : 'ASC';
  const rows: Record<string, unknown>[] = await dataSource.query(
    `SELECT * FROM (
       SELECT t.*, row_number() OVER (PARTITION BY "${parentColumn}" ORDER BY seq ${direction}) AS "__rn"
       FROM "${metadata.tableName}" t WHERE ${conditions.join(' AND ')}
     ) ranked WHERE "__rn" <= $${params.length} ORDER BY seq ${direction}`,
    params,
  );
  const grouped = new Map<string, T[]>();
  for (const row of rows) {
    const parent = String(row[parentColumn]);
    const entityRow = hydrate(dataSource, entity, row);
    const list = grouped.get(parent);
    if (list) list.push(entityRow);
    else grouped.set(parent, [entityRow]);
  }
  const result = new Map<string, Page<T>>();
  for (const id of parentIds) result.set(id, toPage(grouped.get(id) ?? [], page));
  return result;
}

/** Builds an entity from a raw row by the entity's column metadata. */
export function hydrate<T extends ObjectLiteral>(
  dataSource: DataSource,
  entity: EntityTarget<T>,
  row: Record<string, unknown>,
): T {
  const metadata = dataSource.getMetadata(entity);
  const instance = metadata.create() as T;
  for (const column of metadata.columns) {
    if (column.databaseName in row) {
      column.setEntityValue(instance, dataSource.driver.prepareHydratedValue(row[column.databaseName], column));
    }
  }
  return instance;
}

/** Counts rows per parent in one statement. */
export async function countByParent(
  dataSource: DataSource,
  table: string,
  parentColumn: string,
  parentIds: readonly string[],
): Promise<Map<string, number>> {
  const rows: { parent: string; count: string }[] = await dataSource.query(
    `SELECT "${parentColumn}" AS parent, count(*) AS count FROM "${table}" WHERE "${parentColumn}" = ANY($1) GROUP BY 1`,
    [parentIds],
  );
  const counts = new Map(rows.map((r) => [String(r.parent), Number(r.count)]));
  return new Map(parentIds.map((id) => [id, counts.get(id) ?? 0]));
}
