/** Bulk seeding shared by the benchmarks: rows copied in SQL from template rows the service made itself. */
import type { Client } from 'pg';

/**
 * Copies of the row `where` of `table`, one per n in [from, to], with `overrides` (column → SQL
 * expression of n) and every other column (except id and generated ones) as in the template row.
 */
export async function copyRows(db: Client, table: string, where: string, from: number, to: number, overrides: Record<string, string>) {
  const { rows } = await db.query(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = $1 AND column_name <> 'id'
        AND is_generated = 'NEVER' AND is_identity = 'NO' ORDER BY ordinal_position`,
    [table],
  );
  const columns = rows.map((r) => r.column_name as string);
  const values = columns.map((column) => overrides[column] ?? `t.${column}`);
  await db.query(
    `INSERT INTO ${table} (${columns.join(', ')})
     SELECT ${values.join(', ')} FROM ${table} t, generate_series(${from}, ${to}) AS n WHERE ${where}`,
  );
}

/**
 * `clients` machine clients `scale-<n>` (secret `scale-secret-<n>`), each with a grant for `read:items`
 * on API n mod `apis` (`https://scale-<i>.example/`), copied from the template client, API and grant
 * (made through GraphQL, so every column is the service's own). Ends with ANALYZE.
 */
export async function seedClients(
  db: Client,
  template: { identifier: string; clientId: string },
  clients: number,
  apis: number,
): Promise<void> {
  await copyRows(db, 'resource_servers', `t.identifier = '${template.identifier}'`, 0, apis - 1, {
    name: `'Scale API ' || n`,
    identifier: `'https://scale-' || n || '.example/'`,
  });
  await db.query(
    `INSERT INTO scopes (resource_server_id, value) SELECT id, 'read:items' FROM resource_servers WHERE identifier LIKE 'https://scale-%'`,
  );
  await copyRows(db, 'clients', `t.client_id = '${template.clientId}'`, 0, clients - 1, {
    client_id: `'scale-' || n`,
    name: `'Scale client ' || n`,
  });
  await db.query(
    `INSERT INTO client_secrets (client_id, secret_hash, last_four)
     SELECT id, encode(sha256(convert_to('scale-secret-' || substr(client_id, 7), 'UTF8')), 'hex'), right(client_id, 4)
       FROM clients WHERE client_id LIKE 'scale-%'`,
  );
  await db.query(
    `INSERT INTO client_grants (client_id, resource_server_id, scopes)
     SELECT c.id, a.id, ARRAY['read:items'] FROM clients c
       JOIN resource_servers a ON a.identifier = 'https://scale-' || (substr(c.client_id, 7)::int % ${apis}) || '.example/'
      WHERE c.client_id LIKE 'scale-%'`,
  );
  await db.query('ANALYZE');
}

/** The Management API page the GraphQL benchmarks measure: 50 clients, each with its grants and their APIs. */
export const CLIENTS_PAGE = `query($after: String) { clients(first: 50, after: $after) {
  edges { cursor node { id clientId name appType clientGrants(first: 10) { nodes { id scopes resourceServer { identifier } } } } }
  pageInfo { hasNextPage endCursor } } }`;
