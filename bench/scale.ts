/**
 * Scale (npm run bench:scale): one server process on PostgreSQL holding SCALE_CLIENTS machine
 * clients (default 1,000,000), each with a secret and a client grant on one of SCALE_APIS APIs
 * (default 10,000), seeded by bulk SQL from rows made through GraphQL (so every column, present or
 * added by a later migration, is the service's own). Then, with autocannon (SCALE_CONNECTIONS,
 * default 10) for SCALE_SECONDS per phase (default 10), client credentials with ES256:
 *
 * - `hot10`: 10 clients, warm: the reference rate;
 * - `firstTokens`: every request a client never seen before (each a cache miss), then the same
 *   until every client has had its first token (`warmUp`: all clients cached);
 * - `warmPool`: requests spread at random over every client, all cached;
 * - `warmPoolWithChurn`: the same while an administrator renames other clients 10 times a second
 *   (after 3 s of both);
 * - `preflightsWithChurn`: CORS preflights of the token endpoint from an origin one client allows,
 *   the administrator still renaming;
 * - RSS of the server with every client cached, right after the warm-up and after it has been idle
 *   for SCALE_RSS_SETTLE_SECONDS (default 15);
 * - GraphQL: `clients(first: 50)` with each client's grants; the same page after the cursor at
 *   position 0 and at 90 % of the list (keyset paging); `clientCreate`.
 *
 * Prints one JSON line per phase and a summary line with the ratios the targets are stated in.
 * The load generator runs on the same machine as the server and PostgreSQL: say so with figures.
 *
 * Env: DATABASE_URL (a fresh schema, dropped at the end), SCALE_CLIENTS, SCALE_APIS, SCALE_RSS_SETTLE_SECONDS,
 * SCALE_CONNECTIONS, SCALE_SECONDS; other variables pass through to the server.
 */
import autocannon from 'autocannon';
import { Client } from 'pg';
import { basicAuth, BenchServer, machineClientFor, startBenchServer } from './bench-server';
import { CLIENTS_PAGE, seedClients } from './seed';
import { intSetting } from './settings';
import { graphqlLoad, phaseOf } from './load';

const CLIENTS = intSetting('SCALE_CLIENTS', 1_000_000, 100, 10_000_000);
const APIS = intSetting('SCALE_APIS', 10_000, 1, 1_000_000);
const CONNECTIONS = intSetting('SCALE_CONNECTIONS', 10, 1, 1000);
const SECONDS = intSetting('SCALE_SECONDS', 10, 1, 600);
/** Connections and duration of each GraphQL phase. */
const GRAPHQL_LOAD = { connections: CONNECTIONS, seconds: SECONDS };
/** Idle seconds before the second RSS reading. */
const RSS_SETTLE_SECONDS = intSetting('SCALE_RSS_SETTLE_SECONDS', 15, 0, 600);
/** Renames per second of the churn phase. */
const CHURN_PER_SECOND = 10;

const clientId = (n: number) => `scale-${n}`;
const secretOf = (n: number) => `scale-secret-${n}`;
const apiIdentifier = (i: number) => `https://scale-${i}.example/`;
/** The Basic header and body of client n's token request (its grant is on API n mod APIS). */
const tokenRequest = (n: number) => ({
  headers: { authorization: basicAuth(clientId(n), secretOf(n)), 'content-type': 'application/x-www-form-urlencoded' },
  body: `grant_type=client_credentials&audience=${encodeURIComponent(apiIdentifier(n % APIS))}`,
});

/** The origin of the browser app whose CORS preflights the scale run measures. */
const SPA_ORIGIN = 'https://spa.scale.example';
const PREFLIGHT_HEADERS = { origin: SPA_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' };

/** CORS preflights of the token endpoint from SPA_ORIGIN, for `seconds`. */
function preflightLoad(url: string, limit: { seconds: number }): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/oauth/token`,
    method: 'OPTIONS',
    headers: PREFLIGHT_HEADERS,
    connections: CONNECTIONS,
    duration: limit.seconds,
  });
}

/** Token requests: client `next()` each time, for SECONDS or exactly `amount` requests. */
function tokenLoad(url: string, next: () => number, limit: { seconds: number } | { amount: number }): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/oauth/token`,
    connections: CONNECTIONS,
    ...('seconds' in limit ? { duration: limit.seconds } : { amount: limit.amount }),
    requests: [{ method: 'POST', setupRequest: (request) => ({ ...request, ...tokenRequest(next()) }) }],
  });
}

