/**
 * Soak (npm run soak): one server process on PostgreSQL under a mixed workload for SOAK_DURATION
 * seconds (default 60): client credentials on four algorithms, introspection, GraphQL reads and
 * writes, and the authorization-code flow of a signed-in user. Prints one JSON line: requests,
 * answers by status, p99 latency per kind, and the server's RSS after warm-up and at the end.
 *
 * Env: DATABASE_URL (a fresh schema, dropped at the end), SOAK_DURATION seconds (default 60),
 * SOAK_WARMUP seconds (default 10, not counted), SOAK_CONCURRENCY workers (default 8).
 */
import { createHash, randomBytes } from 'node:crypto';
import { basicAuth, BenchServer, machineClientFor, startBenchServer } from './bench-server';
import { ALGORITHMS } from './signing-ceiling';

const DURATION = Number(process.env.SOAK_DURATION ?? 60);
const WARMUP = Number(process.env.SOAK_WARMUP ?? 10);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 8);
const CALLBACK = 'https://soak.example/callback';
const EMAIL = 'soak@example.com';
const PASSWORD = 'a long soak test password';

/** One request (or, for the code flow, the authorize + exchange pair): its final status. */
type Task = () => Promise<number | string>;

interface Stats {
  requests: number;
  byStatus: Record<string, number>;
  latencies: Record<string, number[]>;
}

/** A browser session: the cookies the server set, sent back on every request. */
class CookieJar {
  private cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }
}

const hidden = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
const unescape = (value: string) =>
  value
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");

