import type { DataSource, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { hydrate, selectedColumnNames } from '../db/hydrate';

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

/**
 * One keyset page of the entity a query builder selects (its filters in `where` clauses; no joins).
 * The rows are read raw, each column under its database name, and built by `hydrate`: the same
 * entities as `getMany()`, without TypeORM's result transformer (most of a list's cost).
 */
export async function keysetPage<T extends ObjectLiteral & { seq: string }>(
  qb: SelectQueryBuilder<T>,
  page: PageRequest,
): Promise<Page<T>> {
  const alias = qb.alias;
  if (qb.expressionMap.joinAttributes.length > 0) throw new Error('keysetPage: a query builder without joins');
  const metadata = qb.expressionMap.mainAlias!.metadata;
  const [first, ...rest] = selectedColumnNames(metadata);
  qb.select(`"${alias}"."${first}"`, first);
  for (const column of rest) qb.addSelect(`"${alias}"."${column}"`, column);
  if (page.afterSeq !== undefined) qb.andWhere(`${alias}.seq > :afterSeq`, { afterSeq: page.afterSeq });
  if (page.beforeSeq !== undefined) qb.andWhere(`${alias}.seq < :beforeSeq`, { beforeSeq: page.beforeSeq });
  qb.orderBy(`${alias}.seq`, page.backward ? 'DESC' : 'ASC').limit(page.limit + 1);
  const rows: Record<string, unknown>[] = await qb.getRawMany();
  return toPage(
    rows.map((row) => hydrate(qb.connection, metadata.target as EntityTarget<T>, row)),
    page,
  );
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

/** A row reached through a link table (a user's role, a role's user): `seq` is the link's, for cursors. */
export interface Membership<T> {
  seq: string;
  item: T;
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
  const table = dataSource.getMetadata(entity).tableName;
  const rows = await rankedRows(
    dataSource,
    { from: `"${table}" t`, select: 't.*', parent: `t."${parentColumn}"`, seq: 't.seq' },
    parentIds,
    page,
  );
  return pagesOf(parentIds, page, rows, (row) => hydrate(dataSource, entity, row));
}

/**
 * One page of linked rows per parent in a single statement, in the order of the link table's
 * `seq`: e.g. through user_roles, the roles of many users (parent user_id, child role_id).
 */
export async function keysetPagesThrough<T extends ObjectLiteral>(
  dataSource: DataSource,
  link: { entity: EntityTarget<ObjectLiteral>; parentColumn: string; childColumn: string },
  child: EntityTarget<T>,
  parentIds: readonly string[],
  page: PageRequest,
): Promise<Map<string, Page<Membership<T>>>> {
  const linkTable = dataSource.getMetadata(link.entity).tableName;
  const childTable = dataSource.getMetadata(child).tableName;
  const rows = await rankedRows(
    dataSource,
    {
      from: `"${linkTable}" l JOIN "${childTable}" x ON x.id = l."${link.childColumn}"`,
      select: 'x.*',
      parent: `l."${link.parentColumn}"`,
      seq: 'l.seq',
    },
    parentIds,
    page,
  );
  return pagesOf(parentIds, page, rows, (row) => ({ seq: String(row.__seq), item: hydrate(dataSource, child, row) }));
}

/** The rows of each parent's page (limit + 1, for hasNextPage), with `__parent` and `__seq`, in keyset order. */
async function rankedRows(
  dataSource: DataSource,
  source: { from: string; select: string; parent: string; seq: string },
  parentIds: readonly string[],
  page: PageRequest,
): Promise<Record<string, unknown>[]> {
  const params: unknown[] = [parentIds];
  const conditions = [`${source.parent} = ANY($1)`];
  if (page.afterSeq !== undefined) {
    params.push(page.afterSeq);
    conditions.push(`${source.seq} > $${params.length}`);
  }
  if (page.beforeSeq !== undefined) {
    params.push(page.beforeSeq);
    conditions.push(`${source.seq} < $${params.length}`);
  }
  params.push(page.limit + 1);
  const direction = page.backward ? 'DESC' : 'ASC';
  return dataSource.query(
    `SELECT * FROM (
       SELECT ${source.select}, ${source.parent} AS "__parent", ${source.seq} AS "__seq",
              row_number() OVER (PARTITION BY ${source.parent} ORDER BY ${source.seq} ${direction}) AS "__rn"
         FROM ${source.from} WHERE ${conditions.join(' AND ')}
     ) ranked WHERE "__rn" <= $${params.length} ORDER BY "__seq" ${direction}`,
    params,
  );
}

function pagesOf<T>(
  parentIds: readonly string[],
  page: PageRequest,
  rows: Record<string, unknown>[],
  item: (row: Record<string, unknown>) => T,
): Map<string, Page<T>> {
  const grouped = new Map<string, T[]>();
  for (const row of rows) {
    const parent = String(row.__parent);
    const list = grouped.get(parent);
    if (list) list.push(item(row));
    else grouped.set(parent, [item(row)]);
  }
  return new Map(parentIds.map((id) => [id, toPage(grouped.get(id) ?? [], page)]));
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