async function seed(server: BenchServer, db: Client): Promise<void> {
  // Templates made by the service itself: an ES256 API with one scope, a machine client, its grant.
  const template = await machineClientFor(server, 'ES256', ['read:items']);
  const began = Date.now();
  await seedClients(db, template, CLIENTS, APIS);
  console.log(
    JSON.stringify({ phase: 'seed', clients: CLIENTS, apis: APIS, grants: CLIENTS, seconds: Math.round((Date.now() - began) / 1000) }),
  );
}

/** Renames `clients` round-robin CHURN_PER_SECOND times a second until stopped; resolves to the renames done. */
function churn(server: BenchServer, clients: string[]): { done(): number; stop(): Promise<number> } {
  let done = 0;
  let running = true;
  let failure: unknown;
  const loop = (async () => {
    const started = Date.now();
    while (running) {
      const due = started + (done * 1000) / CHURN_PER_SECOND;
      if (Date.now() < due) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      await server.gql(`mutation($id: ID!, $name: String!) { clientUpdate(id: $id, input: { name: $name }) { userErrors { code } } }`, {
        id: clients[done % clients.length],
        name: `renamed ${done}`,
      });
      done++;
    }
  })().catch((error: unknown) => void (failure = error));
  return {
    done: () => done,
    async stop() {
      running = false;
      await loop;
      if (failure) throw failure;
      return done;
    },
  };
}

/** The cursor of the client at `position` (0-based), paging 100 at a time from the start. */
async function cursorAt(server: BenchServer, position: number): Promise<string> {
  let after: string | null = null;
  let seen = 0;
  for (;;) {
    const first = Math.min(100, position + 1 - seen);
    const data: any = await server.gql(
      `query($after: String, $first: Int!) { clients(first: $first, after: $after) { edges { cursor } } }`,
      {
        after,
        first,
      },
    );
    const edges = data.clients.edges as { cursor: string }[];
    seen += edges.length;
    after = edges[edges.length - 1].cursor;
    if (seen === position + 1) return after;
  }
}

