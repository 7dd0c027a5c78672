import { BOOTSTRAP, startTestServer, TestServer } from '../helpers/test-app';
import { basicAuth } from '../helpers/fixtures';

/**
 * The log of a full flow at the most verbose level: no secret or token appears in any line, every
 * line is JSON, every response has an x-request-id, and every line written while requests run
 * carries the reqId of one of them.
 */
describe('logs: secrets never logged, request id on every request line', () => {
  let server: TestServer;
  const lines: string[] = [];
  /** Every secret or token the flow handled: none may appear in the log. */
  const secrets = new Set<string>();
  /** x-request-id of every response, in order. */
  const requestIds: string[] = [];

  const remember = (...values: (string | null | undefined)[]) => {
    for (const value of values) {
      if (!value) continue;
      secrets.add(value);
      // A JWT: its signature and payload on their own too, so a partial leak is caught.
      const parts = value.replace(/^Bearer /, '').split('.');
      if (parts.length === 3) for (const part of parts.slice(1)) if (part.length >= 16) secrets.add(part);
    }
  };

  async function call(method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}) {
    const response = await fetch(`${server.url}${path}`, { method, headers: options.headers, body: options.body });
    const text = await response.text();
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(/\S{8,}/);
    requestIds.push(id!);
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (name.toLowerCase() === 'authorization') {
        remember(value, value.replace(/^\S+ /, ''));
      }
    }
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: response.status, body };
  }

  const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
  const JSON_TYPE = { 'content-type': 'application/json' };

  let mgmt = '';
  async function gql(query: string, variables?: Record<string, unknown>, token = mgmt) {
    const res = await call('POST', '/graphql', {
      headers: { ...JSON_TYPE, authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return res;
  }
  async function gqlData(query: string, variables?: Record<string, unknown>) {
    const res = await gql(query, variables);
    if (res.status !== 200 || res.body.errors) throw new Error(JSON.stringify(res.body));
    return res.body.data;
  }

  let flowStart = 0;
  let flowEnd = 0;

  beforeAll(async () => {
    server = await startTestServer({
      env: { LOG_LEVEL: 'trace' },
      logStream: { write: (line: string) => void lines.push(line) },
    });
    remember(BOOTSTRAP.clientSecret);
    flowStart = lines.length;

    // 1. A Management API token (Basic, form body).
    const mgmtToken = await call('POST', '/oauth/token', {
      headers: { ...FORM, authorization: basicAuth(BOOTSTRAP.clientId, BOOTSTRAP.clientSecret) },
      body: form({ grant_type: 'client_credentials', audience: server.config.managementAudience }),
    });
    expect(mgmtToken.status).toBe(200);
    mgmt = mgmtToken.body.access_token;
    remember(mgmt);

    // 2. An HS256 API (its signing secret is returned once) and an RS256 API, both with `introspect`.
    const scopes = [{ value: 'read:x' }, { value: 'introspect' }];
    const createApi = `mutation($input: ResourceServerCreateInput!) { resourceServerCreate(input: $input) { resourceServer { id identifier } signingSecret userErrors { message } } }`;
    const hs = (
      await gqlData(createApi, { input: { name: 'HS', identifier: 'https://hs.logs.example/', signingAlgorithm: 'HS256', scopes } })
    ).resourceServerCreate;
    expect(hs.signingSecret).toEqual(expect.any(String));
    remember(hs.signingSecret);
    const rs = (
      await gqlData(createApi, { input: { name: 'RS', identifier: 'https://rs.logs.example/', signingAlgorithm: 'RS256', scopes } })
    ).resourceServerCreate;

    // 3. Two machine clients (Basic and client_secret_post), granted both APIs.
    const createClient = `mutation($input: ClientCreateInput!) { clientCreate(input: $input) { client { id clientId } clientSecret userErrors { message } } }`;
    const basicClient = (await gqlData(createClient, { input: { name: 'basic', appType: 'MACHINE_TO_MACHINE' } })).clientCreate;
    const postClient = (
      await gqlData(createClient, { input: { name: 'post', appType: 'MACHINE_TO_MACHINE', tokenEndpointAuthMethod: 'CLIENT_SECRET_POST' } })
    ).clientCreate;
    remember(basicClient.clientSecret, postClient.clientSecret);
    for (const client of [basicClient, postClient]) {
      for (const api of [hs, rs]) {
        await gqlData(`mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { clientGrant { id } } }`, {
          input: { clientId: client.client.id, resourceServerId: api.resourceServer.id, scopes: ['read:x', 'introspect'] },
        });
      }
    }

    // 4. Rotate the Basic client's secret (the old one keeps working a minute).
    const rotated = (
      await gqlData(
        `mutation($id: ID!) { clientSecretRotate(id: $id, input: { previousSecretExpiresIn: 60 }) { clientSecret userErrors { message } } }`,
        {
          id: basicClient.client.id,
        },
      )
    ).clientSecretRotate;
    remember(rotated.clientSecret);
    const basicSecret: string = rotated.clientSecret;

    // 5. Tokens: Basic with form and JSON bodies, client_secret_post with form and JSON bodies.
    const tokens: string[] = [];
    const basicHeader = basicAuth(basicClient.client.clientId, basicSecret);
    for (const audience of [hs.resourceServer.identifier, rs.resourceServer.identifier]) {
      const viaForm = await call('POST', '/oauth/token', {
        headers: { ...FORM, authorization: basicHeader },
        body: form({ grant_type: 'client_credentials', audience }),
      });
      const viaJson = await call('POST', '/oauth/token', {
        headers: { ...JSON_TYPE, authorization: basicHeader },
        body: JSON.stringify({ grant_type: 'client_credentials', audience }),
      });
      const postForm = await call('POST', '/oauth/token', {
        headers: FORM,
        body: form({
          grant_type: 'client_credentials',
          audience,
          client_id: postClient.client.clientId,
          client_secret: postClient.clientSecret,
        }),
      });
      const postJson = await call('POST', '/oauth/token', {
        headers: JSON_TYPE,
        body: JSON.stringify({
          grant_type: 'client_credentials',
          resource: audience,
          client_id: postClient.client.clientId,
          client_secret: postClient.clientSecret,
        }),
      });
      for (const res of [viaForm, viaJson, postForm, postJson]) {
        expect(res.status).toBe(200);
        tokens.push(res.body.access_token);
      }
    }
    remember(...tokens);

    // 6. Introspection (form and JSON), a wrong secret, secrets in a query string.
    const introspected = await call('POST', '/oauth/introspect', {
      headers: { ...FORM, authorization: basicHeader },
      body: form({ token: tokens[4] }),
    });
    expect(introspected.body.active).toBe(true);
    const introspectedJson = await call('POST', '/oauth/introspect', {
      headers: JSON_TYPE,
      body: JSON.stringify({ token: tokens[0], client_id: postClient.client.clientId, client_secret: postClient.clientSecret }),
    });
    expect(introspectedJson.body.active).toBe(true);
    const wrongSecret = 'wrong-secret-0123456789abcdefghijklmnopq';
    remember(wrongSecret);
    const refused = await call('POST', '/oauth/token', {
      headers: { ...FORM, authorization: basicAuth(basicClient.client.clientId, wrongSecret) },
      body: form({ grant_type: 'client_credentials', audience: rs.resourceServer.identifier }),
    });
    expect(refused.status).toBe(401);
    const refusedPost = await call('POST', '/oauth/token', {
      headers: FORM,
      body: form({
        grant_type: 'client_credentials',
        audience: rs.resourceServer.identifier,
        client_id: postClient.client.clientId,
        client_secret: wrongSecret,
      }),
    });
    expect(refusedPost.status).toBe(401);
    const inQuery = await call('GET', `/oauth/token?client_secret=${encodeURIComponent(postClient.clientSecret)}&code=${tokens[1]}`);
    expect(inQuery.status).toBe(404);
    const graphqlGet = await call('GET', `/graphql?query=${encodeURIComponent('{ __typename }')}&token=${tokens[2]}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(graphqlGet.status).toBe(200);

    // 7. GraphQL with a bad token, then accessTokenIssue and accessTokenRevoke({ token }).
    const badToken = `${mgmt.slice(0, -10)}AAAAAAAAAA`;
    remember(badToken);
    const unauthenticated = await gql('{ resourceServers(first: 1) { totalCount } }', undefined, badToken);
    expect(unauthenticated.status).toBe(401);
    const garbage = 'not-a-jwt-but-a-secret-looking-bearer-value';
    remember(garbage);
    expect((await gql('{ resourceServers(first: 1) { totalCount } }', undefined, garbage)).status).toBe(401);
    const issued = (
      await gqlData(`mutation($input: AccessTokenIssueInput!) { accessTokenIssue(input: $input) { accessToken userErrors { message } } }`, {
        input: { clientId: basicClient.client.id, resourceServerId: rs.resourceServer.id, scopes: ['read:x'] },
      })
    ).accessTokenIssue;
    expect(issued.accessToken).toEqual(expect.any(String));
    remember(issued.accessToken);
    const revoked = (
      await gqlData(
        `mutation($input: AccessTokenRevokeInput!) { accessTokenRevoke(input: $input) { revokedToken { jti } userErrors { message } } }`,
        {
          input: { token: issued.accessToken },
        },
      )
    ).accessTokenRevoke;
    expect(revoked.userErrors).toEqual([]);
    const inactive = await call('POST', '/oauth/introspect', {
      headers: { ...FORM, authorization: basicHeader },
      body: form({ token: issued.accessToken }),
    });
    expect(inactive.body).toEqual({ active: false });

    // 8. Probes, an unknown path, a caller-chosen request id.
    await call('GET', '/healthz');
    await call('GET', '/readyz');
    await call('GET', '/.well-known/jwks.json', { headers: { 'x-request-id': 'caller-chosen-id-42' } });
    expect(requestIds[requestIds.length - 1]).toBe('caller-chosen-id-42');

    // Access lines are written as responses finish: let the last ones land.
    await new Promise((resolve) => setTimeout(resolve, 100));
    flowEnd = lines.length;
  });

  afterAll(async () => {
    await server?.close();
  });

  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

  it('writes one valid JSON object per line', () => {
    expect(lines.length).toBeGreaterThan(requestIds.length);
    for (const line of lines) {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.trimEnd().includes('\n')).toBe(false);
      expect(() => JSON.parse(line)).not.toThrow();
    }
  });

  it('logs no secret and no token: client and signing secrets, access tokens, Authorization values, Basic credentials', () => {
    expect(secrets.size).toBeGreaterThan(30);
    const log = lines.join('');
    const leaked = [...secrets].filter((secret) => log.includes(secret));
    expect(leaked).toEqual([]);
    // The query strings were not logged either (the access line has the path only).
    expect(log).not.toContain('client_secret=');
    expect(log).not.toContain('?');
  });

  it('gives every response an x-request-id and every line written during the flow the reqId of one response', () => {
    const ids = new Set(requestIds);
    expect(ids.size).toBe(requestIds.length);
    const flow = parsed().slice(flowStart, flowEnd);
    for (const line of flow) {
      expect(ids.has(line.reqId as string)).toBe(true);
    }
  });

  it('writes one access line per request: method, path without query, route, status, duration', () => {
    const access = parsed().filter((line) => line.msg === 'request');
    expect(access.map((line) => line.reqId).sort()).toEqual([...requestIds].sort());
    for (const line of access) {
      expect(Object.keys(line).sort()).toEqual(
        ['hostname', 'level', 'method', 'ms', 'msg', 'path', 'pid', 'reqId', 'route', 'status', 'time'].sort(),
      );
      expect(String(line.path)).not.toContain('?');
      expect(line.ms).toEqual(expect.any(Number));
    }
    const byId = new Map(access.map((line) => [line.reqId, line]));
    expect(byId.get('caller-chosen-id-42')).toMatchObject({
      level: 30,
      method: 'GET',
      path: '/.well-known/jwks.json',
      route: '/.well-known/jwks.json',
      status: 200,
    });
    expect(access.find((line) => line.path === '/oauth/token' && line.method === 'GET')).toMatchObject({ route: 'unmatched', status: 404 });
    // Probes are polled: their lines are debug.
    expect(access.filter((line) => line.path === '/healthz' || line.path === '/readyz').map((line) => line.level)).toEqual([20, 20]);
  });
});
