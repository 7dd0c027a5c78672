import type { DataSource, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';

/** The columns an entity loads (TypeORM's `select: true` ones), computed once per entity. */
const selectedColumns = new WeakMap<EntityMetadata, readonly ColumnMetadata[]>();

function columnsOf(metadata: EntityMetadata): readonly ColumnMetadata[] {
  let columns = selectedColumns.get(metadata);
  if (!columns) {
    columns = metadata.columns.filter((column) => column.isSelect && !column.isVirtual);
    selectedColumns.set(metadata, columns);
  }
  return columns;
}

/** How `hydrate` reads a column: its database name, and whether it is a plain property (set directly). */
interface ColumnPlan {
  name: string;
  column: ColumnMetadata;
  plain: boolean;
}

const plans = new WeakMap<EntityMetadata, readonly ColumnPlan[]>();

function planOf(metadata: EntityMetadata): readonly ColumnPlan[] {
  let plan = plans.get(metadata);
  if (!plan) {
    // What ColumnMetadata.setEntityValue does for a column neither embedded nor virtual: one assignment.
    plan = metadata.columns.map((column) => ({
      name: column.databaseName,
      column,
      plain: !column.embeddedMetadata && !column.isVirtual,
    }));
    plans.set(metadata, plan);
  }
  return plan;
}

/**
 * Builds an entity from a raw row (a raw query's, or a RETURNING clause's) by the entity's column
 * metadata: each column is read by its database name and converted as TypeORM converts a loaded
 * value. The one row mapper of the service: a new column needs only its entity property. Columns
 * of the row that the entity does not have are ignored.
 */
export function hydrate<T extends ObjectLiteral>(dataSource: DataSource, entity: EntityTarget<T>, row: Record<string, unknown>): T {
  const metadata = dataSource.getMetadata(entity);
  const instance = metadata.create() as T;
  const driver = dataSource.driver;
  for (const { name, column, plain } of planOf(metadata)) {
    const raw = row[name];
    if (raw === undefined && !(name in row)) continue;
    const value = driver.prepareHydratedValue(raw, column);
    if (plain) (instance as Record<string, unknown>)[column.propertyName] = value;
    else column.setEntityValue(instance, value);
  }
  return instance;
}

/**
 * The select list of the columns an entity loads, each named by its database name (`"t"."client_id"`
 * with `alias` t): what a raw query selects for `hydrate` to build the entity as TypeORM's `find`
 * would, without TypeORM's query builder and result transformer (a list page's cost).
 */
export function selectList(dataSource: DataSource, entity: EntityTarget<ObjectLiteral>, alias?: string): string {
  const prefix = alias === undefined ? '' : `"${alias}".`;
  return columnsOf(dataSource.getMetadata(entity))
    .map((column) => `${prefix}"${column.databaseName}"`)
    .join(', ');
}

/** The database names of the columns an entity loads (see `selectList`). */
export function selectedColumnNames(metadata: EntityMetadata): string[] {
  return columnsOf(metadata).map((column) => column.databaseName);
}
