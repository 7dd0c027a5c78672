/**
 * Token endpoint benchmark (npm run bench:token): starts one server process on PostgreSQL, sets up
 * an API per algorithm with a machine client and grant, then drives POST /oauth/token with
 * autocannon (10 connections) and prints one JSON line per algorithm, plus the rate at which jose
 * alone signs the same token in this process (the ceiling).
 *
 * Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test; a fresh schema is used and
 * dropped), BENCH_DURATION seconds per algorithm (default 10), BENCH_CONNECTIONS (default 10),
 * BENCH_LOG_LEVEL (default info, the service's default). Other variables (ACCESS_LOG, METRICS_PORT)
 * pass through to the server.
 */
import { spawn, ChildProcess } from 'node:child_process';
import path from 'node:path';
import net from 'node:net';
import { createSecretKey, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import autocannon from 'autocannon';
import { generateKeyPair, SignJWT } from 'jose';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const ALGORITHMS = ['RS256', 'ES256', 'EdDSA', 'HS256'] as const;
const BOOTSTRAP = { id: 'bench-bootstrap-client', secret: randomBytes(32).toString('base64url') };

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

async function main(): Promise<void> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const dbUrl = new URL(DATABASE_URL);
  dbUrl.searchParams.set('options', `-c search_path=${schema}`);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'src', 'main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER: url,
      DATABASE_URL: dbUrl.toString(),
      MASTER_KEY: randomBytes(32).toString('base64'),
      // The service's default level, so the access line (one per request) is part of what is measured.
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      NODE_ENV: 'production',
      BOOTSTRAP_CLIENT_ID: BOOTSTRAP.id,
      BOOTSTRAP_CLIENT_SECRET: BOOTSTRAP.secret,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });

  try {
    await waitForServer(url, child);
    const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    const mgmt = await (
      await fetch(`${url}/oauth/token`, {
        method: 'POST',
        headers: { authorization: basic(BOOTSTRAP.id, BOOTSTRAP.secret), 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&audience=${encodeURIComponent(`${url}/api/v2/`)}`,
      })
    ).json();
    const gql = async (query: string, variables: Record<string, unknown>) => {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${mgmt.access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      const body = await res.json();
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };

    for (const algorithm of ALGORITHMS) {
      const identifier = `https://bench-${algorithm.toLowerCase()}.example/`;
      const { resourceServerCreate } = await gql(
        `mutation($input: ResourceServerCreateInput!) { resourceServerCreate(input: $input) { resourceServer { id } signingSecret } }`,
        {
          input: {
            name: `Bench ${algorithm}`,
            identifier,
            signingAlgorithm: algorithm,
            scopes: [{ value: 'read:items' }, { value: 'write:items' }],
          },
        },
      );
      const { clientCreate } = await gql(
        `mutation { clientCreate(input: { name: "bench", appType: MACHINE_TO_MACHINE }) { client { id clientId } clientSecret } }`,
        {},
      );
      await gql(`mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { clientGrant { id } } }`, {
        input: {
          clientId: clientCreate.client.id,
          resourceServerId: resourceServerCreate.resourceServer.id,
          scopes: ['read:items', 'write:items'],
        },
      });
      const headers = {
        authorization: basic(clientCreate.client.clientId, clientCreate.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      };
      const body = `grant_type=client_credentials&audience=${encodeURIComponent(identifier)}`;
      // Warm up (keys, caches, JIT).
      await autocannon({ url: `${url}/oauth/token`, method: 'POST', headers, body, connections: CONNECTIONS, duration: 2 });
      const result = await autocannon({
        url: `${url}/oauth/token`,
        method: 'POST',
        headers,
        body,
        connections: CONNECTIONS,
        duration: DURATION,
      });
      const ceiling = await joseSignRate(algorithm, identifier, clientCreate.client.clientId);
      console.log(
        JSON.stringify({
          benchmark: 'token_endpoint',
          algorithm,
          connections: CONNECTIONS,
          durationSeconds: DURATION,
          requestsPerSecond: Math.round(result.requests.average),
          latencyP50Ms: result.latency.p50,
          latencyP99Ms: result.latency.p99,
          errors: result.errors + result.timeouts + result.non2xx,
          totalRequests: result.requests.total,
          joseSignsPerSecond: ceiling,
        }),
      );
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

/** Tokens per second jose signs here alone, CONNECTIONS at a time, for the same claims. */
async function joseSignRate(algorithm: (typeof ALGORITHMS)[number], audience: string, clientId: string): Promise<number> {
  const key =
    algorithm === 'HS256'
      ? createSecretKey(randomBytes(32))
      : (await generateKeyPair(algorithm, { ...(algorithm === 'EdDSA' ? { crv: 'Ed25519' } : {}) })).privateKey;
  const sign = () => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: 'http://127.0.0.1',
      sub: clientId,
      aud: audience,
      iat: now,
      exp: now + 86400,
      jti: randomBytes(16).toString('base64url'),
      client_id: clientId,
      scope: 'read:items write:items',
    })
      .setProtectedHeader({ alg: algorithm, typ: 'at+jwt', kid: 'bench' })
      .sign(key);
  };
  const until = Date.now() + 3000;
  let count = 0;
  while (Date.now() < until) {
    await Promise.all(Array.from({ length: CONNECTIONS }, sign));
    count += CONNECTIONS;
  }
  return Math.round(count / 3);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
