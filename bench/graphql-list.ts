/**
 * GraphQL list (npm run bench:graphql): one server process on PostgreSQL holding GQL_CLIENTS machine
 * clients (default 2,000), each with a client grant on one of GQL_APIS APIs (default 100), seeded by
 * bulk SQL (bench/seed.ts). Then, with autocannon (GQL_CONNECTIONS, default 10) for GQL_SECONDS
 * (default 10) after GQL_WARMUP seconds (default 3) of the same load, the Management API's
 * `clients(first: 50)` with each client's grants and their APIs (bench/seed.ts CLIENTS_PAGE):
 *
 * - `graphqlClientsFirst50`: the first page;
 * - `graphqlClientsAfterCursor`: the page after the cursor of the client in the middle of the list.
 *
 * Each response is checked once before the load (50 edges, nearly all with a grant and its API). Prints one JSON line
 * per phase. The load generator runs on the same machine as the server and PostgreSQL.
 * To profile the server: BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=prof', then
 * `node dist/bench/profile-summary.js prof/<file>.cpuprofile`.
 *
 * Env: DATABASE_URL (a fresh schema, dropped at the end), GQL_CLIENTS, GQL_APIS, GQL_CONNECTIONS,
 * GQL_SECONDS, GQL_WARMUP; other variables pass through to the server.
 */
import { Client } from 'pg';
import { BenchServer, machineClientFor, startBenchServer } from './bench-server';
import { CLIENTS_PAGE, seedClients } from './seed';
import { intSetting } from './settings';
import { graphqlLoad, phaseOf } from './load';

const CLIENTS = intSetting('GQL_CLIENTS', 2_000, 100, 10_000_000);
const APIS = intSetting('GQL_APIS', 100, 1, 1_000_000);
const CONNECTIONS = intSetting('GQL_CONNECTIONS', 10, 1, 1000);
const SECONDS = intSetting('GQL_SECONDS', 10, 1, 600);
const WARMUP = intSetting('GQL_WARMUP', 3, 0, 600);

/** One checked answer (a page of 50 clients, nearly all with a grant and its API), then the load. */
async function phase(server: BenchServer, name: string, after: string | null): Promise<void> {
  const data = await server.gql(CLIENTS_PAGE, { after });
  const edges = data.clients.edges as { node: { clientGrants: { nodes: { resourceServer: { identifier: string } }[] } } }[];
  // The service's own clients (the bootstrap one, the console) come first; the seeded ones each have one grant.
  const nested = edges.filter((edge) => edge.node.clientGrants.nodes[0]?.resourceServer?.identifier).length >= 45;
  if (edges.length !== 50 || !nested) throw new Error(`${name}: unexpected answer ${JSON.stringify(data).slice(0, 500)}`);
  const body = JSON.stringify({ query: CLIENTS_PAGE, variables: { after } });
  if (WARMUP > 0) await graphqlLoad(server, body, { connections: CONNECTIONS, seconds: WARMUP });
  console.log(JSON.stringify(phaseOf(name, await graphqlLoad(server, body, { connections: CONNECTIONS, seconds: SECONDS }))));
}

async function main(): Promise<void> {
  // Budgets of one administrator's calls would throttle the load: off for this run.
  const server = await startBenchServer({ RATE_LIMIT_GRAPHQL_CALLER: 'off' });
  const db = new Client({ connectionString: server.databaseUrl });
  await db.connect();
  try {
    const template = await machineClientFor(server, 'ES256', ['read:items']);
    const began = Date.now();
    await seedClients(db, template, CLIENTS, APIS);
    console.log(JSON.stringify({ phase: 'seed', clients: CLIENTS, apis: APIS, milliseconds: Date.now() - began }));

    await phase(server, 'graphqlClientsFirst50', null);
    const middle = (await db.query(`SELECT id FROM clients WHERE client_id = $1`, [`scale-${Math.floor(CLIENTS / 2)}`])).rows[0].id;
    const cursor = await cursorOf(server, middle);
    await phase(server, 'graphqlClientsAfterCursor', cursor);
  } finally {
    await db.end();
    await server.stop();
  }
}

/** The cursor of one client (by its UUID), read from the connection that lists it. */
async function cursorOf(server: BenchServer, uuid: string): Promise<string> {
  let after: string | null = null;
  for (;;) {
    const data: any = await server.gql(`query($after: String) { clients(first: 100, after: $after) { edges { cursor node { id } } } }`, {
      after,
    });
    const edges = data.clients.edges as { cursor: string; node: { id: string } }[];
    if (edges.length === 0) throw new Error('client not listed');
    const hit = edges.find((edge) => Buffer.from(edge.node.id, 'base64url').toString().includes(uuid));
    if (hit) return hit.cursor;
    after = edges[edges.length - 1].cursor;
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
