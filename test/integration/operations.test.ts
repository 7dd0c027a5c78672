import { connectionRefused, freePort, startTestServer, TestServer, BOOTSTRAP } from '../helpers/test-app';
import { basicAuth } from '../helpers/fixtures';
import { loadConfig } from '../../src/config';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: response.status, headers: response.headers, body };
}

/** Prometheus text → value by metric name and labels (label order does not matter). */
function parseMetrics(text: string): (name: string, labels?: Record<string, string>) => number {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    values.set(keyOf(match[1], labels), Number(match[3]));
  }
  return (name, labels = {}) => values.get(keyOf(name, labels)) ?? 0;
}

function keyOf(name: string, labels: Record<string, string>): string {
  return `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`;
}

describe('operations: health, readiness, request ids', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('GET /healthz answers 200 ok, not cached, with a request id', async () => {
    const res = await get(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-request-id')).toMatch(UUID);
  });

  it('GET /readyz answers 200 when the database, the migrations and the keys are in order', async () => {
    const res = await get(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { database: 'ok', migrations: 'ok', keys: 'ok' } });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('echoes a well-formed x-request-id and replaces any other with a new UUID', async () => {
    const echoed = await get(`${server.url}/healthz`, { 'x-request-id': 'trace-0123.abc_DEF' });
    expect(echoed.headers.get('x-request-id')).toBe('trace-0123.abc_DEF');

    for (const bad of ['short', 'has spaces in it', 'x'.repeat(101), 'quote"and<tag>', 'a;b=c,d/e']) {
      const res = await get(`${server.url}/healthz`, { 'x-request-id': bad });
      expect(res.headers.get('x-request-id')).toMatch(UUID);
    }

    // Every response has one, errors and unknown paths included; each request gets its own.
    const ids = new Set<string>();
    for (const path of ['/nope?code=secret', '/.well-known/jwks.json', '/readyz']) {
      const res = await get(`${server.url}${path}`);
      expect(res.headers.get('x-request-id')).toMatch(UUID);
      ids.add(res.headers.get('x-request-id')!);
    }
    const tokenError = await server.token(
      { grant_type: 'client_credentials' },
      { authorization: basicAuth(BOOTSTRAP.clientId, 'wrong-secret') },
    );
    expect(tokenError.status).toBe(401);
    expect(tokenError.headers.get('x-request-id')).toMatch(UUID);
    ids.add(tokenError.headers.get('x-request-id')!);
    expect(ids.size).toBe(4);
  });

  it('metrics are off by default: no /metrics on the public port, no metrics server', async () => {
    const res = await get(`${server.url}/metrics`);
    expect(res.status).toBe(404);
    expect(server.app.metricsServer).toBeUndefined();
  });

  it('GET /readyz answers 503 naming the failing checks when the database is unreachable, and recovers', async () => {
    const { dataSource } = server.app.database;
    await dataSource.destroy();
    try {
      const res = await get(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: 'unavailable', checks: { database: 'unavailable', migrations: 'unavailable', keys: 'ok' } });
      expect(res.headers.get('cache-control')).toBe('no-store');
      // The process still serves.
      expect((await get(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await dataSource.initialize();
    }
    const again = await get(`${server.url}/readyz`);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('ready');
  });

  it('GET /readyz answers 503 shutting_down once a shutdown began (load balancers drain it)', async () => {
    server.app.beginShutdown();
    const res = await get(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'shutting_down' });
    expect((await get(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('operations: Prometheus metrics on METRICS_PORT', () => {
  let server: TestServer;
  let metricsPort: number;
  const scrape = async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parseMetrics(await res.text());
  };

  beforeAll(async () => {
    metricsPort = await freePort();
    server = await startTestServer({ env: { METRICS_PORT: String(metricsPort) } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves /metrics on its own port only', async () => {
    expect(server.app.metricsServer?.port).toBe(metricsPort);
    expect(metricsPort).not.toBe(server.config.port);
    expect((await get(`${server.url}/metrics`)).status).toBe(404);
    expect((await get(`http://127.0.0.1:${metricsPort}/other`)).status).toBe(404);
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    // Default process metrics are there too.
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^# TYPE apiauth_token_requests_total counter$/m);
  });

  it('counts token requests by grant type and outcome, GraphQL operations by name, type and outcome, and times requests', async () => {
    const before = await scrape();
    const token = server.config.managementAudience;
    const ok = await server.token(
      { grant_type: 'client_credentials', audience: token },
      { authorization: basicAuth(BOOTSTRAP.clientId, BOOTSTRAP.clientSecret) },
    );
    expect(ok.status).toBe(200);
    const bad = await server.token(
      { grant_type: 'client_credentials', audience: token },
      { authorization: basicAuth(BOOTSTRAP.clientId, 'not-the-secret') },
    );
    expect(bad.status).toBe(401);
    const unsupported = await server.token({ grant_type: 'urn:made-up:grant-type-with-a-long-name' });
    expect(unsupported.status).toBe(400);

    const named = await server.gql(`query ListApis { resourceServers(first: 1) { totalCount } }`, undefined, ok.body.access_token);
    expect(named.status).toBe(200);
    expect(named.body.errors).toBeUndefined();
    const anonymous = await server.gql(`{ resourceServers(first: 1) { totalCount } }`, undefined, ok.body.access_token);
    expect(anonymous.body.errors).toBeUndefined();
    const invalid = await server.gql(`query Broken { noSuchField }`, undefined, ok.body.access_token);
    expect(invalid.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    await get(`${server.url}/no/such/path/${'x'.repeat(20)}`);

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => after(name, labels) - before(name, labels);
    expect(delta('apiauth_token_requests_total', { grant_type: 'client_credentials', outcome: 'success' })).toBe(1);
    expect(delta('apiauth_token_requests_total', { grant_type: 'client_credentials', outcome: 'invalid_client' })).toBe(1);
    // The caller's grant_type text never becomes a label value.
    expect(delta('apiauth_token_requests_total', { grant_type: 'other', outcome: 'unsupported_grant_type' })).toBe(1);
    expect(delta('apiauth_graphql_operations_total', { operation_name: 'ListApis', operation_type: 'query', outcome: 'success' })).toBe(1);
    expect(delta('apiauth_graphql_operations_total', { operation_name: 'anonymous', operation_type: 'query', outcome: 'success' })).toBe(1);
    expect(
      delta('apiauth_graphql_operations_total', {
        operation_name: 'unknown',
        operation_type: 'unknown',
        outcome: 'GRAPHQL_VALIDATION_FAILED',
      }),
    ).toBe(1);
    expect(delta('apiauth_graphql_operation_duration_seconds_count', { operation_type: 'query' })).toBe(2);
    expect(delta('apiauth_http_request_duration_seconds_count', { method: 'POST', route: '/oauth/token', status: '200' })).toBe(1);
    expect(delta('apiauth_http_request_duration_seconds_count', { method: 'POST', route: '/oauth/token', status: '401' })).toBe(1);
    expect(delta('apiauth_http_request_duration_seconds_count', { method: 'POST', route: '/graphql', status: '200' })).toBe(2);
    // Unknown paths share one series: the raw URL is never a label.
    expect(delta('apiauth_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()).not.toContain('no/such/path');
  });

  it('counts introspection outcomes', async () => {
    const before = await scrape();
    const res = await fetch(`${server.url}/oauth/introspect`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuth(BOOTSTRAP.clientId, BOOTSTRAP.clientSecret),
      },
      body: 'token=not-a-token',
    });
    expect(await res.json()).toEqual({ active: false });
    const after = await scrape();
    expect(
      after('apiauth_introspection_requests_total', { outcome: 'inactive' }) -
        before('apiauth_introspection_requests_total', { outcome: 'inactive' }),
    ).toBe(1);
  });

  it('caps GraphQL operation names: very long names count as "other"', async () => {
    const before = await scrape();
    const name = `Q${'x'.repeat(80)}`;
    const res = await server.gql(`query ${name} { __typename }`);
    expect(res.body.errors).toBeUndefined();
    const after = await scrape();
    const labels = { operation_name: 'other', operation_type: 'query', outcome: 'success' };
    expect(after('apiauth_graphql_operations_total', labels) - before('apiauth_graphql_operations_total', labels)).toBe(1);
  });

  it('closes the metrics port with the app', async () => {
    await server.close();
    server = undefined as unknown as TestServer;
    expect(await connectionRefused(metricsPort)).toBe(true);
  });
});

describe('operations settings', () => {
  it('reads SHUTDOWN_TIMEOUT_SECONDS, SHUTDOWN_DELAY_SECONDS, ACCESS_LOG, METRICS_PORT and METRICS_HOST with checked defaults', () => {
    const defaults = loadConfig({});
    expect({
      shutdownTimeoutSeconds: defaults.shutdownTimeoutSeconds,
      shutdownDelaySeconds: defaults.shutdownDelaySeconds,
      accessLog: defaults.accessLog,
      metrics: defaults.metrics,
    }).toEqual({ shutdownTimeoutSeconds: 10, shutdownDelaySeconds: 0, accessLog: true, metrics: undefined });
    const set = loadConfig({
      SHUTDOWN_TIMEOUT_SECONDS: '30',
      SHUTDOWN_DELAY_SECONDS: '5',
      ACCESS_LOG: 'false',
      METRICS_PORT: '9464',
      METRICS_HOST: '0.0.0.0',
    });
    expect([set.shutdownTimeoutSeconds, set.shutdownDelaySeconds, set.accessLog, set.metrics]).toEqual([
      30,
      5,
      false,
      { port: 9464, host: '0.0.0.0' },
    ]);

    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_SECONDS: '0' })).toThrow(/SHUTDOWN_TIMEOUT_SECONDS must be an integer from 1 to 300/);
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_SECONDS: '5', SHUTDOWN_DELAY_SECONDS: '5' })).toThrow(
      /SHUTDOWN_DELAY_SECONDS must be shorter/,
    );
    expect(() => loadConfig({ PORT: '9000', METRICS_PORT: '9000' })).toThrow(/METRICS_PORT must differ from PORT/);
    expect(() => loadConfig({ METRICS_PORT: 'abc' })).toThrow(/METRICS_PORT must be an integer/);
    expect(() => loadConfig({ ACCESS_LOG: 'maybe' })).toThrow(/ACCESS_LOG must be true or false/);
  });
});
