import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { FastifyBaseLogger } from 'fastify';
import type { RegistryStats } from '../oauth/registry';

/** Longest operation name kept as a label value; longer ones (and names past the cap) count as "other". */
const OPERATION_NAME_MAX = 64;
const OPERATION_NAMES_CAP = 200;

/** What `GET /metrics` serves: one process's metrics, or a cluster's workers aggregated (http/cluster-metrics.ts). */
export interface MetricsSource {
  readonly contentType: string;
  collect(): Promise<string>;
}

/**
 * The service's Prometheus metrics, in a registry of their own (never prom-client's global one:
 * tests run many apps in one process). Created only when METRICS_PORT is set; otherwise nothing is
 * collected. Every label value comes from a bounded set, so no caller can grow the series count.
 */
export class Metrics implements MetricsSource {
  readonly registry = new Registry();
  private readonly tokenRequests: Counter<'grant_type' | 'outcome'>;
  private readonly introspectionRequests: Counter<'outcome'>;
  private readonly graphqlOperations: Counter<'operation_name' | 'operation_type' | 'outcome'>;
  private readonly graphqlDuration: Histogram<'operation_type'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly tokenHookCalls: Counter;
  private readonly tokenHookFailures: Counter<'reason'>;
  private readonly rateLimitRefusals: Counter<'limit'>;
  private readonly tokenHookDuration: Histogram<'outcome'>;
  private readonly operationNames = new Set<string>();

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.tokenRequests = new Counter({
      name: 'apiauth_token_requests_total',
      help: 'Token endpoint requests by grant type and outcome ("success" or the OAuth error code)',
      labelNames: ['grant_type', 'outcome'],
      registers,
    });
    this.introspectionRequests = new Counter({
      name: 'apiauth_introspection_requests_total',
      help: 'Introspection requests by outcome ("active", "inactive" or the OAuth error code)',
      labelNames: ['outcome'],
      registers,
    });
    this.graphqlOperations = new Counter({
      name: 'apiauth_graphql_operations_total',
      help: 'GraphQL operations by name, type and outcome ("success" or the first error\'s extensions.code)',
      labelNames: ['operation_name', 'operation_type', 'outcome'],
      registers,
    });
    this.graphqlDuration = new Histogram({
      name: 'apiauth_graphql_operation_duration_seconds',
      help: 'GraphQL operation duration, from request start to response, by operation type',
      labelNames: ['operation_type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'apiauth_http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.rateLimitRefusals = new Counter({
      name: 'apiauth_rate_limited_total',
      help: 'Requests that found a rate-limit budget spent (429), by budget',
      labelNames: ['limit'],
      registers,
    });
    this.tokenHookCalls = new Counter({
      name: 'apiauth_token_hook_calls_total',
      help: 'Token hook calls made while issuing tokens (the test mutation excluded)',
      registers,
    });
    this.tokenHookFailures = new Counter({
      name: 'apiauth_token_hook_failures_total',
      help: 'Failed token hook calls by reason (timeout, network, status, invalid_response, forbidden_address, protected_claim)',
      labelNames: ['reason'],
      registers,
    });
    this.tokenHookDuration = new Histogram({
      name: 'apiauth_token_hook_duration_seconds',
      help: 'Token hook call duration, from the request to the parsed answer or the failure, by outcome (success or failure)',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    });
  }

  /**
   * Lookups of the token endpoint's caches (`apiauth_registry_lookups_total{cache, result}`), read
   * from `stats` when scraped: the hot path counts in plain numbers and pays nothing for the metric.
   */
  observeRegistry(stats: () => RegistryStats[]): void {
    const reported = new Map<string, number>();
    new Counter({
      name: 'apiauth_registry_lookups_total',
      help: 'Token endpoint cache lookups (clients, APIs, API ids, grants) answered from memory (hit) or the database (miss)',
      labelNames: ['cache', 'result'],
      registers: [this.registry],
      collect() {
        for (const { cache, hits, misses } of stats()) {
          for (const [result, total] of [
            ['hit', hits],
            ['miss', misses],
          ] as const) {
            const key = `${cache}|${result}`;
            this.inc({ cache, result }, total - (reported.get(key) ?? 0));
            reported.set(key, total);
          }
        }
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  collect(): Promise<string> {
    return this.registry.metrics();
  }

  rateLimited(limit: string): void {
    this.rateLimitRefusals.inc({ limit });
  }

  tokenRequest(grantType: string, outcome: string): void {
    this.tokenRequests.inc({ grant_type: grantType, outcome });
  }

  introspectionRequest(outcome: string): void {
    this.introspectionRequests.inc({ outcome });
  }

  graphqlOperation(name: string | null | undefined, type: string, outcome: string, seconds: number): void {
    this.graphqlOperations.inc({ operation_name: this.operationNameLabel(name), operation_type: type, outcome });
    this.graphqlDuration.observe({ operation_type: type }, seconds);
  }

  /** One token hook call: "success" or the failure reason (a fixed set, see oauth/token-hook). */
  tokenHookCall(outcome: string, seconds: number): void {
    this.tokenHookCalls.inc();
    if (outcome !== 'success') this.tokenHookFailures.inc({ reason: outcome });
    this.tokenHookDuration.observe({ outcome: outcome === 'success' ? 'success' : 'failure' }, seconds);
  }

  /** `route` is the route pattern (never the raw URL), or "unmatched". */
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  private operationNameLabel(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (name.length > OPERATION_NAME_MAX) return 'other';
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= OPERATION_NAMES_CAP) return 'other';
    this.operationNames.add(name);
    return name;
  }
}

export interface MetricsServer {
  /** The port it listens on (useful when started on port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text format) on a port of its own, so metrics never share the
 * public port. Anything else is 404.
 */
export async function startMetricsServer(
  metrics: MetricsSource,
  options: { host: string; port: number; log: Pick<FastifyBaseLogger, 'info' | 'error'> },
): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    metrics.collect().then(
      (text) => {
        response.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        options.log.error({ err }, 'metrics collection failed');
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Metrics collection failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  options.log.info({ host: options.host, port }, 'metrics listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
