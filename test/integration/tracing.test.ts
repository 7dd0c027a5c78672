import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { BOOTSTRAP, freePort } from '../helpers/test-app';
import { basicAuth } from '../helpers/fixtures';
import { MAIN, ServiceProcess, spawnNode, waitUntilReady } from '../helpers/service-process';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { DATA_ROOT } from '../helpers/data-root';

/**
 * OpenTelemetry tracing of the real process (`node dist/src/main.js`): with
 * OTEL_EXPORTER_OTLP_ENDPOINT pointing at a local OTLP/HTTP receiver, a token request and a GraphQL
 * operation arrive as spans (decoded from OTLP JSON); without it, no OpenTelemetry module is loaded.
 * Which modules a process loaded is read from its require.cache, written at exit by a preload.
 */

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  scope: string;
  resource: Record<string, unknown>;
}

const SPAN_KIND_SERVER = 2;
/** A first start on a fresh data directory creates the embedded database: slow on a busy 2-core machine. */
const START_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 180_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An OTLP/JSON AnyValue as a plain value (int64 values arrive as strings). */
function anyValue(value: Record<string, any>): unknown {
  if ('stringValue' in value) return value.stringValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return value.doubleValue;
  if ('boolValue' in value) return value.boolValue;
  if ('arrayValue' in value) return (value.arrayValue.values ?? []).map(anyValue);
  return undefined;
}

const attributesOf = (list: { key: string; value: Record<string, any> }[] = []) =>
  Object.fromEntries(list.map(({ key, value }) => [key, anyValue(value)]));

/** The spans of an ExportTraceServiceRequest in OTLP/JSON. */
function decodeSpans(body: any): Span[] {
  return body.resourceSpans.flatMap((resourceSpans: any) =>
    resourceSpans.scopeSpans.flatMap((scopeSpans: any) =>
      scopeSpans.spans.map((span: any) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        name: span.name,
        kind: span.kind,
        attributes: attributesOf(span.attributes),
        scope: scopeSpans.scope.name,
        resource: attributesOf(resourceSpans.resource.attributes),
      })),
    ),
  );
}

