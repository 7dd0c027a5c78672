/**
 * The server a benchmark drives: one service process on PostgreSQL in a fresh schema (dropped at
 * the end), started as in production (`NODE_ENV=production`, the compiled `main.js`), with a
 * bootstrap client for the Management API. Shared by the token benchmark and the soak.
 */
import { spawn, ChildProcess } from 'node:child_process';
import path from 'node:path';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchServer {
  url: string;
  /** The server process (its RSS: `rssBytes()`). */
  child: ChildProcess;
  /** A Management API call with the bootstrap client's token; throws on GraphQL errors. */
  gql(query: string, variables?: Record<string, unknown>): Promise<any>;
  /** The raw answer of a Management API call with the bootstrap client's token. */
  gqlResponse(query: string, variables?: Record<string, unknown>): Promise<Response>;
  /** The server process's resident set size (Linux /proc), bytes. */
  rssBytes(): number;
  stop(): Promise<void>;
}

export const basicAuth = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForServer(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error('server exited during start');
    try {
      if ((await fetch(`${url}/.well-known/jwks.json`)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
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
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  };

  try {
    await waitForServer(url, child);
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
    const rssBytes = () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
    };
    return { url, child, gql, gqlResponse, rssBytes, stop };
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
