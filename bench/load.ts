/** Load phases shared by the benchmarks: GraphQL requests with the bootstrap client's token, and one JSON figure line per phase. */
import autocannon from 'autocannon';
import type { BenchServer } from './bench-server';

export interface Phase {
  phase: string;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  errors: number;
  totalRequests: number;
}

/** The figures of a phase named `name`: requests/s, p50/p99, every kind of error counted. */
export function phaseOf(name: string, result: autocannon.Result): Phase {
  return {
    phase: name,
    requestsPerSecond: Math.round(result.requests.average),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    totalRequests: result.requests.total,
  };
}

/** POST /graphql with the bootstrap client's token, the same body each time, for `seconds`. */
export function graphqlLoad(
  server: BenchServer,
  body: string,
  options: { connections: number; seconds: number },
): Promise<autocannon.Result> {
  return autocannon({
    url: `${server.url}/graphql`,
    method: 'POST',
    headers: { authorization: `Bearer ${server.managementToken}`, 'content-type': 'application/json' },
    body,
    connections: options.connections,
    duration: options.seconds,
  });
}