describe('tracing (the built process)', () => {
  const root = fs.mkdtempSync(path.join(DATA_ROOT, 'apiauth-tracing-'));
  const dataDir = path.join(root, 'data');
  const modulesFile = path.join(root, 'modules.json');
  const preload = path.join(root, 'report-modules.cjs');
  let database: TestDatabase | undefined;
  let receiver: http.Server;
  let otlpUrl: string;
  /** Every export request received: path, headers and raw body. */
  const exports: { path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does it in pretest)`);
    if (process.env.DATABASE_URL) database = await createTestDatabase();
    fs.writeFileSync(
      preload,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(modulesFile)}, JSON.stringify(Object.keys(require.cache))));\n`,
    );
    receiver = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        exports.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    otlpUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
    await database?.drop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** Starts the service with `env` and the module-reporting preload, and waits until it is ready. */
  async function start(env: Record<string, string>): Promise<{ service: ServiceProcess; url: string }> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    fs.rmSync(modulesFile, { force: true });
    const service = spawnNode(MAIN, [], {
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER: url,
      ...(database ? { DATABASE_URL: database.url } : { DATA_DIR: dataDir }),
      BOOTSTRAP_CLIENT_ID: BOOTSTRAP.clientId,
      BOOTSTRAP_CLIENT_SECRET: BOOTSTRAP.clientSecret,
      LOG_LEVEL: 'warn',
      EXPLORER: 'false',
      NODE_OPTIONS: `--require ${preload}`,
      ...env,
    });
    try {
      await waitUntilReady(service, url, START_TIMEOUT_MS);
    } catch (error) {
      service.child.kill('SIGKILL');
      throw error;
    }
    return { service, url };
  }

  /** Stops the service (SIGTERM) and answers the modules it had loaded. */
  async function stop(service: ServiceProcess): Promise<string[]> {
    service.child.kill('SIGTERM');
    expect(await service.closed).toBe(0);
    return JSON.parse(fs.readFileSync(modulesFile, 'utf8'));
  }

  /** A management token (client credentials) and a named GraphQL mutation with it: what each test traces. */
  async function tokenAndGraphql(url: string) {
    const tokenResponse = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: basicAuth(BOOTSTRAP.clientId, BOOTSTRAP.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', audience: `${url}/api/v2/` }),
    });
    expect(tokenResponse.status).toBe(200);
    const accessToken: string = (await tokenResponse.json()).access_token;
    const graphqlResponse = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        operationName: 'TracedClientCreate',
        query: `mutation TracedClientCreate {
          clientCreate(input: { name: "literal-name-kept-out-of-traces", appType: MACHINE_TO_MACHINE }) {
            client { clientId } clientSecret userErrors { message }
          }
        }`,
      }),
    });
    expect(graphqlResponse.status).toBe(200);
    const created = (await graphqlResponse.json()).data.clientCreate;
    expect(created.userErrors).toEqual([]);
    return { accessToken, clientSecret: created.clientSecret as string };
  }

  it(
    'exports HTTP, token issuance, GraphQL and pg spans over OTLP/HTTP, with nothing secret in them',
    async () => {
      const metricsPort = await freePort();
      const { service, url } = await start({
        OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=collector%20key',
        METRICS_PORT: String(metricsPort),
        // The SDK's batch delay (default 5 s), shortened so spans arrive while the test waits.
        OTEL_BSP_SCHEDULE_DELAY: '100',
      });
      let modules: string[];
      let secrets: string[];
      try {
        // Before the requests whose spans are awaited below: had these been traced, their spans would be exported first.
        expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(200);
        expect((await fetch(`${url}/healthz`)).status).toBe(200);
        const { accessToken, clientSecret } = await tokenAndGraphql(url);
        secrets = [
          BOOTSTRAP.clientSecret,
          accessToken,
          accessToken.split('.')[2],
          clientSecret,
          'literal-name-kept-out-of-traces',
          'query-value-kept-out',
        ];
        expect((await fetch(`${url}/.well-known/openid-configuration?probe=query-value-kept-out`)).status).toBe(200);

        const spans = () => exports.flatMap((received) => decodeSpans(JSON.parse(received.body)));
        const serverSpan = (route: string) => spans().find((s) => s.kind === SPAN_KIND_SERVER && s.attributes['http.route'] === route);
        const deadline = Date.now() + 15_000;
        while (!(serverSpan('/oauth/token') && serverSpan('/graphql') && serverSpan('/.well-known/openid-configuration'))) {
          if (Date.now() > deadline)
            throw new Error(
              `spans missing; received: ${spans()
                .map((s) => s.name)
                .join(', ')}`,
            );
          await sleep(100);
        }
        modules = await stop(service);

        for (const received of exports) {
          expect(received.path).toBe('/v1/traces');
          expect(received.headers['content-type']).toBe('application/json');
          expect(received.headers['x-collector-key']).toBe('collector key');
        }
        const all = spans();
        expect(new Set(all.map((s) => s.resource['service.name']))).toEqual(new Set(['apiauth']));

        // The token request: a server span named by its route, and the issuance as a child in its trace.
        const tokenRequest = serverSpan('/oauth/token')!;
        expect(tokenRequest.name).toBe('POST /oauth/token');
        expect(tokenRequest.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 200 });
        const issuance = all.filter((s) => s.name === 'oauth.token.issue');
        expect(issuance).toHaveLength(1);
        expect(issuance[0].traceId).toBe(tokenRequest.traceId);
        expect(issuance[0].attributes).toEqual({
          'oauth.grant_type': 'client_credentials',
          'oauth.client_id': BOOTSTRAP.clientId,
          'oauth.audience': `${url}/api/v2/`,
        });

        // The GraphQL operation: its execution span names the operation; its statements are pg spans.
        const graphqlRequest = serverSpan('/graphql')!;
        expect(graphqlRequest.name).toBe('POST /graphql');
        expect(graphqlRequest.attributes['http.response.status_code']).toBe(200);
        const inRequest = all.filter((s) => s.traceId === graphqlRequest.traceId);
        const operation = inRequest.find((s) => s.attributes['graphql.operation.name'] === 'TracedClientCreate');
        expect(operation).toMatchObject({ name: 'mutation TracedClientCreate', attributes: { 'graphql.operation.type': 'mutation' } });
        const statements = inRequest.filter((s) => s.scope === '@opentelemetry/instrumentation-pg' && s.name.startsWith('pg.query'));
        expect(statements.length).toBeGreaterThan(0);
        for (const statement of statements) expect(statement.attributes['db.system.name']).toBe('postgresql');
        expect(statements.some((s) => /^INSERT INTO "?clients"?/i.test(String(s.attributes['db.query.text'])))).toBe(true);

        // A query string is kept as parameter names only.
        expect(serverSpan('/.well-known/openid-configuration')!.attributes['url.query']).toBe('probe=REDACTED');
        // The probes (waitUntilReady polled /readyz) and the metrics port are not traced.
        const paths = new Set(all.map((s) => s.attributes['url.path']));
        for (const untraced of ['/readyz', '/healthz', '/metrics']) expect(paths.has(untraced)).toBe(false);

        // Nothing secret anywhere in what was exported: not the client secrets, the token, a GraphQL literal or a query value.
        const exported = exports.map((received) => received.body).join('\n');
        for (const secret of secrets) expect(exported).not.toContain(secret);
      } finally {
        if (service.child.exitCode === null) service.child.kill('SIGKILL');
      }
      // The preload sees OpenTelemetry modules when they are loaded (so the check below can fail).
      expect(modules.some((file) => file.includes(`${path.sep}@opentelemetry${path.sep}`))).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'sends http/protobuf by default, to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, as OTEL_SERVICE_NAME',
    async () => {
      const receivedBefore = exports.length;
      const { service, url } = await start({
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlpUrl}/custom/traces`,
        OTEL_SERVICE_NAME: 'apiauth-traced',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      });
      let secrets: string[];
      const received = () => exports.slice(receivedBefore);
      const body = () =>
        received()
          .map((r) => r.body)
          .join('\n');
      try {
        const { accessToken, clientSecret } = await tokenAndGraphql(url);
        secrets = [BOOTSTRAP.clientSecret, accessToken, accessToken.split('.')[2], clientSecret];
        // Protobuf carries strings as UTF-8 bytes: span names and attributes can be read in the raw body.
        const deadline = Date.now() + 15_000;
        while (!body().includes('oauth.token.issue') || !body().includes('TracedClientCreate')) {
          if (Date.now() > deadline) throw new Error('no span received over http/protobuf');
          await sleep(100);
        }
      } finally {
        await stop(service);
      }
      for (const request of received()) {
        expect(request.path).toBe('/custom/traces');
        expect(request.headers['content-type']).toBe('application/x-protobuf');
      }
      for (const text of ['apiauth-traced', 'oauth.client_id', BOOTSTRAP.clientId, 'POST /oauth/token']) expect(body()).toContain(text);
      for (const secret of secrets) expect(body()).not.toContain(secret);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'loads no OpenTelemetry module when OTEL_EXPORTER_OTLP_ENDPOINT is unset',
    async () => {
      const receivedBefore = exports.length;
      const { service, url } = await start({});
      let modules: string[];
      try {
        await tokenAndGraphql(url);
      } finally {
        modules = await stop(service);
      }
      expect(modules.some((file) => file.includes(`${path.sep}pg${path.sep}`))).toBe(true);
      expect(modules.filter((file) => file.includes('opentelemetry'))).toEqual([]);
      expect(exports.length).toBe(receivedBefore);
    },
    TEST_TIMEOUT_MS,
  );
});
