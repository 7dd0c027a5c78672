/**
 * Side by side with node-oidc-provider (npm run bench:compare): this service (one process on
 * PostgreSQL, as bench:token) and the peer (bench/oidc-provider-peer.mjs, a process of its own) answer
 * the same client-credentials request (client_secret_basic, an RFC 8707 `resource`, both scopes) with
 * a JWT access token signed with the same algorithm. Before measuring, one token from each must verify
 * (jose, against the server's own JWKS or HS256 secret) with the asked algorithm, issuer, audience and
 * scopes: an error path is never what gets measured. Then autocannon, in this process, warms both and
 * drives them in alternating rounds (ours, peer, ours, peer, …). One JSON line per algorithm: each
 * side's median requests/s, p50 and p99 latency (ms) over the rounds, its errors summed over them, the
 * ratio ours/peer, and the rate at which jose alone signs such a token here (the signing ceiling).
 *
 * Env: DATABASE_URL (as bench:token: a fresh schema, dropped at the end), BENCH_ALGORITHMS (a
 * comma-separated subset of RS256,ES256,EdDSA,HS256; default all), BENCH_CONNECTIONS (default 10),
 * BENCH_ROUNDS (default 3), BENCH_ROUND_SECONDS (default 6), BENCH_WARMUP_SECONDS (default 3),
 * BENCH_LOG_LEVEL (default info, the service's default). Other variables pass through to our server.
 */
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import { createLocalJWKSet, JWTPayload, jwtVerify, JWTVerifyGetKey } from 'jose';
import { basicAuth, machineClientFor, startBenchServer } from './bench-server';
import { intSetting } from './settings';
import { ALGORITHMS, BenchAlgorithm, joseSignRate } from './signing-ceiling';

function algorithmsSetting(): BenchAlgorithm[] {
  const raw = process.env.BENCH_ALGORITHMS;
  if (raw === undefined || raw.trim() === '') return [...ALGORITHMS];
  const asked = raw.split(',').map((value) => value.trim());
  const unknown = asked.filter((value) => !(ALGORITHMS as readonly string[]).includes(value));
  if (unknown.length > 0)
    throw new Error(`BENCH_ALGORITHMS: unknown ${unknown.join(', ').slice(0, 200)}; choose from ${ALGORITHMS.join(',')}`);
  return ALGORITHMS.filter((algorithm) => asked.includes(algorithm));
}

const SCOPE = 'read:items write:items';
const CONNECTIONS = intSetting('BENCH_CONNECTIONS', 10, 1, 1000);
const ROUNDS = intSetting('BENCH_ROUNDS', 3, 1, 100);
const ROUND_SECONDS = intSetting('BENCH_ROUND_SECONDS', 6, 1, 600);
const WARMUP_SECONDS = intSetting('BENCH_WARMUP_SECONDS', 3, 0, 600);
const SELECTED = algorithmsSetting();

/** One server's token request for one algorithm, and how to check what it answers. */
interface Target {
  side: 'ours' | 'peer';
  tokenEndpoint: string;
  issuer: string;
  resource: string;
  headers: Record<string, string>;
  body: string;
  /** The server's published keys, or the API's HS256 secret. */
  key: JWTVerifyGetKey | Uint8Array;
}

