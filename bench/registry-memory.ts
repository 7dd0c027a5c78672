/**
 * Registry memory (npm run bench:registry-memory): the heap and RSS a cached client costs the
 * token endpoint, without a database. A real Registry (src/oauth/registry.ts) over the real
 * TokenReadModel, whose data source answers `clientsForTokens` with the rows PostgreSQL sends for a
 * typical machine client of `npm run bench:scale` (one live secret, one grant with one scope on one
 * of REGISTRY_APIS APIs), each row parsed from its own text as the pg driver makes fresh strings, and
 * hydrated through the same code (db/hydrate.ts) with the service's own entity metadata.
 *
 * Fills the registry with REGISTRY_CLIENTS clients (default 1,000,000), looking each up as the
 * token endpoint does (client, then its grant for the API), then forces full garbage collections
 * and prints one JSON line: heap used, RSS, and bytes per client of each (growth over the empty
 * registry). Needs `--expose-gc` (the npm script passes it); the service itself runs with no V8 flags.
 *
 * Env: REGISTRY_CLIENTS, REGISTRY_APIS.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { entities } from '../src/domain/entities';
import { TokenReadModel } from '../src/domain/token-read-model';
import { Registry } from '../src/oauth/registry';
import { systemClock } from '../src/lib/clock';
import { intSetting } from './settings';

const CLIENTS = intSetting('REGISTRY_CLIENTS', 1_000_000, 1000, 5_000_000);
const APIS = intSetting('REGISTRY_APIS', 10_000, 1, 1_000_000);
/** Lookups in flight at once, as under load. */
const CONCURRENCY = 100;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:registry-memory)');

function settle(): NodeJS.MemoryUsage {
  for (let i = 0; i < 4; i++) gc!();
  return process.memoryUsage();
}

/** The uuids of the APIs, as the driver returns them (one string per row). */
const apiIds = Array.from({ length: APIS }, () => randomUUID());

/**
 * The text of client n's row as the driver receives it, made into values the way pg does: text and
 * text[] columns are fresh strings, json(b) columns JSON.parse'd. Modelled by one JSON.parse of a row
 * built from the client template `npm run bench:scale` copies (a MACHINE_TO_MACHINE client created
 * through GraphQL), with its secret and grant as json_agg returns them.
 */
function rowOf(n: number): Record<string, unknown> {
  const id = randomUUID();
  const hash = randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, '');
  return JSON.parse(`{
    "id": "${id}",
    "client_id": "scale-${n}",
    "name": "Scale client ${n}",
    "app_type": "MACHINE_TO_MACHINE",
    "is_first_party": false,
    "grant_types": ["CLIENT_CREDENTIALS"],
    "token_endpoint_auth_method": "CLIENT_SECRET_BASIC",
    "callbacks": [],
    "allowed_origins": [],
    "allowed_logout_urls": [],
    "id_token_signing_alg": "RS256",
    "id_token_lifetime": 36000,
    "refresh_token_rotation": "NON_ROTATING",
    "refresh_token_leeway": 0,
    "refresh_token_absolute_lifetime": 2592000,
    "refresh_token_idle_lifetime": 1296000,
    "metadata": {},
    "jwks": null,
    "require_pushed_authorization_requests": false,
    "builtin": null,
    "live_secrets": [{ "secret_hash": "${hash}", "expires_at": null }],
    "all_grants": [{ "client_id": "${id}", "resource_server_id": "${apiIds[n % APIS]}", "scopes": ["read:items"] }]
  }`) as Record<string, unknown>;
}

/** A data source with the service's entity metadata and driver, no connection: its one query is the clients' read. */
async function standInDataSource(): Promise<DataSource> {
  const dataSource = new DataSource({ type: 'postgres', entities });
  // What initialize() does short of connecting: build the entity metadata hydrate() reads.
  await (dataSource as unknown as { buildMetadatas(): Promise<void> }).buildMetadatas();
  dataSource.query = (async (text: string, values: unknown[]) => {
    if (!text.includes('FROM clients c WHERE c.client_id = ANY($1::text[])')) throw new Error(`unexpected query: ${text}`);
    return (values[0] as string[]).map((clientId) => rowOf(Number(clientId.slice('scale-'.length))));
  }) as DataSource['query'];
  return dataSource;
}

/** A client_id as the token endpoint reads it from a request (a fresh string of its own). */
const presentedClientId = (n: number) => Buffer.from(`scale-${n}`).toString('latin1');

async function main(): Promise<void> {
  const dataSource = await standInDataSource();
  const registry = new Registry(new TokenReadModel(dataSource, systemClock), () => {
    throw new Error('no token hooks here');
  });
  // One lookup first: everything lazily built (select list, metadata caches) is in the baseline.
  await registry.client(presentedClientId(CLIENTS));
  const before = settle();

  const began = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < CLIENTS) {
      const n = next++;
      const cached = await registry.client(presentedClientId(n));
      if (!cached) throw new Error(`client ${n} not found`);
      const grant = await registry.grant(cached.client.id, apiIds[n % APIS]);
      if (!grant) throw new Error(`client ${n}: grant not found`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const fillMs = Date.now() - began;
  const unsettled = process.memoryUsage();
  const after = settle();

  const stats = registry.stats().find((s) => s.cache === 'clients')!;
  if (stats.misses !== CLIENTS + 1) throw new Error(`expected ${CLIENTS + 1} loads, saw ${stats.misses}`);
  // Still cached, all of them: the first one again is a hit.
  await registry.client(presentedClientId(0));
  if (registry.stats().find((s) => s.cache === 'clients')!.hits !== 1) throw new Error('client 0 was not cached');

  const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
  const perClient = (bytes: number) => Math.round(bytes / CLIENTS);
  console.log(
    JSON.stringify({
      bench: 'registry-memory',
      node: process.version,
      clients: CLIENTS,
      apis: APIS,
      fillSeconds: Math.round(fillMs / 100) / 10,
      heapUsedMb: mb(after.heapUsed),
      rssMb: mb(after.rss),
      rssBeforeGcMb: mb(unsettled.rss),
      baselineHeapUsedMb: mb(before.heapUsed),
      baselineRssMb: mb(before.rss),
      heapBytesPerClient: perClient(after.heapUsed - before.heapUsed),
      rssBytesPerClient: perClient(after.rss - before.rss),
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
