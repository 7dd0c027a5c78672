/**
 * The server a benchmark drives: one service process on PostgreSQL in a fresh schema (dropped at
 * the end), started as in production (`NODE_ENV=production`, the compiled `main.js`), with a
 * bootstrap client for the Management API. Shared by the token benchmark and the soak. With
 * `WORKERS` (passed through like any variable) it is a cluster, driven once every worker serves.
 */
import { spawn, ChildProcess } from 'node:child_process';
import path from 'node:path';
import net from 'node:net';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Client } from 'pg';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchServer {
  url: string;
  /** The server process (its RSS: `rssBytes()`); with WORKERS>1 the cluster's primary. */
  child: ChildProcess;
  /** How many processes serve (WORKERS). */
  workers: number;
  /** The server's database: DATABASE_URL with the bench schema as its search_path. */
  databaseUrl: string;
  /** The bootstrap client's Management API access token. */
  managementToken: string;
  /** A Management API call with the bootstrap client's token; throws on GraphQL errors. */
  gql(query: string, variables?: Record<string, unknown>): Promise<any>;
  /** The raw answer of a Management API call with the bootstrap client's token. */
  gqlResponse(query: string, variables?: Record<string, unknown>): Promise<Response>;
  /** The server's resident set size (Linux /proc), bytes: the process and its workers. */
  rssBytes(): number;
  stop(): Promise<void>;
}

export const basicAuth = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** WORKERS as the service reads it (src/config.ts): unset 1, `auto` one per CPU. */
function workerCount(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 1;
  return raw.trim().toLowerCase() === 'auto' ? Math.min(os.availableParallelism(), 64) : Number(raw);
}

/** Waits until `workers` processes logged `apiauth ready` and the server answers. */
async function waitForServer(url: string, child: ChildProcess, logFile: string, workers: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('server exited during start');
    // One process: it answers once ready. A cluster: every worker's "apiauth ready" line (at info;
    // a higher LOG_LEVEL hides them, so WORKERS > 1 benchmarks run at info or below).
    const ready =
      workers === 1 || (existsSync(logFile) && readFileSync(logFile, 'utf8').split('"msg":"apiauth ready"').length - 1 >= workers);
    try {
      if (ready && (await fetch(`${url}/.well-known/jwks.json`)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

/** Resident set size of `pid` and its child processes (a cluster's workers), bytes. */
function treeRssBytes(pid: number): number {
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return rss + children.reduce((sum, child) => sum + treeRssBytes(Number(child)), 0);
}

/** `env`: extra variables for the server (LOG_LEVEL, ACCESS_LOG, …). */
export async function startBenchServer(env: Record<string, string> = {}): Promise<BenchServer> {
  const bootstrap = { id: 'bench-bootstrap-client', secret: randomBytes(32).toString('base64url') };
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const dbUrl = new URL(DATABASE_URL);
  dbUrl.searchParams.set('options', `-c search_path=${schema}`);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const workers = workerCount(env.WORKERS ?? process.env.WORKERS);
  // The log goes to a file (not a pipe, which the busy load generator might read late, stalling the
  // server's writes): read only to see every worker ready, removed at the end.
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'apiauth-bench-'));
  const logFile = path.join(logDir, 'server.log');
  const logFd = openSync(logFile, 'w');
  // BENCH_NODE_ARGS: flags for the server's node (e.g. `--cpu-prof --cpu-prof-dir=prof` to profile it).
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(__dirname, '..', 'src', 'main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER: url,
      DATABASE_URL: dbUrl.toString(),
      MASTER_KEY: randomBytes(32).toString('base64'),
      NODE_ENV: 'production',
      BOOTSTRAP_CLIENT_ID: bootstrap.id,
      BOOTSTRAP_CLIENT_SECRET: bootstrap.secret,
      ...env,
    },
    stdio: ['ignore', logFd, 'inherit'],
  });
  closeSync(logFd);
  const stop = async () => {
    // Killed by a signal, a process has no exit code: its exit event is past, not to be awaited.
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(logDir, { recursive: true, force: true });
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  };

  try {
    await waitForServer(url, child, logFile, workers);
    const mgmt = await (
      await fetch(`${url}/oauth/token`, {
        method: 'POST',
        headers: { authorization: basicAuth(bootstrap.id, bootstrap.secret), 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&audience=${encodeURIComponent(`${url}/api/v2/`)}`,
      })
    ).json();
    const gqlResponse = (query: string, variables: Record<string, unknown> = {}) =>
      fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${mgmt.access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
    const gql = async (query: string, variables: Record<string, unknown> = {}) => {
      const body = await (await gqlResponse(query, variables)).json();
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    const rssBytes = () => treeRssBytes(child.pid!);
    return { url, child, workers, databaseUrl: dbUrl.toString(), managementToken: mgmt.access_token, gql, gqlResponse, rssBytes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * An API signing with `algorithm`, a machine client granted its scopes: the client's token request,
 * and the API's signing secret when it is an HS256 one (to verify its tokens).
 */
export async function machineClientFor(
  server: BenchServer,
  algorithm: string,
  scopes: string[] = ['read:items', 'write:items'],
): Promise<{ identifier: string; clientId: string; clientSecret: string; apiId: string; clientUuid: string; signingSecret?: string }> {
  const identifier = `https://bench-${algorithm.toLowerCase()}-${randomBytes(3).toString('hex')}.example/`;
  const { resourceServerCreate } = await server.gql(
    `mutation($input: ResourceServerCreateInput!) { resourceServerCreate(input: $input) { resourceServer { id } signingSecret } }`,
    { input: { name: `Bench ${algorithm}`, identifier, signingAlgorithm: algorithm, scopes: scopes.map((value) => ({ value })) } },
  );
  const { clientCreate } = await server.gql(
    `mutation { clientCreate(input: { name: "bench", appType: MACHINE_TO_MACHINE }) { client { id clientId } clientSecret } }`,
  );
  await server.gql(`mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { clientGrant { id } } }`, {
    input: { clientId: clientCreate.client.id, resourceServerId: resourceServerCreate.resourceServer.id, scopes },
  });
  return {
    identifier,
    clientId: clientCreate.client.clientId,
    clientSecret: clientCreate.clientSecret,
    apiId: resourceServerCreate.resourceServer.id,
    clientUuid: clientCreate.client.id,
    signingSecret: resourceServerCreate.signingSecret ?? undefined,
  };
}
