import { createSecretKey, randomUUID } from 'node:crypto';
import net from 'node:net';
import { createRemoteJWKSet, decodeJwt, JWTPayload, jwtVerify } from 'jose';
import { freePort, startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, ClientFixture, fixtures, uuidOf, userErrors } from '../helpers/fixtures';
import { answer, HookServer, signatureValid, startHookServer } from '../helpers/hook-server';
import { authorize, exchangeCode, refresh } from '../helpers/refresh-flow';
import { BrowserAgent } from '../helpers/browser-agent';
import { PROTECTED_CLAIMS, TokenContext } from '../../src/oauth/tokens/token-context';
import { TokenHookCaller } from '../../src/oauth/token-hook/token-hook-caller';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';

const HOOK_SET = `mutation($id: ID!, $input: ResourceServerTokenHookSetInput!) {
  resourceServerTokenHookSet(id: $id, input: $input) {
    resourceServer { id tokenHook { url timeoutMs failurePolicy } }
    tokenHook { url timeoutMs failurePolicy createdAt updatedAt }
    hookSecret
    userErrors { field code message }
  }
}`;
const HOOK_REMOVE = `mutation($id: ID!) {
  resourceServerTokenHookRemove(id: $id) { resourceServer { id tokenHook { url } } userErrors { field code message } }
}`;
const HOOK_TEST = `mutation($id: ID!, $input: ResourceServerTokenHookTestInput) {
  resourceServerTokenHookTest(id: $id, input: $input) { claims error userErrors { field code message } }
}`;
const API_HOOK = `query($id: ID!) { node(id: $id) { ... on ResourceServer { tokenHook { url timeoutMs failurePolicy createdAt updatedAt } } } }`;
const CLIENT_UPDATE = `mutation($id: ID!, $input: ClientUpdateInput!) {
  clientUpdate(id: $id, input: $input) { client { id metadata { key value } } userErrors { field code message } }
}`;
const CLIENT_CREATE = `mutation($input: ClientCreateInput!) {
  clientCreate(input: $input) { client { id clientId metadata { key value } } clientSecret userErrors { field code message } }
}`;
const USER_CREATE = `mutation($input: UserCreateInput!) {
  userCreate(input: $input) { user { id email appMetadata } userErrors { field code message } }
}`;
const USER_UPDATE = `mutation($id: ID!, $input: UserUpdateInput!) {
  userUpdate(id: $id, input: $input) { user { id appMetadata } userErrors { field code message } }
}`;
const AUDIT_FAILURES = `query($filter: AuditEventFilter) {
  auditEvents(last: 100, filter: $filter) { nodes { operation outcome targetType targetId summary actor { subject clientId } } }
}`;

const PASSWORD = 'correct horse battery staple';
const CALLBACK = 'https://web.example/callback';
/** A marker only hook bodies carry: it must never reach a response, the audit log or the logs. */
const BODY_MARKER = 'HOOK-BODY-MARKER-7f3a';

type HttpResult = { status: number; headers: Headers; body: any };

