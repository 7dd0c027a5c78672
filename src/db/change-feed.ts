import type { EntityManager } from 'typeorm';

/** What a change touched; caches keyed by these topics drop their entries when told. */
export type ChangeTopic = 'resource_server' | 'client' | 'client_grant' | 'signing_key' | 'user' | 'role';

/**
 * Announces committed changes to every instance sharing the database. `publish` runs inside the
 * writer's transaction, so the announcement goes out on commit and never for a rollback.
 */
export interface ChangeFeed {
  publish(em: EntityManager, topic: ChangeTopic, id: string): Promise<void>;
}

/** The id a client grant's changes are published under: the pair it is looked up by, so a cache drops exactly that entry. */
export function grantChangeId(clientUuid: string, resourceServerUuid: string): string {
  return `${clientUuid}|${resourceServerUuid}`;
}
