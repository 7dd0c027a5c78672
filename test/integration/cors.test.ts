import { CountingLogger, startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, ClientFixture, fixtures } from '../helpers/fixtures';
import { authorize } from '../helpers/refresh-flow';
import { within } from '../helpers/within';

const ACTOR = { subject: 'test', clientId: null, requestId: null };
const EMAIL = 'ada@cors.example';
const PASSWORD = 'correct horse battery staple';
const SPA_ORIGIN = 'https://spa.example';
const SPA_CALLBACK = `${SPA_ORIGIN}/callback`;
const M2M_ORIGIN = 'https://m2m.example'; // stored with a trailing slash
const OTHER_ORIGIN = 'https://other.example'; // allowed for another client only
const UNLISTED = 'https://evil.example';
const DEV_SERVER = 'http://localhost:5173';

const CORS_HEADER_NAMES = [
  'access-control-allow-origin',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
  'access-control-allow-credentials',
];

/** The CORS headers of a response (absent ones omitted), and Vary. */
function corsOf(headers: Headers): Record<string, string> {
  const found: Record<string, string> = {};
  for (const name of [...CORS_HEADER_NAMES, 'vary']) {
    const value = headers.get(name);
    if (value !== null) found[name] = value;
  }
  return found;
}

/** The statements that read clients' allowed origins. */
const originReads = (statements: string[]) => statements.filter((text) => text.includes('allowed_origins'));

const preflight = (url: string, origin: string, requestHeaders = 'content-type') =>
  fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': requestHeaders },
  });

const OAUTH_PREFLIGHT = (origin: string) => ({
  'access-control-allow-origin': origin,
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'content-type, authorization, auth0-client, dpop',
  'access-control-max-age': '600',
  vary: 'Origin',
});

