/**
 * Token endpoint benchmark (npm run bench:token): starts one server process on PostgreSQL, sets up
 * an API per algorithm with a machine client and grant, then drives POST /oauth/token with
 * autocannon (10 connections) and prints one JSON line per algorithm, plus the rate at which jose
 * alone signs the same token in this process (the ceiling).
 *
 * Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test; a fresh schema is used and
 * dropped), BENCH_DURATION seconds per algorithm (default 10), BENCH_CONNECTIONS (default 10),
 * BENCH_LOG_LEVEL (default info, the service's default). Other variables (ACCESS_LOG, METRICS_PORT,
 * WORKERS: `WORKERS=2 npm run bench:token` drives a cluster of two workers) pass through to the server.
 */
import autocannon from 'autocannon';
import { basicAuth, machineClientFor, startBenchServer } from './bench-server';
import { ALGORITHMS, joseSignRate } from './signing-ceiling';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

async function main(): Promise<void> {
  // The service's default level, so the access line (one per request) is part of what is measured.
  const server = await startBenchServer({ LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info' });
  const { url } = server;
  try {
    for (const algorithm of ALGORITHMS) {
      const client = await machineClientFor(server, algorithm);
      const headers = {
        authorization: basicAuth(client.clientId, client.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      };
      const body = `grant_type=client_credentials&audience=${encodeURIComponent(client.identifier)}`;
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
      const ceiling = await joseSignRate(algorithm, client.identifier, client.clientId, CONNECTIONS);
      console.log(
        JSON.stringify({
          benchmark: 'token_endpoint',
          algorithm,
          workers: server.workers,
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
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