async function main(): Promise<void> {
  // Budgets of one administrator's calls would throttle the GraphQL phases: off for this run.
  const server = await startBenchServer({ RATE_LIMIT_GRAPHQL_CALLER: 'off' });
  const db = new Client({ connectionString: server.databaseUrl });
  await db.connect();
  const print = (phase: object) => console.log(JSON.stringify(phase));
  try {
    await seed(server, db);
    const { url } = server;

    let hot = 0;
    await tokenLoad(url, () => hot++ % 10, { seconds: 3 });
    const hot10 = phaseOf('hot10', await tokenLoad(url, () => hot++ % 10, { seconds: SECONDS }));
    print(hot10);

    let fresh = 10;
    const firstTokens = phaseOf('firstTokens', await tokenLoad(url, () => fresh++, { seconds: SECONDS }));
    print(firstTokens);
    const warmUpStart = fresh;
    const warmUp = phaseOf('warmUp', await tokenLoad(url, () => fresh++, { amount: CLIENTS - warmUpStart }));
    print({ ...warmUp, clientsCached: fresh });
    // Right after the warm-up, and once the server has been idle for RSS_SETTLE_SECONDS: V8 collects
    // the warm-up's garbage and returns pages when the allocation rate drops (its memory reducer).
    const rssMb = Math.round(server.rssBytes() / 2 ** 20);
    await new Promise((resolve) => setTimeout(resolve, RSS_SETTLE_SECONDS * 1000));
    const rssSettledMb = Math.round(server.rssBytes() / 2 ** 20);
    print({ phase: 'rss', clientsCached: CLIENTS, rssMb, rssSettledMb, settleSeconds: RSS_SETTLE_SECONDS });

    const random = () => Math.floor(Math.random() * CLIENTS);
    await tokenLoad(url, random, { seconds: 3 });
    const warmPool = phaseOf('warmPool', await tokenLoad(url, random, { seconds: SECONDS }));
    print(warmPool);

    // Clients the pool never asks for: the administrator's edits are unrelated to its requests.
    const edited: string[] = [];
    for (let i = 0; i < 10; i++) {
      const { clientCreate } = await server.gql(
        `mutation { clientCreate(input: { name: "edited", appType: MACHINE_TO_MACHINE }) { client { id } } }`,
      );
      edited.push(clientCreate.client.id);
    }
    // Warmed up like the warm pool: the first renames also compile the mutation's code path.
    const admin = churn(server, edited);
    await tokenLoad(url, random, { seconds: 3 });
    const renamesBefore = admin.done();
    const withChurn = phaseOf('warmPoolWithChurn', await tokenLoad(url, random, { seconds: SECONDS }));
    const renames = admin.done() - renamesBefore;
    print({ ...withChurn, renamesPerSecond: Math.round((renames / SECONDS) * 10) / 10 });

    // CORS preflights from a browser app's origin (one client allows it), the administrator still renaming.
    const allowed = await server.gql(
      `mutation($id: ID!, $origins: [String!]!) { clientUpdate(id: $id, input: { allowedOrigins: $origins }) { userErrors { code } } }`,
      { id: edited[0], origins: [SPA_ORIGIN] },
    );
    if (allowed.clientUpdate.userErrors.length > 0) throw new Error(`allowedOrigins: ${JSON.stringify(allowed.clientUpdate.userErrors)}`);
    const answer = await fetch(`${url}/oauth/token`, { method: 'OPTIONS', headers: PREFLIGHT_HEADERS });
    if (answer.headers.get('access-control-allow-origin') !== SPA_ORIGIN) throw new Error(`preflight: ${answer.status}, no CORS headers`);
    await preflightLoad(url, { seconds: 3 });
    const preflightRenamesBefore = admin.done();
    const preflights = phaseOf('preflightsWithChurn', await preflightLoad(url, { seconds: SECONDS }));
    const preflightRenames = (await admin.stop()) - preflightRenamesBefore;
    print({ ...preflights, renamesPerSecond: Math.round((preflightRenames / SECONDS) * 10) / 10 });

    const page = phaseOf('graphqlClientsFirst50', await graphqlLoad(server, JSON.stringify({ query: CLIENTS_PAGE }), GRAPHQL_LOAD));
    print(page);
    const deep = Math.floor(CLIENTS * 0.9);
    const [atStart, atDeep] = [await cursorAt(server, 0), await cursorAt(server, deep)];
    const pageAtStart = phaseOf(
      'graphqlPageAfterPosition0',
      await graphqlLoad(server, JSON.stringify({ query: CLIENTS_PAGE, variables: { after: atStart } }), GRAPHQL_LOAD),
    );
    print(pageAtStart);
    const pageDeep = phaseOf(
      `graphqlPageAfterPosition${deep}`,
      await graphqlLoad(server, JSON.stringify({ query: CLIENTS_PAGE, variables: { after: atDeep } }), GRAPHQL_LOAD),
    );
    print(pageDeep);

    const countClients = async () => Number((await db.query('SELECT count(*) AS n FROM clients')).rows[0].n);
    const before = await countClients();
    const creates = phaseOf(
      'graphqlClientCreate',
      await graphqlLoad(
        server,
        JSON.stringify({
          query: `mutation { clientCreate(input: { name: "created", appType: MACHINE_TO_MACHINE }) { client { id } clientSecret } }`,
        }),
        GRAPHQL_LOAD,
      ),
    );
    const created = (await countClients()) - before;
    print({ ...creates, clientsCreated: created });

    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    print({
      summary: 'scale',
      clients: CLIENTS,
      apis: APIS,
      warmPoolVsHot10: ratio(warmPool.requestsPerSecond, hot10.requestsPerSecond),
      firstTokensVsWarmPool: ratio(firstTokens.requestsPerSecond, warmPool.requestsPerSecond),
      churnVsWarmPool: ratio(withChurn.requestsPerSecond, warmPool.requestsPerSecond),
      rssMb,
      rssSettledMb,
      deepPageVsFirstPage: ratio(pageDeep.requestsPerSecond, pageAtStart.requestsPerSecond),
      clientCreatePerSecond: Math.round(created / SECONDS),
    });
  } finally {
    await db.end();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