/** Issue 11 item 7: CORS of the OAuth endpoints (clients' allowed origins), the public metadata and /graphql. */
describe('CORS', () => {
  let server: TestServer;
  const { gqlData, createApi, createClient, createGrant } = fixtures(() => server, 'cors');
  let api: ApiFixture;
  let spa: ClientFixture;
  let m2m: ClientFixture;
  let other: ClientFixture;
  const sql = new CountingLogger();

  beforeAll(async () => {
    server = await startTestServer({ env: { CORS_ORIGINS: DEV_SERVER }, sqlLogger: sql });
    api = await createApi({ allowOfflineAccess: true });
    spa = await createClient({ appType: 'SPA', callbacks: [SPA_CALLBACK], allowedOrigins: [SPA_ORIGIN] });
    m2m = await createClient({ allowedOrigins: [`${M2M_ORIGIN}/`] });
    other = await createClient({ allowedOrigins: [OTHER_ORIGIN] });
    await createGrant(m2m, api, ['read:x']);
    await createGrant(other, api, ['read:x']);
    await server.app.users.create({ email: EMAIL, password: PASSWORD }, ACTOR);
  });
  afterAll(async () => {
    await server.close();
  });

  /** A client-credentials request of `client`, from `origin` when given. */
  const clientCredentials = (client: ClientFixture, origin?: string, audience = api.identifier) =>
    server.token(
      { grant_type: 'client_credentials', audience },
      { authorization: basicAuth(client.clientId, client.clientSecret!), ...(origin ? { origin } : {}) },
    );

  describe('the token endpoint', () => {
    it('answers the preflight of an origin some client allows, with the headers browsers and SDKs send', async () => {
      for (const origin of [SPA_ORIGIN, M2M_ORIGIN, OTHER_ORIGIN]) {
        const res = await preflight(`${server.url}/oauth/token`, origin, 'content-type,auth0-client');
        expect(res.status).toBe(204);
        expect(corsOf(res.headers)).toEqual(OAUTH_PREFLIGHT(origin));
      }
    });

    it('answers the preflight of any other origin without CORS headers, matching scheme, host and port exactly', async () => {
      for (const origin of [
        UNLISTED,
        'http://spa.example',
        'https://spa.example:8443',
        'https://sub.spa.example',
        `${SPA_ORIGIN}/`,
        'null',
      ]) {
        const res = await preflight(`${server.url}/oauth/token`, origin);
        expect(res.status).toBe(204);
        expect(corsOf(res.headers)).toEqual({});
      }
    });

    it('lets a page on the authenticating client’s allowed origin read the token', async () => {
      const res = await clientCredentials(m2m, M2M_ORIGIN);
      expect(res.status).toBe(200);
      expect(res.body.access_token).toEqual(expect.any(String));
      expect(corsOf(res.headers)).toEqual({ 'access-control-allow-origin': M2M_ORIGIN, vary: 'Origin' });
    });

    it('refuses, with invalid_client and no CORS headers, a CORS origin not allowed for the authenticating client', async () => {
      for (const origin of [OTHER_ORIGIN, UNLISTED]) {
        const res = await clientCredentials(m2m, origin);
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ error: 'invalid_client', error_description: 'The request origin is not allowed for this client' });
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(corsOf(res.headers)).toEqual({});
      }
    });

    it('leaves requests without Origin (servers, curl) unchanged', async () => {
      const res = await clientCredentials(m2m);
      expect(res.status).toBe(200);
      expect(corsOf(res.headers)).toEqual({});
    });

    it('leaves same-origin requests (the explorer’s token helper: browsers send Origin on POST) unchanged', async () => {
      const res = await clientCredentials(m2m, server.url);
      expect(res.status).toBe(200);
      expect(corsOf(res.headers)).toEqual({});
      // Another port of the same host is another origin.
      const otherPort = new URL(server.url);
      otherPort.port = String(Number(otherPort.port) + 1);
      expect((await clientCredentials(m2m, otherPort.origin)).status).toBe(401);
    });

    it('makes errors readable by an allowed origin: after client authentication by that client’s list, before it by all clients’', async () => {
      const afterAuth = await clientCredentials(m2m, M2M_ORIGIN, 'https://unknown-api.example/');
      expect(afterAuth.status).toBe(400);
      expect(afterAuth.body.error).toEqual(expect.any(String));
      expect(corsOf(afterAuth.headers)).toEqual({ 'access-control-allow-origin': M2M_ORIGIN, vary: 'Origin' });

      const beforeAuth = await server.token({ audience: api.identifier }, { origin: SPA_ORIGIN });
      expect(beforeAuth.status).toBe(400);
      expect(beforeAuth.body).toEqual({ error: 'invalid_request', error_description: 'grant_type is required' });
      expect(corsOf(beforeAuth.headers)).toEqual({ 'access-control-allow-origin': SPA_ORIGIN, vary: 'Origin' });

      const unlisted = await server.token({ audience: api.identifier }, { origin: UNLISTED });
      expect(unlisted.status).toBe(400);
      expect(corsOf(unlisted.headers)).toEqual({});
    });

    it('takes a change of a client’s allowed origins into account on the next request', async () => {
      const added = 'https://added.example';
      expect(corsOf((await preflight(`${server.url}/oauth/token`, added)).headers)).toEqual({});
      expect((await clientCredentials(m2m, added)).status).toBe(401);

      await updateOrigins(m2m, [`${M2M_ORIGIN}/`, added]);
      expect(corsOf((await preflight(`${server.url}/oauth/token`, added)).headers)).toEqual(OAUTH_PREFLIGHT(added));
      const admitted = await clientCredentials(m2m, added);
      expect(admitted.status).toBe(200);
      expect(admitted.headers.get('access-control-allow-origin')).toBe(added);

      await updateOrigins(m2m, [`${M2M_ORIGIN}/`]);
      expect(corsOf((await preflight(`${server.url}/oauth/token`, added)).headers)).toEqual({});
      expect((await clientCredentials(m2m, added)).status).toBe(401);
    });

    it('re-reads only the client a change names: a rename elsewhere does not read every client again', async () => {
      const shared = 'https://shared.example';
      const first = await createClient({ allowedOrigins: [shared] });
      const second = await createClient({ allowedOrigins: [`${shared}/`] });
      expect(corsOf((await preflight(`${server.url}/oauth/token`, shared)).headers)).toEqual(OAUTH_PREFLIGHT(shared));

      // The list is held: once the change feed has echoed the creations, a preflight reads nothing.
      await within(5000, async () => {
        const before = sql.queries.length;
        expect(corsOf((await preflight(`${server.url}/oauth/token`, SPA_ORIGIN)).headers)).toEqual(OAUTH_PREFLIGHT(SPA_ORIGIN));
        return originReads(sql.queries.slice(before)).length === 0;
      });

      // An unrelated client renamed: the next preflight reads that one client, not every client.
      const renamed = await gqlData(`mutation($id: ID!) { clientUpdate(id: $id, input: { name: "renamed" }) { userErrors { code } } }`, {
        id: other.id,
      });
      expect(renamed.clientUpdate.userErrors).toEqual([]);
      const since = sql.queries.length;
      expect(corsOf((await preflight(`${server.url}/oauth/token`, OTHER_ORIGIN)).headers)).toEqual(OAUTH_PREFLIGHT(OTHER_ORIGIN));
      const reads = originReads(sql.queries.slice(since));
      expect(reads).toHaveLength(1);
      expect(reads[0]).toContain('WHERE id = ANY');

      // Two clients allow one origin: it stays allowed while either does.
      await updateOrigins(first, []);
      expect(corsOf((await preflight(`${server.url}/oauth/token`, shared)).headers)).toEqual(OAUTH_PREFLIGHT(shared));
      const deleted = await gqlData(`mutation($id: ID!) { clientDelete(id: $id) { userErrors { code } } }`, { id: second.id });
      expect(deleted.clientDelete.userErrors).toEqual([]);
      expect(corsOf((await preflight(`${server.url}/oauth/token`, shared)).headers)).toEqual({});
      expect(corsOf((await preflight(`${server.url}/oauth/token`, OTHER_ORIGIN)).headers)).toEqual(OAUTH_PREFLIGHT(OTHER_ORIGIN));
    });
  });

  describe('a browser app (SPA) on its allowed origin', () => {
    it('signs in through /authorize, which ignores an SDK’s unknown parameters (auth0Client), and uses JSON bodies like forms', async () => {
      const result = await authorize(server, {
        clientId: spa.clientId,
        redirectUri: SPA_CALLBACK,
        audience: api.identifier,
        scope: 'read:x offline_access',
        email: EMAIL,
        password: PASSWORD,
        extra: { auth0Client: Buffer.from(JSON.stringify({ name: 'auth0-spa-js', version: '2.1.3' })).toString('base64url') },
      });
      expect(result.params.code).toEqual(expect.any(String));

      // As auth0-spa-js sends it: JSON, from the page's origin, with its telemetry header.
      const browserPost = (body: Record<string, string>, origin = SPA_ORIGIN) =>
        fetch(`${server.url}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin, 'auth0-client': 'eyJuYW1lIjoiYXV0aDAtc3BhLWpzIn0' },
          body: JSON.stringify(body),
        });
      const exchanged = await browserPost({
        grant_type: 'authorization_code',
        client_id: spa.clientId,
        code: result.params.code,
        code_verifier: result.verifier,
        redirect_uri: SPA_CALLBACK,
      });
      expect(exchanged.status).toBe(200);
      expect(corsOf(exchanged.headers)).toEqual({ 'access-control-allow-origin': SPA_ORIGIN, vary: 'Origin' });
      const tokens = await exchanged.json();
      expect(tokens).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), refresh_token: expect.any(String) });

      // The same refresh token from a page on another origin: refused before it is used.
      const foreign = await browserPost(
        { grant_type: 'refresh_token', client_id: spa.clientId, refresh_token: tokens.refresh_token },
        OTHER_ORIGIN,
      );
      expect(foreign.status).toBe(401);
      expect(await foreign.json()).toEqual({
        error: 'invalid_client',
        error_description: 'The request origin is not allowed for this client',
      });
      expect(corsOf(foreign.headers)).toEqual({});

      const refreshed = await browserPost({ grant_type: 'refresh_token', client_id: spa.clientId, refresh_token: tokens.refresh_token });
      expect(refreshed.status).toBe(200);
      expect(corsOf(refreshed.headers)).toEqual({ 'access-control-allow-origin': SPA_ORIGIN, vary: 'Origin' });
      const rotated = await refreshed.json();

      // Revocation from the page: the preflight, then the request.
      const revokePreflight = await preflight(`${server.url}/oauth/revoke`, SPA_ORIGIN);
      expect(revokePreflight.status).toBe(204);
      expect(corsOf(revokePreflight.headers)).toEqual(OAUTH_PREFLIGHT(SPA_ORIGIN));
      const revokeFrom = (origin?: string) =>
        fetch(`${server.url}/oauth/revoke`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
          body: JSON.stringify({ client_id: spa.clientId, token: rotated.refresh_token }),
        });
      const refused = await revokeFrom(OTHER_ORIGIN);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({
        error: 'invalid_client',
        error_description: 'The request origin is not allowed for this client',
      });
      expect(corsOf(refused.headers)).toEqual({});
      const revoked = await revokeFrom(SPA_ORIGIN);
      expect(revoked.status).toBe(200);
      expect(corsOf(revoked.headers)).toEqual({ 'access-control-allow-origin': SPA_ORIGIN, vary: 'Origin' });
      const again = await browserPost({ grant_type: 'refresh_token', client_id: spa.clientId, refresh_token: rotated.refresh_token });
      expect(again.status).toBe(400);
      expect((await again.json()).error).toBe('invalid_grant');
      expect(again.headers.get('access-control-allow-origin')).toBe(SPA_ORIGIN);
    });
  });

  describe('the revocation endpoint', () => {
    it('answers preflights like the token endpoint', async () => {
      expect(corsOf((await preflight(`${server.url}/oauth/revoke`, M2M_ORIGIN)).headers)).toEqual(OAUTH_PREFLIGHT(M2M_ORIGIN));
      const unlisted = await preflight(`${server.url}/oauth/revoke`, UNLISTED);
      expect(unlisted.status).toBe(204);
      expect(corsOf(unlisted.headers)).toEqual({});
    });

    it('admits an origin the client allows, refuses one it does not, and leaves requests without Origin unchanged', async () => {
      const revoke = (origin?: string) =>
        fetch(`${server.url}/oauth/revoke`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: basicAuth(m2m.clientId, m2m.clientSecret!),
            ...(origin ? { origin } : {}),
          },
          body: new URLSearchParams({ token: 'not-a-token' }).toString(),
        });
      const allowed = await revoke(M2M_ORIGIN);
      expect(allowed.status).toBe(200);
      expect(corsOf(allowed.headers)).toEqual({ 'access-control-allow-origin': M2M_ORIGIN, vary: 'Origin' });
      const refused = await revoke(OTHER_ORIGIN);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({
        error: 'invalid_client',
        error_description: 'The request origin is not allowed for this client',
      });
      expect(corsOf(refused.headers)).toEqual({});
      const plain = await revoke();
      expect(plain.status).toBe(200);
      expect(corsOf(plain.headers)).toEqual({});
    });
  });

  describe('the public metadata', () => {
    const PUBLIC = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/.well-known/jwks.json'];

    it('is readable from any origin', async () => {
      for (const path of PUBLIC) {
        const res = await fetch(`${server.url}${path}`, { headers: { origin: UNLISTED } });
        expect(res.status).toBe(200);
        expect(corsOf(res.headers)).toEqual({ 'access-control-allow-origin': '*' });
      }
    });

    it('answers its preflight for any origin', async () => {
      for (const path of PUBLIC) {
        const res = await fetch(`${server.url}${path}`, {
          method: 'OPTIONS',
          headers: { origin: UNLISTED, 'access-control-request-method': 'GET' },
        });
        expect(res.status).toBe(204);
        expect(corsOf(res.headers)).toEqual({
          'access-control-allow-origin': '*',
          'access-control-allow-methods': 'GET, HEAD, OPTIONS',
          'access-control-max-age': '600',
        });
      }
    });
  });

  describe('/graphql with CORS_ORIGINS', () => {
    it('answers the preflight of a listed origin before the token check', async () => {
      const res = await preflight(`${server.url}/graphql`, DEV_SERVER, 'content-type,authorization,apollo-require-preflight');
      expect(res.status).toBe(204);
      expect(corsOf(res.headers)).toEqual({
        'access-control-allow-origin': DEV_SERVER,
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': 'content-type, authorization, x-request-id, apollo-require-preflight, dpop',
        'access-control-max-age': '600',
        vary: 'Origin',
      });
    });

    it('makes a listed origin’s requests readable, errors included', async () => {
      const token = await server.managementToken();
      const call = (headers: Record<string, string>) =>
        fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: DEV_SERVER, ...headers },
          body: JSON.stringify({ query: '{ resourceServers(first: 1) { totalCount } }' }),
        });
      const ok = await call({ authorization: `Bearer ${token}` });
      expect(ok.status).toBe(200);
      expect((await ok.json()).data.resourceServers.totalCount).toEqual(expect.any(Number));
      expect(corsOf(ok.headers)).toEqual({ 'access-control-allow-origin': DEV_SERVER, vary: 'Origin' });
      const anonymous = await call({});
      expect(anonymous.status).toBe(401);
      expect(corsOf(anonymous.headers)).toEqual({ 'access-control-allow-origin': DEV_SERVER, vary: 'Origin' });
    });

    it('gives any other origin no CORS headers', async () => {
      for (const origin of [UNLISTED, SPA_ORIGIN, 'http://localhost:5174']) {
        const res = await preflight(`${server.url}/graphql`, origin);
        expect(corsOf(res.headers)).toEqual({});
        const post = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin, authorization: `Bearer ${await server.managementToken()}` },
          body: JSON.stringify({ query: '{ resourceServers(first: 1) { totalCount } }' }),
        });
        expect(corsOf(post.headers)).toEqual({});
      }
    });
  });

  async function updateOrigins(client: ClientFixture, allowedOrigins: string[]): Promise<void> {
    const data = await gqlData(
      `mutation($id: ID!, $input: ClientUpdateInput!) { clientUpdate(id: $id, input: $input) { userErrors { code message } } }`,
      { id: client.id, input: { allowedOrigins } },
    );
    expect(data.clientUpdate.userErrors).toEqual([]);
  }
});

describe('/graphql without CORS_ORIGINS', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('gives no origin CORS headers (the default is none)', async () => {
    const res = await preflight(`${server.url}/graphql`, DEV_SERVER, 'content-type,authorization');
    expect(corsOf(res.headers)).toEqual({});
    const post = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: DEV_SERVER, authorization: `Bearer ${await server.managementToken()}` },
      body: JSON.stringify({ query: '{ resourceServers(first: 1) { totalCount } }' }),
    });
    expect(post.status).toBe(200);
    expect(corsOf(post.headers)).toEqual({});
  });
});