interface Round {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

interface Peer {
  version: string;
  issuer: string;
  apis: Record<string, { resource: string; clientId: string; clientSecret: string; hsSecret?: string }>;
  stop(): Promise<void>;
}

/** The peer in a process of its own; resolves once it listens. */
async function startPeer(algorithms: BenchAlgorithm[]): Promise<Peer> {
  // Compiled into dist/bench; the .mjs stays in bench/.
  const script = path.join(__dirname, '..', '..', 'bench', 'oidc-provider-peer.mjs');
  const child = spawn(process.execPath, [script, algorithms.join(',')], {
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  };
  try {
    const line = await firstLine(child, 30_000);
    return { ...JSON.parse(line), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error('the oidc-provider peer did not start')), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the oidc-provider peer exited during start (code ${code})`));
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const end = buffered.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        resolve(buffered.slice(0, end));
      }
    });
  });
}

/** The token endpoint and the keys that verify its tokens, from the server's discovery document. */
async function discover(issuer: string): Promise<{ tokenEndpoint: string; jwks: JWTVerifyGetKey }> {
  const metadata = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  const jwks = await (await fetch(metadata.jwks_uri)).json();
  return { tokenEndpoint: metadata.token_endpoint, jwks: createLocalJWKSet(jwks) };
}

/** One token from the target must be a valid JWT access token of `algorithm` with the asked claims. */
async function checkToken(target: Target, algorithm: BenchAlgorithm): Promise<void> {
  const response = await fetch(target.tokenEndpoint, { method: 'POST', headers: target.headers, body: target.body });
  const answer = await response.json().catch(() => undefined);
  if (response.status !== 200 || typeof answer?.access_token !== 'string') {
    throw new Error(`${target.side} ${algorithm}: the token request answered ${response.status} ${JSON.stringify(answer).slice(0, 300)}`);
  }
  const options = { algorithms: [algorithm], issuer: target.issuer, audience: target.resource, typ: 'at+jwt' };
  let payload: JWTPayload;
  try {
    ({ payload } =
      typeof target.key === 'function'
        ? await jwtVerify(answer.access_token, target.key, options)
        : await jwtVerify(answer.access_token, target.key, options));
  } catch (error) {
    throw new Error(`${target.side} ${algorithm}: the token does not verify: ${(error as Error).message}`, { cause: error });
  }
  if (payload.scope !== SCOPE || typeof payload.jti !== 'string' || typeof payload.exp !== 'number') {
    throw new Error(`${target.side} ${algorithm}: the token lacks the expected claims: ${JSON.stringify(payload).slice(0, 300)}`);
  }
}

async function run(target: Target, seconds: number): Promise<Round> {
  const result = await autocannon({
    url: target.tokenEndpoint,
    method: 'POST',
    headers: target.headers,
    body: target.body,
    connections: CONNECTIONS,
    duration: seconds,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** A side's rounds in one: medians of rate and latencies, errors of every round. */
function summary(rounds: Round[]): Round {
  return {
    rps: Math.round(median(rounds.map((r) => r.rps))),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
  };
}

const tokenRequest = (clientId: string, clientSecret: string, resource: string) => ({
  headers: { authorization: basicAuth(clientId, clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope: SCOPE }).toString(),
});

async function main(): Promise<void> {
  // The service's default level, so the access line (one per request) is part of what is measured.
  const server = await startBenchServer({ LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info' });
  let peer: Peer | undefined;
  try {
    peer = await startPeer(SELECTED);
    for (const algorithm of SELECTED) {
      const client = await machineClientFor(server, algorithm);
      const api = peer.apis[algorithm];
      // After the API exists: our key ring makes an algorithm's key when it is first needed.
      const ourServer = await discover(server.url);
      const peerServer = await discover(peer.issuer);
      const targets: Target[] = [
        {
          side: 'ours',
          tokenEndpoint: ourServer.tokenEndpoint,
          issuer: server.url,
          resource: client.identifier,
          ...tokenRequest(client.clientId, client.clientSecret, client.identifier),
          key: client.signingSecret ? new TextEncoder().encode(client.signingSecret) : ourServer.jwks,
        },
        {
          side: 'peer',
          tokenEndpoint: peerServer.tokenEndpoint,
          issuer: peer.issuer,
          resource: api.resource,
          ...tokenRequest(api.clientId, api.clientSecret, api.resource),
          key: api.hsSecret ? new TextEncoder().encode(api.hsSecret) : peerServer.jwks,
        },
      ];
      for (const target of targets) await checkToken(target, algorithm);
      // Warm up (keys, caches, JIT), then alternate.
      if (WARMUP_SECONDS > 0) for (const target of targets) await run(target, WARMUP_SECONDS);
      const rounds: Record<Target['side'], Round[]> = { ours: [], peer: [] };
      for (let i = 0; i < ROUNDS; i++) for (const target of targets) rounds[target.side].push(await run(target, ROUND_SECONDS));
      const ours = summary(rounds.ours);
      const theirs = summary(rounds.peer);
      console.log(
        JSON.stringify({
          benchmark: 'compare',
          algorithm,
          connections: CONNECTIONS,
          rounds: ROUNDS,
          roundSeconds: ROUND_SECONDS,
          peerVersion: `oidc-provider ${peer.version}`,
          ours,
          peer: theirs,
          ratio: theirs.rps > 0 ? Math.round((ours.rps / theirs.rps) * 100) / 100 : null,
          signingCeiling: { rps: await joseSignRate(algorithm, client.identifier, client.clientId, CONNECTIONS) },
        }),
      );
    }
  } finally {
    await peer?.stop();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
