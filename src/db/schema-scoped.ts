import type { DataSource, EntityManager } from 'typeorm';

// NOTIFY channels and advisory locks are database-wide, but a deployment is one schema: deployments
// (and test files) in separate schemas of one database must neither hear each other's changes nor
// wait for each other's locks. Both names carry the schema, except in `public`, which keeps the
// plain names so instances of earlier versions still meet them during a rolling upgrade.

/** The NOTIFY channel of the connection's schema (the schema hashed: a channel name is at most 63 bytes). */
export async function changeChannel(dataSource: DataSource): Promise<string> {
  const [{ channel }] = await dataSource.query(
    `SELECT CASE current_schema() WHEN 'public' THEN 'apiauth_changes' ELSE 'apiauth_changes_' || md5(current_schema()) END AS channel`,
  );
  return channel as string;
}

/** Takes the transaction-scoped advisory lock `name` of the connection's schema. */
export function lockInSchema(em: EntityManager, name: string): Promise<unknown> {
  return em.query(
    `SELECT pg_advisory_xact_lock(hashtext(CASE current_schema() WHEN 'public' THEN $1 ELSE current_schema() || ':' || $1 END))`,
    [name],
  );
}