async function setUp(server: BenchServer): Promise<Record<string, Task>> {
  const { url } = server;
  const tasks: Record<string, Task> = {};
  const form = (body: Record<string, string>) => new URLSearchParams(body).toString();
  const post = (path: string, body: Record<string, string>, authorization?: string) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
      body: form(body),
    });

  // Client credentials, one API per algorithm.
  for (const algorithm of ALGORITHMS) {
    const client = await machineClientFor(server, algorithm);
    const auth = basicAuth(client.clientId, client.clientSecret);
    tasks[`client_credentials_${algorithm}`] = async () =>
      (await post('/oauth/token', { grant_type: 'client_credentials', audience: client.identifier }, auth)).status;
  }

  // Introspection by the API's own client (it holds `introspect`).
  const introspected = await machineClientFor(server, 'ES256', ['read:items', 'introspect']);
  const introspector = basicAuth(introspected.clientId, introspected.clientSecret);
  const tokenToInspect = (
    await (await post('/oauth/token', { grant_type: 'client_credentials', audience: introspected.identifier }, introspector)).json()
  ).access_token as string;
  tasks.introspection = async () => (await post('/oauth/introspect', { token: tokenToInspect }, introspector)).status;

  // GraphQL reads and writes, through the Management API (an answer with errors counts as `graphql_error`).
  const graphql = async (query: string, variables?: Record<string, unknown>) => {
    const res = await server.gqlResponse(query, variables);
    const body = await res.json();
    return res.status === 200 && body.errors ? 'graphql_error' : res.status;
  };
  let writes = 0;
  tasks.graphql_read = () =>
    graphql(`
      query {
        resourceServers(first: 20) {
          edges {
            node {
              id
              identifier
              scopes {
                value
              }
            }
          }
        }
      }
    `);
  tasks.graphql_write = () =>
    graphql(
      `
        mutation ($id: ID!, $input: ClientUpdateInput!) {
          clientUpdate(id: $id, input: $input) {
            userErrors {
              code
            }
          }
        }
      `,
      {
        id: introspected.clientUuid,
        input: { description: `soak ${++writes}` },
      },
    );

  // The code flow of a signed-in user: GET /authorize answers with a code at once, then the exchange.
  const api = await server.gql(
    `mutation($input: ResourceServerCreateInput!) { resourceServerCreate(input: $input) { resourceServer { identifier } } }`,
    {
      input: {
        name: 'Soak user API',
        identifier: 'https://soak-user.example/',
        allowSkippingUserConsent: true,
        scopes: [{ value: 'read:items' }],
      },
    },
  );
  const { clientCreate } = await server.gql(
    `mutation($input: ClientCreateInput!) { clientCreate(input: $input) { client { clientId } clientSecret } }`,
    { input: { name: 'soak web', appType: 'REGULAR_WEB', callbacks: [CALLBACK] } },
  );
  await server.gql(`mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id } } }`, {
    input: { email: EMAIL, password: PASSWORD },
  });
  const web = basicAuth(clientCreate.client.clientId, clientCreate.clientSecret);
  const jar = new CookieJar();
  const authorizeUrl = () => {
    const verifier = randomBytes(32).toString('base64url');
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: clientCreate.client.clientId,
      redirect_uri: CALLBACK,
      audience: api.resourceServerCreate.resourceServer.identifier,
      scope: 'openid read:items',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      nonce: randomBytes(8).toString('hex'),
    });
    return { href: `${url}/authorize?${query}`, verifier };
  };
  const first = authorizeUrl();
  const loginPage = await fetch(first.href, { redirect: 'manual' });
  jar.store(loginPage);
  const html = await loginPage.text();
  const signedIn = await fetch(`${url}/authorize/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
    body: form({ tx: unescape(hidden(html, 'tx')), csrf: unescape(hidden(html, 'csrf')), email: EMAIL, password: PASSWORD }),
  });
  jar.store(signedIn);
  if (signedIn.status !== 303) throw new Error(`soak sign-in: ${signedIn.status}`);
  tasks.authorization_code = async () => {
    const { href, verifier } = authorizeUrl();
    const answer = await fetch(href, { redirect: 'manual', headers: { cookie: jar.header() } });
    const code = new URL(answer.headers.get('location') ?? CALLBACK).searchParams.get('code');
    if (answer.status !== 302 || !code) return answer.status;
    return (await post('/oauth/token', { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: CALLBACK }, web))
      .status;
  };
  return tasks;
}

async function run(tasks: Record<string, Task>, seconds: number, stats?: Stats): Promise<void> {
  const names = Object.keys(tasks);
  const until = Date.now() + seconds * 1000;
  const worker = async () => {
    while (Date.now() < until) {
      const name = names[Math.floor(Math.random() * names.length)];
      const started = performance.now();
      let status: string;
      try {
        status = String(await tasks[name]());
      } catch {
        status = 'error';
      }
      if (!stats) continue;
      stats.requests++;
      stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
      (stats.latencies[name] ??= []).push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

const p99 = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] * 10) / 10;
};

async function main(): Promise<void> {
  const server = await startBenchServer({
    LOG_LEVEL: 'warn',
    // The soak's one caller sends about a hundred GraphQL requests a second, above the default budget:
    // it measures the service, not its limits.
    RATE_LIMIT_GRAPHQL_CALLER: '10000000/1h',
  });
  try {
    const tasks = await setUp(server);
    await run(tasks, WARMUP);
    const rssStart = server.rssBytes();
    const stats: Stats = { requests: 0, byStatus: {}, latencies: {} };
    // The RSS every tenth of the run: growth that levels off is the heap settling, steady growth a leak.
    const mb = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10;
    const rssSamplesMb: number[] = [];
    const sampler = setInterval(() => rssSamplesMb.push(mb(server.rssBytes())), (DURATION * 1000) / 10);
    await run(tasks, DURATION, stats).finally(() => clearInterval(sampler));
    const rssEnd = server.rssBytes();
    console.log(
      JSON.stringify({
        benchmark: 'soak',
        durationSeconds: DURATION,
        concurrency: CONCURRENCY,
        requests: stats.requests,
        requestsPerSecond: Math.round(stats.requests / DURATION),
        byStatus: stats.byStatus,
        serverErrors: Object.entries(stats.byStatus)
          .filter(([status]) => status.startsWith('5') || status === 'error')
          .reduce((sum, [, count]) => sum + count, 0),
        p99Ms: Object.fromEntries(Object.entries(stats.latencies).map(([name, values]) => [name, p99(values)])),
        rssAfterWarmupMb: mb(rssStart),
        rssSamplesMb,
        rssEndMb: mb(rssEnd),
        rssGrowthPercent: Math.round(((rssEnd - rssStart) / rssStart) * 1000) / 10,
      }),
    );
  } finally {
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
