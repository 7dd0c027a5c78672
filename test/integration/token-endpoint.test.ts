import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, JWTPayload } from 'jose';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, ClientFixture, fixtures } from '../helpers/fixtures';

type Algorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA' | 'HS256';
type Dialect = 'ACCESS_TOKEN' | 'ACCESS_TOKEN_AUTHZ' | 'RFC9068_PROFILE' | 'RFC9068_PROFILE_AUTHZ';

type Api = ApiFixture;
/** Every client these tests authenticate is confidential. */
type Client = ClientFixture & { clientSecret: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('POST /oauth/token (client credentials)', () => {
  let server: TestServer;

  const { gqlData, createClient: createFixtureClient, createGrant, createApi: createFixtureApi } = fixtures(() => server, 'api');
  const createClient = (input: Record<string, unknown> = {}) => createFixtureClient(input) as Promise<Client>;

  function createApi(
    options: { identifier?: string; algorithm?: Algorithm; dialect?: Dialect; lifetime?: number; scopes?: string[] } = {},
  ): Promise<Api> {
    return createFixtureApi({
      ...(options.identifier ? { identifier: options.identifier } : {}),
      signingAlgorithm: options.algorithm ?? 'ES256',
      tokenDialect: options.dialect ?? 'ACCESS_TOKEN_AUTHZ',
      tokenLifetime: options.lifetime ?? 600,
      scopes: (options.scopes ?? ['read:x', 'write:x']).map((value, i) => (i === 0 ? { value, description: 'd' } : { value })),
    });
  }

  async function raw(body: string, contentType: string, headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...headers },
      body,
    });
    return { status: response.status, headers: response.headers, body: await response.json() };
  }

  function expectOAuthError(res: { status: number; headers: Headers; body: any }, status: number, error: string) {
    expect({ status: res.status, error: res.body.error }).toEqual({ status, error });
    expect(Object.keys(res.body).sort()).toEqual(['error', 'error_description']);
    expect(typeof res.body.error_description).toBe('string');
    expect(res.headers.get('cache-control')).toBe('no-store');
  }

  async function verify(token: string, api: Api): Promise<{ payload: JWTPayload; header: Record<string, unknown> }> {
    if (api.signingSecret) {
      const result = await jwtVerify(token, new TextEncoder().encode(api.signingSecret), {
        issuer: server.url,
        audience: api.identifier,
        algorithms: ['HS256'],
      });
      return { payload: result.payload, header: result.protectedHeader as Record<string, unknown> };
    }
    // A fresh key set each time: key rings are created on first need.
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const result = await jwtVerify(token, jwks, { issuer: server.url, audience: api.identifier });
    return { payload: result.payload, header: result.protectedHeader as Record<string, unknown> };
  }

  /** Polls `attempt` for up to 1500 ms until `done`, returning the last result. */
  async function eventually<T>(attempt: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + 1500;
    let last = await attempt();
    while (!done(last) && Date.now() < deadline) {
      await sleep(50);
      last = await attempt();
    }
    return last;
  }

  let api: Api; // ES256, ACCESS_TOKEN_AUTHZ, 600 s, read:x write:x
  let noGrantApi: Api;
  let basicClient: Client; // CLIENT_SECRET_BASIC, granted read:x
  let postClient: Client; // CLIENT_SECRET_POST, granted read:x
  let bothClient: Client; // granted read:x write:x
  let webClient: Client; // REGULAR_WEB without CLIENT_CREDENTIALS

  beforeAll(async () => {
    server = await startTestServer();
    api = await createApi({ identifier: 'https://x.example/' });
    noGrantApi = await createApi({ identifier: 'https://nogrant.example/' });
    basicClient = await createClient();
    postClient = await createClient({ tokenEndpointAuthMethod: 'CLIENT_SECRET_POST' });
    bothClient = await createClient();
    webClient = await createClient({
      appType: 'REGULAR_WEB',
      grantTypes: ['AUTHORIZATION_CODE'],
      callbacks: ['https://app.example/callback'],
    });
    await createGrant(basicClient, api, ['read:x']);
    await createGrant(postClient, api, ['read:x']);
    await createGrant(bothClient, api, ['read:x', 'write:x']);
  });
  afterAll(async () => {
    await server.close();
  });

  describe('success', () => {
    it('issues a token with client_secret_basic and a form body', async () => {
      const res = await server.token(
        { grant_type: 'client_credentials', audience: api.identifier },
        { authorization: basicAuth(basicClient.clientId, basicClient.clientSecret) },
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, scope: 'read:x' });
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('pragma')).toBe('no-cache');
      const { payload } = await verify(res.body.access_token, api);
      expect(payload.sub).toBe(`${basicClient.clientId}@clients`);
    });

    it('issues a token with client_secret_post and a form body', async () => {
      const res = await server.token({
        grant_type: 'client_credentials',
        audience: api.identifier,
        client_id: postClient.clientId,
        client_secret: postClient.clientSecret,
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, scope: 'read:x' });
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('pragma')).toBe('no-cache');
      const { payload } = await verify(res.body.access_token, api);
      expect(payload.azp).toBe(postClient.clientId);
    });

    it('accepts a JSON body with client_secret_post', async () => {
      const res = await raw(
        JSON.stringify({
          grant_type: 'client_credentials',
          audience: api.identifier,
          client_id: postClient.clientId,
          client_secret: postClient.clientSecret,
        }),
        'application/json',
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, scope: 'read:x' });
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('pragma')).toBe('no-cache');
      await verify(res.body.access_token, api);
    });

    it('accepts a JSON body with client_secret_basic', async () => {
      const res = await raw(JSON.stringify({ grant_type: 'client_credentials', audience: api.identifier }), 'application/json', {
        authorization: basicAuth(basicClient.clientId, basicClient.clientSecret),
      });
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe('read:x');
      await verify(res.body.access_token, api);
    });

    it('accepts client_id in the body alongside matching Basic credentials', async () => {
      const res = await server.token(
        { grant_type: 'client_credentials', audience: api.identifier, client_id: basicClient.clientId },
        { authorization: basicAuth(basicClient.clientId, basicClient.clientSecret) },
      );
      expect(res.status).toBe(200);
    });
  });

  describe('client authentication', () => {
    it('refuses client_secret_post from a client registered for client_secret_basic', async () => {
      const res = await server.token({
        grant_type: 'client_credentials',
        audience: api.identifier,
        client_id: basicClient.clientId,
        client_secret: basicClient.clientSecret,
      });
      expectOAuthError(res, 401, 'invalid_client');
      expect(res.body.error_description).toBe('This client is registered for client_secret_basic');
      // The same with a wrong secret: the method is named, the secret is not judged.
      const wrong = await server.token({
        grant_type: 'client_credentials',
        audience: api.identifier,
        client_id: basicClient.clientId,
        client_secret: 'wrong',
      });
      expect(wrong.body).toEqual(res.body);
    });

    it('refuses client_secret_basic from a client registered for client_secret_post', async () => {
      const res = await server.token(
        { grant_type: 'client_credentials', audience: api.identifier },
        { authorization: basicAuth(postClient.clientId, postClient.clientSecret) },
      );
      expectOAuthError(res, 401, 'invalid_client');
      expect(res.body.error_description).toBe('This client is registered for client_secret_post');
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
      // The same with a wrong secret: the method is named, the secret is not judged.
      const wrong = await server.token(
        { grant_type: 'client_credentials', audience: api.identifier },
        { authorization: basicAuth(postClient.clientId, 'wrong') },
      );
      expect({ status: wrong.status, body: wrong.body }).toEqual({ status: 401, body: res.body });
    });

    it('refuses two authentication methods at once (Basic and client_secret in the body)', async () => {
      const res = await server.token(
        {
          grant_type: 'client_credentials',
          audience: api.identifier,
          client_id: basicClient.clientId,
          client_secret: basicClient.clientSecret,
        },
        { authorization: basicAuth(basicClient.clientId, basicClient.clientSecret) },
      );
      expectOAuthError(res, 400, 'invalid_request');
    });

    it('gives the same 401 invalid_client for an unknown client and a wrong secret (Basic)', async () => {
      const unknown = await server.token(
        { grant_type: 'client_credentials', audience: api.identifier },
        { authorization: basicAuth('no-such-client', basicClient.clientSecret) },
      );
      const wrong = await server.token(
        { grant_type: 'client_credentials', audience: api.identifier },
        { authorization: basicAuth(basicClient.clientId, `${basicClient.clientSecret}x`) },
      );
      expectOAuthError(unknown, 401, 'invalid_client');
      expectOAuthError(wrong, 401, 'invalid_client');
      expect(wrong.body).toEqual(unknown.body);
      expect(unknown.headers.get('www-authenticate')).toMatch(/^Basic/);
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
    });

    it('gives the same 401 invalid_client for an unknown client and a wrong secret (post)', async () => {
      const unknown = await server.token({
        grant_type: 'client_credentials',
        audience: api.identifier,
        client_id: 'no-such-client',
        client_secret: postClient.clientSecret,
      });
      const wrong = await server.token({
        grant_type: 'client_credentials',
        audience: api.identifier,
        client_id: postClient.clientId,
        client_secret: 'wrong-secret',
      });
      expectOAuthError(unknown, 401, 'invalid_client');
      expectOAuthError(wrong, 401, 'invalid_client');
      expect(wrong.body).toEqual(unknown.body);
    });

    it('refuses a request without any client authentication', async () => {
      const res = await server.token({ grant_type: 'client_credentials', audience: api.identifier });
      expectOAuthError(res, 401, 'invalid_client');
    });

    it('refuses a client not allowed client_credentials with 400 unauthorized_client', async () => {
      const res = await server.token(
        { grant_type: 'client_credentials', audience: api.identifier },
        { authorization: basicAuth(webClient.clientId, webClient.clientSecret) },
      );
      expectOAuthError(res, 400, 'unauthorized_client');
    });
  });

  describe('request parameters', () => {
    const auth = () => ({ authorization: basicAuth(basicClient.clientId, basicClient.clientSecret) });

    it('refuses a repeated parameter with 400 invalid_request', async () => {
      const res = await raw(
        `grant_type=client_credentials&audience=${encodeURIComponent(api.identifier)}&scope=read%3Ax&scope=write%3Ax`,
        'application/x-www-form-urlencoded',
        auth(),
      );
      expectOAuthError(res, 400, 'invalid_request');
      const audience = encodeURIComponent(api.identifier);
      const twice = await raw(
        `grant_type=client_credentials&audience=${audience}&audience=${audience}`,
        'application/x-www-form-urlencoded',
        auth(),
      );
      expectOAuthError(twice, 400, 'invalid_request');
    });

    it('refuses grant_type=password with 400 unsupported_grant_type', async () => {
      const res = await server.token({ grant_type: 'password', audience: api.identifier, username: 'u', password: 'p' }, auth());
      expectOAuthError(res, 400, 'unsupported_grant_type');
    });

    it('refuses a missing grant_type with 400 invalid_request', async () => {
      const res = await server.token({ audience: api.identifier }, auth());
      expectOAuthError(res, 400, 'invalid_request');
    });

    it('accepts resource (RFC 8707) instead of audience', async () => {
      const res = await server.token({ grant_type: 'client_credentials', resource: api.identifier }, auth());
      expect(res.status).toBe(200);
      await verify(res.body.access_token, api);
    });

    it('accepts audience and resource naming the same API', async () => {
      const res = await server.token({ grant_type: 'client_credentials', audience: api.identifier, resource: api.identifier }, auth());
      expect(res.status).toBe(200);
    });

    it('refuses audience and resource naming different APIs with 400 invalid_target', async () => {
      const res = await server.token(
        { grant_type: 'client_credentials', audience: api.identifier, resource: noGrantApi.identifier },
        auth(),
      );
      expectOAuthError(res, 400, 'invalid_target');
    });

    it('refuses a request naming no API with 400 invalid_request', async () => {
      const res = await server.token({ grant_type: 'client_credentials' }, auth());
      expectOAuthError(res, 400, 'invalid_request');
    });

    it('refuses an unknown API with 400 invalid_target', async () => {
      const res = await server.token({ grant_type: 'client_credentials', audience: 'https://unknown.example/' }, auth());
      expectOAuthError(res, 400, 'invalid_target');
      const byResource = await server.token({ grant_type: 'client_credentials', resource: 'https://unknown.example/' }, auth());
      expectOAuthError(byResource, 400, 'invalid_target');
    });

    it('refuses an API the client has no grant for with 403 access_denied', async () => {
      const res = await server.token({ grant_type: 'client_credentials', audience: noGrantApi.identifier }, auth());
      expectOAuthError(res, 403, 'access_denied');
    });
  });

  describe('scope', () => {
    const auth = () => ({ authorization: basicAuth(bothClient.clientId, bothClient.clientSecret) });

    it('gives every granted scope when scope is absent', async () => {
      const res = await server.token({ grant_type: 'client_credentials', audience: api.identifier }, auth());
      expect(res.status).toBe(200);
      expect(res.body.scope.split(' ').sort()).toEqual(['read:x', 'write:x']);
      const { payload } = await verify(res.body.access_token, api);
      expect((payload.scope as string).split(' ').sort()).toEqual(['read:x', 'write:x']);
      expect([...(payload.permissions as string[])].sort()).toEqual(['read:x', 'write:x']);
    });

    it('gives exactly the requested scopes when scope is present', async () => {
      const res = await server.token({ grant_type: 'client_credentials', audience: api.identifier, scope: 'write:x' }, auth());
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe('write:x');
      const { payload } = await verify(res.body.access_token, api);
      expect(payload.scope).toBe('write:x');
      expect(payload.permissions).toEqual(['write:x']);
    });

    it('refuses a scope that is not granted with 400 invalid_scope', async () => {
      const res = await server.token(
        { grant_type: 'client_credentials', audience: api.identifier, scope: 'write:x' },
        { authorization: basicAuth(basicClient.clientId, basicClient.clientSecret) },
      );
      expectOAuthError(res, 400, 'invalid_scope');
      const undefinedScope = await server.token(
        { grant_type: 'client_credentials', audience: api.identifier, scope: 'read:x admin:x' },
        auth(),
      );
      expectOAuthError(undefinedScope, 400, 'invalid_scope');
    });
  });

  describe('token dialects and algorithms', () => {
    const algorithms: Algorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA', 'HS256'];
    const dialects: Dialect[] = ['RFC9068_PROFILE', 'RFC9068_PROFILE_AUTHZ', 'ACCESS_TOKEN', 'ACCESS_TOKEN_AUTHZ'];
    const cases = algorithms.flatMap((algorithm) => dialects.map((dialect) => [algorithm, dialect] as const));

    it.each(cases)('%s / %s', async (algorithm, dialect) => {
      const lifetime = 300 + algorithms.indexOf(algorithm) * 10 + dialects.indexOf(dialect);
      const target = await createApi({ algorithm, dialect, lifetime });
      if (algorithm === 'HS256') expect(typeof target.signingSecret).toBe('string');
      else expect(target.signingSecret).toBeNull();
      const client = await createClient();
      await createGrant(client, target, ['read:x', 'write:x']);

      const res = await server.token(
        { grant_type: 'client_credentials', audience: target.identifier, scope: 'read:x write:x' },
        { authorization: basicAuth(client.clientId, client.clientSecret) },
      );
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: lifetime, scope: 'read:x write:x' });

      const unverifiedHeader = decodeProtectedHeader(res.body.access_token);
      expect(unverifiedHeader.alg).toBe(algorithm);
      const { payload, header } = await verify(res.body.access_token, target);
      expect(header.alg).toBe(algorithm);
      expect(typeof header.kid).toBe('string');
      expect(payload.iss).toBe(server.url);
      expect(payload.aud).toBe(target.identifier);
      expect(payload.exp! - payload.iat!).toBe(lifetime);
      expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(60);
      expect(typeof payload.jti).toBe('string');
      expect(payload.scope).toBe('read:x write:x');

      const common = ['aud', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub'];
      const authz = dialect.endsWith('_AUTHZ');
      if (dialect.startsWith('RFC9068')) {
        expect(header.typ).toBe('at+jwt');
        expect(payload.sub).toBe(client.clientId);
        expect(payload.client_id).toBe(client.clientId);
        expect(payload).not.toHaveProperty('azp');
        expect(payload).not.toHaveProperty('gty');
        expect(Object.keys(payload).sort()).toEqual([...common, 'client_id', ...(authz ? ['permissions'] : [])].sort());
      } else {
        expect(header.typ).toBe('JWT');
        expect(payload.sub).toBe(`${client.clientId}@clients`);
        expect(payload.azp).toBe(client.clientId);
        expect(payload.gty).toBe('client-credentials');
        expect(payload).not.toHaveProperty('client_id');
        expect(Object.keys(payload).sort()).toEqual([...common, 'azp', 'gty', ...(authz ? ['permissions'] : [])].sort());
      }
      if (authz) expect(payload.permissions).toEqual(['read:x', 'write:x']);
      else expect(payload).not.toHaveProperty('permissions');
    });

    it('gives each token a distinct jti', async () => {
      const auth = { authorization: basicAuth(basicClient.clientId, basicClient.clientSecret) };
      const a = await server.token({ grant_type: 'client_credentials', audience: api.identifier }, auth);
      const b = await server.token({ grant_type: 'client_credentials', audience: api.identifier }, auth);
      const [pa, pb] = [(await verify(a.body.access_token, api)).payload, (await verify(b.body.access_token, api)).payload];
      expect(pa.jti).not.toBe(pb.jti);
    });
  });

  describe('changes take effect at once', () => {
    it('refuses with 403 access_denied once the client grant is deleted', async () => {
      const target = await createApi();
      const client = await createClient();
      const grantId = await createGrant(client, target, ['read:x']);
      const request = () =>
        server.token(
          { grant_type: 'client_credentials', audience: target.identifier },
          { authorization: basicAuth(client.clientId, client.clientSecret) },
        );
      expect((await request()).status).toBe(200);
      const deleted = await gqlData(`mutation($id: ID!) { clientGrantDelete(id: $id) { deletedId userErrors { code } } }`, { id: grantId });
      expect(deleted.clientGrantDelete.userErrors).toEqual([]);
      const res = await eventually(request, (r) => r.status !== 200);
      expectOAuthError(res, 403, 'access_denied');
    });

    it('refuses with 401 invalid_client once the client is deleted', async () => {
      const client = await createClient();
      await createGrant(client, api, ['read:x']);
      const request = () =>
        server.token(
          { grant_type: 'client_credentials', audience: api.identifier },
          { authorization: basicAuth(client.clientId, client.clientSecret) },
        );
      expect((await request()).status).toBe(200);
      const deleted = await gqlData(`mutation($id: ID!) { clientDelete(id: $id) { deletedId userErrors { code } } }`, { id: client.id });
      expect(deleted.clientDelete.userErrors).toEqual([]);
      const res = await eventually(request, (r) => r.status !== 200);
      expectOAuthError(res, 401, 'invalid_client');
    });

    it('refuses the old secret and accepts the new one after clientSecretRotate', async () => {
      const client = await createClient();
      await createGrant(client, api, ['read:x']);
      const request = (secret: string) =>
        server.token({ grant_type: 'client_credentials', audience: api.identifier }, { authorization: basicAuth(client.clientId, secret) });
      expect((await request(client.clientSecret)).status).toBe(200);
      const rotated = await gqlData(`mutation($id: ID!) { clientSecretRotate(id: $id) { clientSecret userErrors { code } } }`, {
        id: client.id,
      });
      const newSecret = rotated.clientSecretRotate.clientSecret as string;
      expect(typeof newSecret).toBe('string');
      expect(newSecret).not.toBe(client.clientSecret);
      const old = await eventually(
        () => request(client.clientSecret),
        (r) => r.status !== 200,
      );
      expectOAuthError(old, 401, 'invalid_client');
      const fresh = await eventually(
        () => request(newSecret),
        (r) => r.status === 200,
      );
      expect(fresh.status).toBe(200);
      expect(fresh.body.scope).toBe('read:x');
    });

    it('drops a removed scope from requests and from the default scope', async () => {
      const target = await createApi();
      const client = await createClient();
      await createGrant(client, target, ['read:x', 'write:x']);
      const request = (scope?: string) =>
        server.token(
          { grant_type: 'client_credentials', audience: target.identifier, ...(scope ? { scope } : {}) },
          { authorization: basicAuth(client.clientId, client.clientSecret) },
        );
      expect((await request()).body.scope.split(' ').sort()).toEqual(['read:x', 'write:x']);
      expect((await request('write:x')).status).toBe(200);
      const removed = await gqlData(
        `mutation($id: ID!) { resourceServerScopesRemove(id: $id, values: ["write:x"]) { userErrors { code } } }`,
        {
          id: target.id,
        },
      );
      expect(removed.resourceServerScopesRemove.userErrors).toEqual([]);
      const refused = await eventually(
        () => request('write:x'),
        (r) => r.status !== 200,
      );
      expectOAuthError(refused, 400, 'invalid_scope');
      const byDefault = await eventually(
        () => request(),
        (r) => r.body.scope === 'read:x',
      );
      expect(byDefault.status).toBe(200);
      expect(byDefault.body.scope).toBe('read:x');
      const { payload } = await verify(byDefault.body.access_token, target);
      expect(payload.permissions).toEqual(['read:x']);
    });
  });
});