describe('token hooks (custom claims)', () => {
  let server: TestServer;
  let hooks: HookServer;
  let metricsPort: number;
  const logLines: string[] = [];
  const { gqlData, createApi, createClient, createGrant } = fixtures(() => server, 'hook');
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  beforeAll(async () => {
    hooks = await startHookServer();
    metricsPort = await freePort();
    server = await startTestServer({
      env: { TOKEN_HOOK_ALLOWED_HOSTS: '127.0.0.1', METRICS_PORT: String(metricsPort), LOG_LEVEL: 'warn' },
      logStream: { write: (line) => void logLines.push(line) },
    });
    jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
  });
  afterAll(async () => {
    await server.close();
    await hooks.close();
  });

  let seq = 0;
  /** A fresh hook path on the local hook server. */
  const hookPath = (name: string) => `/${name}-${++seq}`;

  async function setHook(api: { id: string }, input: Record<string, unknown>) {
    const payload = (await gqlData(HOOK_SET, { id: api.id, input })).resourceServerTokenHookSet;
    expect(payload.userErrors).toEqual([]);
    return payload as { tokenHook: any; hookSecret: string | null; resourceServer: any };
  }

  /** An API with a hook at `path` answering with `handler`, and a machine client granted read:x. */
  async function apiWithHook(path: string, input: Record<string, unknown> = {}, apiInput: Record<string, unknown> = {}) {
    const api = await createApi(apiInput);
    const { hookSecret } = await setHook(api, { url: `${hooks.url}${path}`, ...input });
    const client = await createClient();
    await createGrant(client, api, ['read:x']);
    return { api, client, secret: hookSecret! };
  }

  const clientCredentials = (client: ClientFixture, api: ApiFixture): Promise<HttpResult> =>
    server.token(
      { grant_type: 'client_credentials', audience: api.identifier },
      { authorization: basicAuth(client.clientId, client.clientSecret!) },
    );

  async function verified(token: string, api: ApiFixture): Promise<JWTPayload> {
    return (await jwtVerify(token, jwks, { audience: api.identifier, issuer: server.url })).payload;
  }

  function expectOAuthError(res: HttpResult, status: number, error: string) {
    expect({ status: res.status, body: res.body }).toEqual({ status, body: { error, error_description: expect.any(String) } });
    expect(JSON.stringify(res.body)).not.toContain(BODY_MARKER);
    expect(res.headers.get('cache-control')).toBe('no-store');
  }

  async function metric(name: string, labels = ''): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  async function failureEvents(apiId: string) {
    const res = await server.gql(AUDIT_FAILURES, { filter: { operation: 'tokenHookFailure', targetId: apiId } });
    expect(res.body.errors).toBeUndefined();
    return res.body.data.auditEvents.nodes as any[];
  }

  /** Polls until `read` satisfies `done` (audit failure events are written without waiting). */
  async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const value = await read();
      if (done(value) || Date.now() > deadline) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  describe('managing a hook', () => {
    it('set returns the secret once, with the defaults; set again keeps it; rotateSecret replaces it; remove clears it', async () => {
      const api = await createApi();
      const url = `${hooks.url}/managed`;
      const created = await setHook(api, { url });
      expect(created.hookSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(created.tokenHook).toEqual({
        url,
        timeoutMs: 2000,
        failurePolicy: 'DENY',
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(created.resourceServer.tokenHook).toEqual({ url, timeoutMs: 2000, failurePolicy: 'DENY' });
      expect((await gqlData(API_HOOK, { id: api.id })).node.tokenHook).toEqual(created.tokenHook);

      const updated = await setHook(api, { url: `${url}/v2`, timeoutMs: 500, failurePolicy: 'ALLOW_WITHOUT_CLAIMS' });
      expect(updated.hookSecret).toBeNull();
      expect(updated.tokenHook).toMatchObject({
        url: `${url}/v2`,
        timeoutMs: 500,
        failurePolicy: 'ALLOW_WITHOUT_CLAIMS',
        createdAt: created.tokenHook.createdAt,
      });
      const [row] = await server.db.query<{ secret_sealed: string }>(
        'SELECT secret_sealed FROM token_hooks WHERE resource_server_id = $1',
        [uuidOf(api.id)],
      );
      // Sealed at rest, never the secret itself.
      expect(row.secret_sealed).toMatch(/^v1\./);
      expect(row.secret_sealed).not.toContain(created.hookSecret);

      const rotated = await setHook(api, { url, rotateSecret: true });
      expect(rotated.hookSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(rotated.hookSecret).not.toBe(created.hookSecret);
      // Omitted settings are back to their defaults: a set is the whole configuration.
      expect(rotated.tokenHook).toMatchObject({ timeoutMs: 2000, failurePolicy: 'DENY' });

      const removed = (await gqlData(HOOK_REMOVE, { id: api.id })).resourceServerTokenHookRemove;
      expect(removed).toEqual({ resourceServer: { id: api.id, tokenHook: null }, userErrors: [] });
      const again = (await gqlData(HOOK_REMOVE, { id: api.id })).resourceServerTokenHookRemove;
      expect(again.userErrors).toEqual(userErrors([['id'], 'NOT_FOUND']));
    });

    it('refuses URLs that are not https (unless allow-listed), carry credentials, are not URLs, and bad timeouts', async () => {
      const api = await createApi();
      const cases: [Record<string, unknown>, string[]][] = [
        [{ url: 'http://hooks.example.com/claims' }, ['input', 'url']],
        [{ url: 'http://localhost/claims' }, ['input', 'url']],
        [{ url: 'https://user:pw@hooks.example.com/claims' }, ['input', 'url']],
        [{ url: 'not a url' }, ['input', 'url']],
        [{ url: '/relative/path' }, ['input', 'url']],
        [{ url: 'ftp://hooks.example.com/claims' }, ['input', 'url']],
        [{ url: `https://hooks.example.com/${'a'.repeat(2000)}` }, ['input', 'url']],
        [{ url: 'https://hooks.example.com/claims#frag' }, ['input', 'url']],
        [{ url: 'https://hooks.example.com/claims', timeoutMs: 99 }, ['input', 'timeoutMs']],
        [{ url: 'https://hooks.example.com/claims', timeoutMs: 10_001 }, ['input', 'timeoutMs']],
      ];
      for (const [input, field] of cases) {
        const payload = (await gqlData(HOOK_SET, { id: api.id, input })).resourceServerTokenHookSet;
        expect({ input, payload }).toEqual({
          input,
          payload: { resourceServer: null, tokenHook: null, hookSecret: null, userErrors: userErrors([field, 'INVALID']) },
        });
        // The URL (and whatever credentials it held) is not echoed back.
        expect(payload.userErrors[0].message).not.toContain('pw@');
      }
      // https anywhere, and http for an allow-listed host, are accepted.
      await setHook(api, { url: 'https://hooks.example.com/claims' });
      await setHook(api, { url: `http://127.0.0.1:${hooks.port}/claims` });
      await setHook(api, { url: `HTTP://127.0.0.1:${hooks.port}/upper` });
    });

    it('the Management API cannot have a hook; unknown APIs are NOT_FOUND', async () => {
      const system = await gqlData(`query($identifier: String!) { resourceServer(identifier: $identifier) { id } }`, {
        identifier: server.config.managementAudience,
      });
      const payload = (await gqlData(HOOK_SET, { id: system.resourceServer.id, input: { url: 'https://hooks.example.com/' } }))
        .resourceServerTokenHookSet;
      expect(payload.userErrors).toEqual(userErrors([['id'], 'SYSTEM_RESOURCE']));
      const unknown = (await gqlData(HOOK_SET, { id: 'bm9wZQ', input: { url: 'https://hooks.example.com/' } })).resourceServerTokenHookSet;
      expect(unknown.userErrors).toEqual(userErrors([['id'], 'NOT_FOUND']));
    });

    it('setting, removing and testing need update:resource_servers', async () => {
      const api = await createApi();
      const readOnly = await server.managementToken(['read:resource_servers']);
      for (const [query, variables] of [
        [HOOK_SET, { id: api.id, input: { url: 'https://hooks.example.com/' } }],
        [HOOK_REMOVE, { id: api.id }],
        [HOOK_TEST, { id: api.id }],
      ] as const) {
        const res = await server.gql(query, variables, readOnly);
        expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      }
      // Reading the hook needs only read:resource_servers.
      await setHook(api, { url: 'https://hooks.example.com/read' });
      const read = await server.gql(API_HOOK, { id: api.id }, readOnly);
      expect(read.body.data.node.tokenHook).toMatchObject({ url: 'https://hooks.example.com/read' });
    });
  });

  describe('client_credentials', () => {
    it("adds the hook's claims after a signed call carrying the client's metadata; the protected claims stay the service's", async () => {
      const path = hookPath('claims');
      hooks.route(path, answer({ claims: { 'https://example.com/tier': 'gold', roles: ['a', 'b'], nested: { x: 1 } } }));
      const { api, client, secret } = await apiWithHook(path);
      await gqlData(CLIENT_UPDATE, {
        id: client.id,
        input: {
          metadata: [
            { key: 'tier', value: 'gold' },
            { key: 'region', value: 'eu' },
          ],
        },
      });

      const before = Math.floor(Date.now() / 1000);
      const res = await clientCredentials(client, api);
      expect(res.status).toBe(200);
      const claims = await verified(res.body.access_token, api);
      expect(claims).toMatchObject({
        'https://example.com/tier': 'gold',
        roles: ['a', 'b'],
        nested: { x: 1 },
        sub: client.clientId,
        client_id: client.clientId,
        aud: api.identifier,
        scope: 'read:x',
      });

      const [call] = hooks.callsTo(path);
      expect(call.method).toBe('POST');
      expect(call.headers['content-type']).toBe('application/json');
      expect(signatureValid(call, secret)).toBe(true);
      expect(signatureValid({ ...call, body: Buffer.concat([call.body, Buffer.from(' ')]) }, secret)).toBe(false);
      expect(signatureValid(call, 'another secret')).toBe(false);
      const timestamp = Number(call.headers['x-hook-timestamp']);
      expect(timestamp).toBeGreaterThanOrEqual(before - 1);
      expect(timestamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1);
      expect(call.json).toEqual({
        timestamp,
        grantType: 'client_credentials',
        api: { identifier: api.identifier },
        client: { clientId: client.clientId, name: expect.any(String), metadata: { tier: 'gold', region: 'eu' } },
        user: null,
        scopes: ['read:x'],
      });
    });

    it('refuses the token (server_error) when the hook answers a protected claim, whatever the policy', async () => {
      for (const failurePolicy of ['DENY', 'ALLOW_WITHOUT_CLAIMS']) {
        const path = hookPath('protected');
        hooks.route(path, answer({ claims: { sub: 'someone-else', 'https://example.com/ok': 1 } }));
        const { api, client } = await apiWithHook(path, { failurePolicy });
        const res = await clientCredentials(client, api);
        expectOAuthError(res, 500, 'server_error');
        expect(res.body.access_token).toBeUndefined();
      }
      // Every protected name is refused, not only sub.
      for (const name of PROTECTED_CLAIMS) {
        const path = hookPath(`protected-${name}`);
        hooks.route(path, answer({ claims: { [name]: 'x' } }));
        const { api, client } = await apiWithHook(path, { failurePolicy: 'ALLOW_WITHOUT_CLAIMS' });
        expect({ name, status: (await clientCredentials(client, api)).status }).toEqual({ name, status: 500 });
      }
    });

    it('a slow hook times out: access_denied under DENY, a token without claims under ALLOW_WITHOUT_CLAIMS', async () => {
      const path = hookPath('slow');
      hooks.route(path, async (_call, response) => {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        answer({ claims: { late: true } })(_call, response);
      });
      const denied = await apiWithHook(path, { timeoutMs: 200, failurePolicy: 'DENY' });
      const startedAt = Date.now();
      expectOAuthError(await clientCredentials(denied.client, denied.api), 403, 'access_denied');
      const elapsed = Date.now() - startedAt;
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(1400);

      const allowed = await apiWithHook(path, { timeoutMs: 200, failurePolicy: 'ALLOW_WITHOUT_CLAIMS' });
      const res = await clientCredentials(allowed.client, allowed.api);
      expect(res.status).toBe(200);
      const claims = await verified(res.body.access_token, allowed.api);
      expect(claims.late).toBeUndefined();
      expect(claims).toMatchObject({ sub: allowed.client.clientId, scope: 'read:x' });
    });

    it.each([
      ['a non-2xx answer', answer({ error: BODY_MARKER }, 500), 'status'],
      ['a 204 without a body', (_call: unknown, response: any) => response.writeHead(204).end(), 'invalid_response'],
      [
        'a body that is not JSON',
        (_call: unknown, response: any) =>
          response.writeHead(200, { 'content-type': 'application/json' }).end(`<html>${BODY_MARKER}</html>`),
        'invalid_response',
      ],
      ['JSON without a claims object', answer({ claims: ['not', 'an', 'object'], note: BODY_MARKER }), 'invalid_response'],
      ['an answer over 8 KB', answer({ claims: { big: 'x'.repeat(9000), note: BODY_MARKER } }), 'invalid_response'],
      [
        'an answer over 8 KB without content-length',
        (_call: unknown, response: any) => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.write(`{"claims":{"big":"${'y'.repeat(6000)}`);
          setTimeout(() => response.end(`${'y'.repeat(6000)}"}}`), 20);
        },
        'invalid_response',
      ],
    ])(
      '%s is a fault: access_denied under DENY, no claims under ALLOW_WITHOUT_CLAIMS, audited and counted',
      async (_name, handler, reason) => {
        const path = hookPath('fault');
        hooks.route(path, handler as any);
        const failuresBefore = await metric('apiauth_token_hook_failures_total', `{reason="${reason}"}`);
        const denied = await apiWithHook(path, { failurePolicy: 'DENY' });
        expectOAuthError(await clientCredentials(denied.client, denied.api), 403, 'access_denied');

        const allowed = await apiWithHook(path, { failurePolicy: 'ALLOW_WITHOUT_CLAIMS' });
        const res = await clientCredentials(allowed.client, allowed.api);
        expect(res.status).toBe(200);
        const claims = await verified(res.body.access_token, allowed.api);
        expect(Object.keys(claims).sort()).toEqual(['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub']);

        expect(await metric('apiauth_token_hook_failures_total', `{reason="${reason}"}`)).toBe(failuresBefore + 2);
        const events = await eventually(
          () => failureEvents(denied.api.id),
          (e) => e.length >= 1,
        );
        expect(events).toEqual([
          {
            operation: 'tokenHookFailure',
            outcome: 'FAILURE',
            targetType: 'ResourceServer',
            targetId: denied.api.id,
            summary: expect.objectContaining({
              api: denied.api.identifier,
              reason,
              failurePolicy: 'DENY',
              tokenIssued: false,
              grantType: 'client_credentials',
            }),
            actor: { subject: denied.client.clientId, clientId: denied.client.clientId },
          },
        ]);
        const allowedEvents = await eventually(
          () => failureEvents(allowed.api.id),
          (e) => e.length >= 1,
        );
        expect(allowedEvents[0].summary).toMatchObject({ reason, failurePolicy: 'ALLOW_WITHOUT_CLAIMS', tokenIssued: true });
        expect(JSON.stringify([events, allowedEvents])).not.toContain(BODY_MARKER);
      },
    );

    it('does not follow redirects', async () => {
      const path = hookPath('redirect');
      const target = hookPath('redirect-target');
      hooks.route(path, (_call, response) => {
        response.writeHead(307, { location: `${hooks.url}${target}` }).end();
      });
      hooks.route(target, answer({ claims: { redirected: true } }));
      const { api, client } = await apiWithHook(path);
      expectOAuthError(await clientCredentials(client, api), 403, 'access_denied');
      expect(hooks.callsTo(path)).toHaveLength(1);
      expect(hooks.callsTo(target)).toHaveLength(0);
      const test = (await gqlData(HOOK_TEST, { id: api.id })).resourceServerTokenHookTest;
      expect(test).toEqual({ claims: null, error: 'answered HTTP 307 (redirects are not followed)', userErrors: [] });
      expect(hooks.callsTo(target)).toHaveLength(0);
    });

    it('refuses at call time a host that resolves to a loopback address unless it is allow-listed: no connection is made', async () => {
      // localhost resolves to 127.0.0.1 (and maybe ::1); only the name 127.0.0.1 is allow-listed.
      const path = hookPath('ssrf');
      hooks.route(path, answer({ claims: { reached: true } }));
      const api = await createApi();
      const client = await createClient();
      await createGrant(client, api, ['read:x']);
      const connectionsBefore = hooks.connections();
      const forbiddenBefore = await metric('apiauth_token_hook_failures_total', '{reason="forbidden_address"}');

      for (const url of [
        `https://localhost:${hooks.port}${path}`,
        `https://[::1]:${hooks.port}${path}`,
        `https://127.0.0.2:${hooks.port}${path}`,
        `https://[::ffff:127.0.0.1]:${hooks.port}${path}`,
        `https://169.254.169.254${path}`,
        `https://10.0.0.1${path}`,
      ]) {
        await setHook(api, { url, failurePolicy: 'DENY' });
        expectOAuthError(await clientCredentials(client, api), 403, 'access_denied');
        const test = (await gqlData(HOOK_TEST, { id: api.id })).resourceServerTokenHookTest;
        expect({ url, test }).toEqual({
          url,
          test: { claims: null, error: expect.stringMatching(/^address not allowed/), userErrors: [] },
        });
      }
      expect(hooks.callsTo(path)).toHaveLength(0);
      expect(hooks.connections()).toBe(connectionsBefore);
      expect(await metric('apiauth_token_hook_failures_total', '{reason="forbidden_address"}')).toBe(forbiddenBefore + 6);
      const events = await eventually(
        () => failureEvents(api.id),
        (e) => e.length >= 6,
      );
      expect(events.map((e) => e.summary.reason)).toEqual(Array(6).fill('forbidden_address'));
    });

    it('an http hook whose host left the allow-list is refused at call time, before any connection', async () => {
      const path = hookPath('delisted');
      hooks.route(path, answer({ claims: { reached: true } }));
      const connectionsBefore = hooks.connections();
      // A caller as an instance started without TOKEN_HOOK_ALLOWED_HOSTS has it.
      const caller = new TokenHookCaller(new Set());
      const hook = { url: `${hooks.url}${path}`, timeoutMs: 1000, secret: createSecretKey(Buffer.from('s')) };
      const payload = {
        timestamp: 0,
        grantType: 'client_credentials',
        api: { identifier: 'x' },
        client: { clientId: 'c', name: 'n', metadata: {} },
        user: null,
        scopes: [],
      };
      await expect(caller.call(hook, payload)).rejects.toMatchObject({
        reason: 'forbidden_address',
        message: expect.stringMatching(/^URL not allowed/),
      });
      await expect(caller.call({ ...hook, url: `https://127.0.0.1:${hooks.port}${path}` }, payload)).rejects.toMatchObject({
        reason: 'forbidden_address',
      });
      caller.close();
      expect(hooks.callsTo(path)).toHaveLength(0);
      expect(hooks.connections()).toBe(connectionsBefore);
    });

    it('retries once, on a new connection, when the hook closed a kept-alive connection as the call went out', async () => {
      // A raw server: answers the first request of each connection (keep-alive), resets the connection on the second.
      let connections = 0;
      let requests = 0;
      const sockets = new Set<net.Socket>();
      const raw = net.createServer((socket) => {
        connections++;
        sockets.add(socket);
        let seen = 0;
        let buffered = '';
        socket.on('data', (chunk) => {
          buffered += chunk.toString('latin1');
          const end = buffered.indexOf('\r\n\r\n');
          if (end < 0) return;
          const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
          if (buffered.length < end + 4 + length) return;
          buffered = buffered.slice(end + 4 + length);
          requests++;
          if (++seen > 1) return socket.resetAndDestroy();
          const text = JSON.stringify({ claims: { call: requests } });
          socket.write(
            `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${text.length}\r\nconnection: keep-alive\r\n\r\n${text}`,
          );
        });
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
      try {
        const api = await createApi();
        const client = await createClient();
        await createGrant(client, api, ['read:x']);
        await setHook(api, { url: `http://127.0.0.1:${(raw.address() as net.AddressInfo).port}/hook` });
        const first = await clientCredentials(client, api);
        expect(decodeJwt(first.body.access_token).call).toBe(1);
        const second = await clientCredentials(client, api);
        expect(second.status).toBe(200);
        expect(decodeJwt(second.body.access_token).call).toBe(3);
        expect({ connections, requests }).toEqual({ connections: 2, requests: 3 });
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => raw.close(() => resolve()));
      }
    });

    it('counts calls and their latency in the metrics; an API without a hook calls nothing', async () => {
      const path = hookPath('metrics');
      hooks.route(path, answer({ claims: { counted: true } }));
      const { api, client } = await apiWithHook(path);
      const callsBefore = await metric('apiauth_token_hook_calls_total');
      const latencyBefore = await metric('apiauth_token_hook_duration_seconds_count', '{outcome="success"}');
      for (let i = 0; i < 3; i++) expect((await clientCredentials(client, api)).status).toBe(200);
      expect(await metric('apiauth_token_hook_calls_total')).toBe(callsBefore + 3);
      expect(await metric('apiauth_token_hook_duration_seconds_count', '{outcome="success"}')).toBe(latencyBefore + 3);

      const plain = await createApi();
      const machine = await createClient();
      await createGrant(machine, plain, ['read:x']);
      const requestsBefore = hooks.calls.length;
      const callsMid = await metric('apiauth_token_hook_calls_total');
      const res = await clientCredentials(machine, plain);
      expect(res.status).toBe(200);
      expect(Object.keys(await verified(res.body.access_token, plain)).sort()).toEqual([
        'aud',
        'client_id',
        'exp',
        'iat',
        'iss',
        'jti',
        'scope',
        'sub',
      ]);
      expect(hooks.calls.length).toBe(requestsBefore);
      expect(await metric('apiauth_token_hook_calls_total')).toBe(callsMid);
    });

    it('without a hook, the source answers undefined synchronously (no promise): the token path pays nothing', async () => {
      const plain = await createApi();
      const machine = await createClient();
      const api = (await server.app.registry.api(plain.identifier))!;
      const client = (await server.app.registry.client(machine.clientId))!.client;
      expect(api.tokenHook ?? null).toBeNull();
      const context: TokenContext = { grantType: 'client_credentials', client, api, user: null, scopes: ['read:x'] };
      for (const source of server.app.customClaims) expect(source.claimsFor(context)).toBeUndefined();

      // With a hook, a promise.
      const path = hookPath('sync');
      hooks.route(path, answer({ claims: { a: 1 } }));
      const hooked = await apiWithHook(path);
      const hookedApi = (await server.app.registry.api(hooked.api.identifier))!;
      const pending = server.app.customClaims[0].claimsFor({ ...context, api: hookedApi });
      expect(pending).toBeInstanceOf(Promise);
      await expect(pending).resolves.toEqual({ a: 1 });
    });

    it('a hook set, changed or removed applies from the next token (the cached API is dropped)', async () => {
      const api = await createApi();
      const client = await createClient();
      await createGrant(client, api, ['read:x']);
      const first = await clientCredentials(client, api);
      expect(decodeJwt(first.body.access_token).v).toBeUndefined();

      const path = hookPath('live');
      hooks.route(path, answer({ claims: { v: 1 } }));
      await setHook(api, { url: `${hooks.url}${path}` });
      expect(decodeJwt((await clientCredentials(client, api)).body.access_token).v).toBe(1);

      const path2 = hookPath('live');
      hooks.route(path2, answer({ claims: { v: 2 } }));
      await setHook(api, { url: `${hooks.url}${path2}` });
      expect(decodeJwt((await clientCredentials(client, api)).body.access_token).v).toBe(2);

      await gqlData(HOOK_REMOVE, { id: api.id });
      expect(decodeJwt((await clientCredentials(client, api)).body.access_token).v).toBeUndefined();
      expect(hooks.callsTo(path2)).toHaveLength(1);
    });

    it('logs faults with the API and the reason, never the body or the secret', async () => {
      const path = hookPath('logged');
      hooks.route(path, answer({ error: BODY_MARKER }, 503));
      const { api, client, secret } = await apiWithHook(path);
      expectOAuthError(await clientCredentials(client, api), 403, 'access_denied');
      const line = logLines.find((l) => l.includes('token hook failed') && l.includes(api.identifier));
      expect(line).toBeDefined();
      expect(JSON.parse(line!).tokenHook).toMatchObject({ api: api.identifier, reason: 'status', error: 'answered HTTP 503' });
      const all = logLines.join('\n');
      expect(all).not.toContain(BODY_MARKER);
      expect(all).not.toContain(secret);
    });
  });

  describe('user grants: the hook is told about the user', () => {
    let web: ClientFixture;
    let user: { id: string; email: string };

    beforeAll(async () => {
      web = await createClient({
        appType: 'REGULAR_WEB',
        callbacks: [CALLBACK],
        grantTypes: ['AUTHORIZATION_CODE', 'REFRESH_TOKEN', 'IMPLICIT'],
        metadata: [{ key: 'plan', value: 'enterprise' }],
      });
      const created = (
        await gqlData(USER_CREATE, {
          input: {
            email: `ada-${randomUUID().slice(0, 8)}@hooks.example`,
            password: PASSWORD,
            appMetadata: { roles: ['admin'], org: { id: 42 } },
          },
        })
      ).userCreate;
      expect(created.userErrors).toEqual([]);
      user = created.user;
    });

    async function userApi(name: string) {
      const path = hookPath(name);
      hooks.route(path, (call, response) =>
        answer({
          claims: {
            'https://example.com/roles': call.json.user?.appMetadata?.roles ?? null,
            'https://example.com/grant': call.json.grantType,
          },
        })(call, response),
      );
      const api = await createApi({ allowOfflineAccess: true, allowSkippingUserConsent: true });
      const { hookSecret } = await setHook(api, { url: `${hooks.url}${path}` });
      return { api, path, secret: hookSecret! };
    }

    function expectUserPayload(call: any, api: ApiFixture, grantType: string, scopes: string[]) {
      expect(call.json).toEqual({
        timestamp: Number(call.headers['x-hook-timestamp']),
        grantType,
        api: { identifier: api.identifier },
        client: { clientId: web.clientId, name: expect.any(String), metadata: { plan: 'enterprise' } },
        user: { sub: uuidOf(user.id), email: user.email, appMetadata: { roles: ['admin'], org: { id: 42 } } },
        scopes,
      });
    }

    it('authorization_code and refresh_token', async () => {
      const { api, path, secret } = await userApi('code');
      const result = await authorize(server, {
        clientId: web.clientId,
        redirectUri: CALLBACK,
        audience: api.identifier,
        scope: 'read:x offline_access',
        email: user.email,
        password: PASSWORD,
      });
      const exchanged = await exchangeCode(server, web, result.params.code, result.verifier, CALLBACK);
      expect(exchanged.status).toBe(200);
      expect(await verified(exchanged.body.access_token, api)).toMatchObject({
        sub: uuidOf(user.id),
        'https://example.com/roles': ['admin'],
        'https://example.com/grant': 'authorization_code',
      });
      const [codeCall] = hooks.callsTo(path);
      expect(signatureValid(codeCall, secret)).toBe(true);
      expectUserPayload(codeCall, api, 'authorization_code', ['read:x']);

      const refreshed = await refresh(server, web, exchanged.body.refresh_token);
      expect(refreshed.status).toBe(200);
      expect(await verified(refreshed.body.access_token, api)).toMatchObject({
        sub: uuidOf(user.id),
        'https://example.com/roles': ['admin'],
        'https://example.com/grant': 'refresh_token',
      });
      expectUserPayload(hooks.callsTo(path)[1], api, 'refresh_token', ['read:x']);
    });

    it('implicit', async () => {
      const { api, path } = await userApi('implicit');
      const result = await authorize(server, {
        agent: new BrowserAgent(server.url),
        clientId: web.clientId,
        redirectUri: CALLBACK,
        audience: api.identifier,
        scope: 'read:x',
        email: user.email,
        password: PASSWORD,
        extra: { response_type: 'token', nonce: randomUUID(), code_challenge: '', code_challenge_method: '' },
      });
      expect(result.params).toMatchObject({ token_type: 'Bearer', scope: 'read:x' });
      expect(await verified(result.params.access_token, api)).toMatchObject({
        sub: uuidOf(user.id),
        'https://example.com/roles': ['admin'],
        'https://example.com/grant': 'implicit',
      });
      expectUserPayload(hooks.callsTo(path)[0], api, 'implicit', ['read:x']);
    });

    it('a failing hook under DENY refuses the code exchange (access_denied) and the implicit grant (an error redirect)', async () => {
      const path = hookPath('user-deny');
      hooks.route(path, answer({}, 500));
      const api = await createApi({ allowSkippingUserConsent: true });
      await setHook(api, { url: `${hooks.url}${path}` });
      const code = await authorize(server, {
        clientId: web.clientId,
        redirectUri: CALLBACK,
        audience: api.identifier,
        scope: 'read:x',
        email: user.email,
        password: PASSWORD,
      });
      expectOAuthError(await exchangeCode(server, web, code.params.code, code.verifier, CALLBACK), 403, 'access_denied');

      const implicit = await authorize(server, {
        agent: new BrowserAgent(server.url),
        clientId: web.clientId,
        redirectUri: CALLBACK,
        audience: api.identifier,
        scope: 'read:x',
        email: user.email,
        password: PASSWORD,
        extra: { response_type: 'token', nonce: randomUUID(), code_challenge: '', code_challenge_method: '' },
      });
      expect(implicit.params).toMatchObject({ error: 'access_denied', state: 'st' });
      expect(implicit.params.access_token).toBeUndefined();
    });

    it('a hook refusing a refresh leaves the refresh token as it was: it works once the hook answers again, and is not taken for a replay', async () => {
      const path = hookPath('refresh-deny');
      let failing = false;
      hooks.route(path, (call, response) => (failing ? answer({}, 500) : answer({ claims: { n: 1 } }))(call, response));
      const api = await createApi({ allowOfflineAccess: true, allowSkippingUserConsent: true });
      await setHook(api, { url: `${hooks.url}${path}` });
      const code = await authorize(server, {
        clientId: web.clientId,
        redirectUri: CALLBACK,
        audience: api.identifier,
        scope: 'read:x offline_access',
        email: user.email,
        password: PASSWORD,
      });
      const exchanged = await exchangeCode(server, web, code.params.code, code.verifier, CALLBACK);
      expect(exchanged.status).toBe(200);
      const [before] = await server.db.query<{ rotated_at: Date | null; last_used_at: Date | null }>(
        `SELECT rotated_at, last_used_at FROM refresh_tokens WHERE token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')`,
        [exchanged.body.refresh_token],
      );

      failing = true;
      expectOAuthError(await refresh(server, web, exchanged.body.refresh_token), 403, 'access_denied');
      const [after] = await server.db.query<{ rotated_at: Date | null; last_used_at: Date | null }>(
        `SELECT rotated_at, last_used_at FROM refresh_tokens WHERE token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')`,
        [exchanged.body.refresh_token],
      );
      expect(after).toEqual(before);
      expect(after.rotated_at).toBeNull();

      failing = false;
      const refreshed = await refresh(server, web, exchanged.body.refresh_token);
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.refresh_token).toEqual(expect.any(String));
      expect(await verified(refreshed.body.access_token, api)).toMatchObject({ n: 1, sub: uuidOf(user.id) });
    });
  });

  describe('resourceServerTokenHookTest', () => {
    it('calls the hook with a sample context, or the given client and user, and returns the parsed claims', async () => {
      const path = hookPath('test');
      hooks.route(path, (call, response) =>
        answer({ claims: { echo: call.json.grantType, who: call.json.user?.email ?? null } })(call, response),
      );
      const { api, secret } = await apiWithHook(path);
      const sample = (await gqlData(HOOK_TEST, { id: api.id })).resourceServerTokenHookTest;
      expect(sample).toEqual({ claims: { echo: 'client_credentials', who: null }, error: null, userErrors: [] });
      const [call] = hooks.callsTo(path);
      expect(signatureValid(call, secret)).toBe(true);
      expect(call.json).toMatchObject({
        grantType: 'client_credentials',
        api: { identifier: api.identifier },
        user: null,
        scopes: ['read:x', 'write:x'],
      });

      const sampleUser = (await gqlData(HOOK_TEST, { id: api.id, input: { grantType: 'IMPLICIT', scopes: ['read:x'] } }))
        .resourceServerTokenHookTest;
      expect(sampleUser).toEqual({ claims: { echo: 'implicit', who: 'sample.user@example.com' }, error: null, userErrors: [] });
      // The grant_type the hook would see for real: the device grant's is its URI (RFC 8628).
      const device = (await gqlData(HOOK_TEST, { id: api.id, input: { grantType: 'DEVICE_CODE', scopes: ['read:x'] } }))
        .resourceServerTokenHookTest;
      expect(device.claims).toEqual({ echo: 'urn:ietf:params:oauth:grant-type:device_code', who: 'sample.user@example.com' });

      const client = (
        await gqlData(CLIENT_CREATE, { input: { name: 'tested', appType: 'REGULAR_WEB', metadata: [{ key: 'k', value: 'v' }] } })
      ).clientCreate;
      const created = (
        await gqlData(USER_CREATE, { input: { email: `t-${randomUUID().slice(0, 8)}@hooks.example`, appMetadata: { a: 1 } } })
      ).userCreate;
      const chosen = (await gqlData(HOOK_TEST, { id: api.id, input: { clientId: client.client.id, userId: created.user.id } }))
        .resourceServerTokenHookTest;
      expect(chosen).toEqual({ claims: { echo: 'authorization_code', who: created.user.email }, error: null, userErrors: [] });
      expect(hooks.callsTo(path)[3].json).toMatchObject({
        client: { clientId: client.client.clientId, name: 'tested', metadata: { k: 'v' } },
        user: { sub: uuidOf(created.user.id), email: created.user.email, appMetadata: { a: 1 } },
      });
      // An extension grant's hook sees its grant_type URI, as from the token endpoint.
      const exchange = (await gqlData(HOOK_TEST, { id: api.id, input: { grantType: 'TOKEN_EXCHANGE', scopes: ['read:x'] } }))
        .resourceServerTokenHookTest;
      expect(exchange.claims).toEqual({ echo: 'urn:ietf:params:oauth:grant-type:token-exchange', who: 'sample.user@example.com' });
    });

    it('returns an error summary, never the body: status, invalid JSON, protected claims, timeouts, refused connections', async () => {
      const cases: [string, any, string | RegExp, Record<string, unknown>?][] = [
        ['status', answer({ error: BODY_MARKER }, 500), 'answered HTTP 500'],
        ['json', (_c: unknown, r: any) => r.writeHead(200).end(BODY_MARKER), 'answered something other than JSON'],
        ['no-claims', answer({ note: BODY_MARKER }), 'answered JSON without a "claims" object'],
        ['protected', answer({ claims: { iss: 'x', scope: 'admin', ok: 1 } }), 'answered protected claims: iss, scope'],
        ['big', answer({ claims: { big: 'z'.repeat(8200) } }), 'answered more than 8192 bytes'],
        ['slow', (c: any, r: any) => setTimeout(() => answer({ claims: {} })(c, r), 1000), 'timed out after 150 ms', { timeoutMs: 150 }],
      ];
      for (const [name, handler, expected, input] of cases) {
        const path = hookPath(`test-${name}`);
        hooks.route(path, handler);
        const { api } = await apiWithHook(path, input ?? {});
        const result = (await gqlData(HOOK_TEST, { id: api.id })).resourceServerTokenHookTest;
        expect({ name, result }).toEqual({ name, result: { claims: null, error: expected, userErrors: [] } });
      }
      // Nothing listens on this port.
      const closed = await freePort();
      const api = await createApi();
      await setHook(api, { url: `http://127.0.0.1:${closed}/hook` });
      const refused = (await gqlData(HOOK_TEST, { id: api.id })).resourceServerTokenHookTest;
      expect(refused).toEqual({ claims: null, error: 'could not reach the hook (ECONNREFUSED)', userErrors: [] });
    });

    it('userErrors: no hook, unknown client or user, a user for CLIENT_CREDENTIALS, bad scopes', async () => {
      const api = await createApi();
      const noHook = (await gqlData(HOOK_TEST, { id: api.id })).resourceServerTokenHookTest;
      expect(noHook.userErrors).toEqual(userErrors([['id'], 'NOT_FOUND']));
      await setHook(api, { url: `${hooks.url}/never` });
      const created = (await gqlData(USER_CREATE, { input: { email: `u-${randomUUID().slice(0, 8)}@hooks.example` } })).userCreate;
      const bad = (await gqlData(HOOK_TEST, { id: api.id, input: { clientId: created.user.id, userId: api.id } }))
        .resourceServerTokenHookTest;
      expect(bad.userErrors).toEqual(userErrors([['input', 'clientId'], 'NOT_FOUND'], [['input', 'userId'], 'NOT_FOUND']));
      const machineUser = (await gqlData(HOOK_TEST, { id: api.id, input: { grantType: 'CLIENT_CREDENTIALS', userId: created.user.id } }))
        .resourceServerTokenHookTest;
      expect(machineUser.userErrors).toEqual(userErrors([['input', 'userId'], 'INVALID']));
      const scopes = (await gqlData(HOOK_TEST, { id: api.id, input: { scopes: ['ok', 'has space'] } })).resourceServerTokenHookTest;
      expect(scopes.userErrors).toEqual(userErrors([['input', 'scopes', '1'], 'INVALID']));
      expect(hooks.callsTo('/never')).toHaveLength(0);
    });
  });

  describe('client metadata and user app metadata', () => {
    it('client metadata: round trip, replaced by update, cleared by []', async () => {
      const created = (
        await gqlData(CLIENT_CREATE, {
          input: {
            name: 'meta',
            appType: 'MACHINE_TO_MACHINE',
            metadata: [
              { key: 'b', value: '2' },
              { key: 'a', value: '' },
            ],
          },
        })
      ).clientCreate;
      expect(created.userErrors).toEqual([]);
      expect(created.client.metadata).toEqual([
        { key: 'a', value: '' },
        { key: 'b', value: '2' },
      ]);
      const updated = (await gqlData(CLIENT_UPDATE, { id: created.client.id, input: { metadata: [{ key: 'c', value: '3' }] } }))
        .clientUpdate;
      expect(updated.client.metadata).toEqual([{ key: 'c', value: '3' }]);
      const unchanged = (await gqlData(CLIENT_UPDATE, { id: created.client.id, input: { name: 'renamed' } })).clientUpdate;
      expect(unchanged.client.metadata).toEqual([{ key: 'c', value: '3' }]);
      const cleared = (await gqlData(CLIENT_UPDATE, { id: created.client.id, input: { metadata: [] } })).clientUpdate;
      expect(cleared.client.metadata).toEqual([]);
      const plain = await createClient();
      const read = await gqlData(`query($id: ID!) { node(id: $id) { ... on Client { metadata { key value } } } }`, { id: plain.id });
      expect(read.node.metadata).toEqual([]);
    });

    it('client metadata: at most 10 keys, keys 1–255 and unique, values at most 255, no control characters', async () => {
      const eleven = Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
      const ten = eleven.slice(0, 10);
      const cases: [unknown[], [string[], string][]][] = [
        [eleven, [[['input', 'metadata'], 'LIMIT_EXCEEDED']]],
        [[{ key: '', value: 'v' }], [[['input', 'metadata', '0', 'key'], 'INVALID']]],
        [[{ key: 'k'.repeat(256), value: 'v' }], [[['input', 'metadata', '0', 'key'], 'INVALID']]],
        [[{ key: 'k', value: 'v'.repeat(256) }], [[['input', 'metadata', '0', 'value'], 'INVALID']]],
        [
          [
            { key: 'k', value: '1' },
            { key: 'k', value: '2' },
          ],
          [[['input', 'metadata', '1', 'key'], 'INVALID']],
        ],
        [
          [
            { key: 'k\n', value: 'v' },
            { key: 'j', value: 'a\u0007b' },
          ],
          [
            [['input', 'metadata', '0', 'key'], 'INVALID'],
            [['input', 'metadata', '1', 'value'], 'INVALID'],
          ],
        ],
      ];
      for (const [metadata, expected] of cases) {
        const res = (await gqlData(CLIENT_CREATE, { input: { name: 'bad meta', appType: 'MACHINE_TO_MACHINE', metadata } })).clientCreate;
        expect(res).toEqual({ client: null, clientSecret: null, userErrors: userErrors(...expected) });
      }
      const client = await createClient();
      const update = (await gqlData(CLIENT_UPDATE, { id: client.id, input: { metadata: eleven } })).clientUpdate;
      expect(update.userErrors).toEqual(userErrors([['input', 'metadata'], 'LIMIT_EXCEEDED']));
      const limits = (
        await gqlData(CLIENT_UPDATE, {
          id: client.id,
          input: { metadata: [...ten.slice(0, 9), { key: 'k'.repeat(255), value: 'v'.repeat(255) }] },
        })
      ).clientUpdate;
      expect(limits.userErrors).toEqual([]);
      expect(limits.client.metadata).toHaveLength(10);
      // A value of another type is refused by GraphQL itself.
      const typed = await server.gql(CLIENT_UPDATE, { id: client.id, input: { metadata: [{ key: 'n', value: 1 }] } });
      expect(typed.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('app metadata: round trip, replaced by update, a JSON object of at most 16 KB', async () => {
      const email = `meta-${randomUUID().slice(0, 8)}@hooks.example`;
      const created = (
        await gqlData(USER_CREATE, { input: { email, appMetadata: { plan: 'pro', flags: [1, 2], nested: { deep: true } } } })
      ).userCreate;
      expect(created.user.appMetadata).toEqual({ plan: 'pro', flags: [1, 2], nested: { deep: true } });
      const updated = (await gqlData(USER_UPDATE, { id: created.user.id, input: { appMetadata: { plan: 'free' } } })).userUpdate;
      expect(updated.user.appMetadata).toEqual({ plan: 'free' });
      const kept = (await gqlData(USER_UPDATE, { id: created.user.id, input: { name: 'Ada' } })).userUpdate;
      expect(kept.user.appMetadata).toEqual({ plan: 'free' });
      const plain = (await gqlData(USER_CREATE, { input: { email: `plain-${email}` } })).userCreate;
      expect(plain.user.appMetadata).toEqual({});

      const big = { blob: 'x'.repeat(16 * 1024) };
      const tooBig = (await gqlData(USER_UPDATE, { id: created.user.id, input: { appMetadata: big } })).userUpdate;
      expect(tooBig).toEqual({ user: null, userErrors: userErrors([['input', 'appMetadata'], 'LIMIT_EXCEEDED']) });
      const fits = (await gqlData(USER_UPDATE, { id: created.user.id, input: { appMetadata: { blob: 'x'.repeat(16 * 1024 - 20) } } }))
        .userUpdate;
      expect(fits.userErrors).toEqual([]);
      // U+0000 (which jsonb cannot hold): refused by the domain rule, and before it by the GraphQL edge (BAD_USER_INPUT).
      await expect(server.app.users.create({ email: `nul-${email}`, appMetadata: { a: 'b\u0000c' } }, SYSTEM_ACTOR)).rejects.toMatchObject({
        issues: userErrors([['input', 'appMetadata'], 'INVALID']),
      });
      const nul = await server.gql(USER_CREATE, { input: { email: `nul-${email}`, appMetadata: { a: 'b\u0000c' } } });
      expect(nul.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(await server.db.query('SELECT id FROM users WHERE email = $1', [`nul-${email}`])).toEqual([]);
      const deep = (
        await gqlData(USER_CREATE, {
          input: { email: `deep-${email}`, appMetadata: JSON.parse(`${'{"a":'.repeat(12)}1${'}'.repeat(12)}`) },
        })
      ).userCreate;
      expect(deep.userErrors).toEqual(userErrors([['input', 'appMetadata'], 'INVALID']));
      // Arrays and primitives are refused by the JSONObject scalar.
      for (const appMetadata of [[1, 2], 'text', 3]) {
        const res = await server.gql(USER_UPDATE, { id: created.user.id, input: { appMetadata } });
        expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
      const [row] = await server.db.query<{ app_metadata: unknown }>('SELECT app_metadata FROM users WHERE id = $1', [
        uuidOf(created.user.id),
      ]);
      expect(row.app_metadata).toEqual({ blob: 'x'.repeat(16 * 1024 - 20) });
    });

    it('neither metadata enters a token by itself', async () => {
      const api = await createApi();
      const client = (
        await gqlData(CLIENT_CREATE, {
          input: { name: 'quiet', appType: 'MACHINE_TO_MACHINE', metadata: [{ key: 'tier', value: 'gold' }] },
        })
      ).clientCreate;
      await createGrant(client.client, api, ['read:x']);
      const res = await clientCredentials({ ...client.client, clientSecret: client.clientSecret }, api);
      expect(res.status).toBe(200);
      const claims = await verified(res.body.access_token, api);
      expect(JSON.stringify(claims)).not.toContain('gold');
    });
  });
});
