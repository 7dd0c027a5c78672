import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { hydrate, selectList } from '../db/hydrate';

/** Rows by id, many at once: what the per-request DataLoaders batch their lookups into. */
export class EntityLookup {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The rows of `entity` with these ids, in no particular order; unknown ids are absent. One raw
   * statement, its rows built by `hydrate` (the entities `findBy` would give, for less work).
   */
  async byIds<T extends ObjectLiteral & { id: string }>(entity: EntityTarget<T>, ids: readonly string[]): Promise<T[]> {
    const metadata = this.dataSource.getMetadata(entity);
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT ${selectList(this.dataSource, entity)} FROM "${metadata.tableName}" WHERE "id" = ANY($1)`,
      [[...ids]],
    );
    return rows.map((row) => hydrate(this.dataSource, entity, row));
  }
}
