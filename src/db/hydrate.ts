import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Builds an entity from a raw row (a raw query's, or a RETURNING clause's) by the entity's column
 * metadata: each column is read by its database name and converted as TypeORM converts a loaded
 * value. The one row mapper of the service: a new column needs only its entity property. Columns
 * of the row that the entity does not have are ignored.
 */
export function hydrate<T extends ObjectLiteral>(dataSource: DataSource, entity: EntityTarget<T>, row: Record<string, unknown>): T {
  const metadata = dataSource.getMetadata(entity);
  const instance = metadata.create() as T;
  for (const column of metadata.columns) {
    if (column.databaseName in row) {
      column.setEntityValue(instance, dataSource.driver.prepareHydratedValue(row[column.databaseName], column));
    }
  }
  return instance;
}
