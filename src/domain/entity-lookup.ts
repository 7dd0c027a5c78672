import { DataSource, EntityTarget, In, ObjectLiteral } from 'typeorm';

/** Rows by id, many at once: what the per-request DataLoaders batch their lookups into. */
export class EntityLookup {
  constructor(private readonly dataSource: DataSource) {}

  /** The rows of `entity` with these ids, in no particular order; unknown ids are absent. */
  byIds<T extends ObjectLiteral & { id: string }>(entity: EntityTarget<T>, ids: readonly string[]): Promise<T[]> {
    return this.dataSource.manager.findBy(entity, { id: In([...ids]) } as never);
  }
}
