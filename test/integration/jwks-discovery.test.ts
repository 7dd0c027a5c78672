import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { ApiFixture, ClientFixture, fixtures } from '../helpers/fixtures';
import { startTestServer, TestServer, BOOTSTRAP } from '../helpers/test-app';

type Api = ApiFixture;
/** Every client these tests authenticate is confidential. */
type Client = ClientFixture & { clientSecret: string };

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

describe('JWKS, discovery and secrets at rest', () => {
  let server: TestServer;

  const {
    gqlData,
    createClient: createFixtureClient,
    createGrant,
    createApi: createFixtureApi,
    issueToken,
  } = fixtures(() => server, 'jwks');
  const createClient = (input: Record<string, unknown> = {}) => createFixtureClient(input) as Promise<Client>;
  const createApi = (algorithm: string, dialect = 'RFC9068_PROFILE'): Promise<Api> =>
    createFixtureApi({ signingAlgorithm: algorithm, tokenDialect: dialect });

  const issue = (client: Client, api: Api): Promise<string> => issueToken(client, api);

  async function getJwks() {
    const response = await fetch(`${server.url}/.well-known/jwks.json`);
    return { status: response.status, headers: response.headers, body: (await response.json()) as { keys: Record<string, unknown>[] } };
  }

  let hsApi: Api;
  let client: Client;
  const apis: Record<string, Api> = {};

  beforeAll(async () => {
    server = await startTestServer();
    client = await createClient();
    for (const algorithm of ['RS256', 'PS256', 'ES256', 'EdDSA']) {
      apis[algorithm] = await createApi(algorithm);
      await createGrant(client, apis[algorithm], ['read:x']);
    }
    hsApi = await createApi('HS256', 'ACCESS_TOKEN');
    await createGrant(client, hsApi, ['read:x']);
    // Key rings are created on first need: issue a token in every algorithm.
    for (const api of [...Object.values(apis), hsApi]) await issue(client, api);
  });
  afterAll(async () => {
    await server.close();
  });

  describe('GET /.well-known/jwks.json', () => {
    it('is publicly cacheable', async () => {
      const res = await getJwks();
      expect(res.status).toBe(200);
      const cacheControl = res.headers.get('cache-control') ?? '';
      expect(cacheControl).toContain('public');
      expect(cacheControl).toMatch(/max-age=\d+/);
    });

    it('publishes only public keys, each with kty, kid, use and alg', async () => {
      const { body } = await getJwks();
      expect(Array.isArray(body.keys)).toBe(true);
      expect(body.keys.length).toBeGreaterThan(0);
      for (const key of body.keys) {
        expect(typeof key.kty).toBe('string');
        expect(typeof key.kid).toBe('string');
        expect(key.use).toBe('sig');
        expect(typeof key.alg).toBe('string');
        for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
        expect(key.alg).not.toBe('HS256');
        expect(key.kty).not.toBe('oct');
      }
      const kids = body.keys.map((k) => k.kid);
      expect(new Set(kids).size).toBe(kids.length);
    });

    it('holds a key for every asymmetric algorithm in use, and none for HS256', async () => {
      const { body } = await getJwks();
      const algorithms = new Set(body.keys.map((k) => k.alg));
      for (const algorithm of ['RS256', 'PS256', 'ES256', 'EdDSA']) expect(algorithms.has(algorithm)).toBe(true);
      expect(algorithms.has('HS256')).toBe(false);
      const hsToken = await issue(client, hsApi);
      const hsKid = decodeProtectedHeader(hsToken).kid;
      expect(body.keys.some((k) => k.kid === hsKid)).toBe(false);
    });

    it('verifies tokens of every asymmetric algorithm (kid of the token is published)', async () => {
      const { body } = await getJwks();
      for (const [algorithm, api] of Object.entries(apis)) {
        const token = await issue(client, api);
        const header = decodeProtectedHeader(token);
        expect(header.alg).toBe(algorithm);
        const key = body.keys.find((k) => k.kid === header.kid);
        expect(key).toBeDefined();
        expect(key!.alg).toBe(algorithm);
        const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
        const { payload } = await jwtVerify(token, jwks, { issuer: server.url, audience: api.identifier });
        expect(payload.client_id).toBe(client.clientId);
      }
    });
  });

  describe('discovery metadata', () => {
    it.each(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'])('%s', async (path) => {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(200);
      const metadata = await response.json();
      expect(metadata.issuer).toBe(server.url);
      expect(metadata.token_endpoint).toBe(`${server.url}/oauth/token`);
      expect(metadata.jwks_uri).toBe(`${server.url}/.well-known/jwks.json`);
      expect(metadata.grant_types_supported).toEqual([
        'client_credentials',
        'authorization_code',
        'refresh_token',
        'urn:ietf:params:oauth:grant-type:token-exchange',
        'urn:ietf:params:oauth:grant-type:device_code',
        'implicit',
      ]);
      // RFC 8628, its endpoint derived from the registered grant.
      expect(metadata.device_authorization_endpoint).toBe(`${server.url}/oauth/device/code`);
      expect(metadata.token_endpoint_auth_methods_supported).toEqual([
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
        'none',
      ]);
      // User sign-in: the authorization endpoint, its response types and modes, PKCE, RFC 9207 `iss`.
      expect(metadata.authorization_endpoint).toBe(`${server.url}/authorize`);
      expect(metadata.response_types_supported).toEqual(['code', 'token']);
      expect(metadata.response_modes_supported).toEqual(['query', 'fragment', 'form_post']);
      expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
      expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
      // RFC 7009 revocation, public clients included.
      expect(metadata.revocation_endpoint).toBe(`${server.url}/oauth/revoke`);
      expect(metadata.revocation_endpoint_auth_methods_supported).toEqual([
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
        'none',
      ]);

      // The advertised endpoints are the real ones.
      const jwks = await fetch(metadata.jwks_uri);
      expect(jwks.status).toBe(200);
      const token = await issue(client, apis.ES256);
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(metadata.jwks_uri)), {
        issuer: metadata.issuer,
        audience: apis.ES256.identifier,
      });
      expect(payload.iss).toBe(metadata.issuer);
    });

    it('names the same issuer as the iss of tokens (also HS256 tokens)', async () => {
      const token = await issue(client, hsApi);
      const { payload } = await jwtVerify(token, new TextEncoder().encode(hsApi.signingSecret!), {
        issuer: server.url,
        audience: hsApi.identifier,
      });
      const metadata = await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json();
      expect(payload.iss).toBe(metadata.issuer);
    });
  });

  describe('oauth4webapi client', () => {
    async function discover(): Promise<oauth.AuthorizationServer> {
      const issuer = new URL(server.url);
      const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true });
      return oauth.processDiscoveryResponse(issuer, response);
    }

    it('discovers the server', async () => {
      const as = await discover();
      expect(as.issuer).toBe(server.url);
      expect(as.token_endpoint).toBe(`${server.url}/oauth/token`);
      expect(as.jwks_uri).toBe(`${server.url}/.well-known/jwks.json`);
    });

    it('gets a token with ClientSecretBasic and verifies it against the JWKS', async () => {
      const as = await discover();
      const api = apis.RS256;
      const response = await oauth.clientCredentialsGrantRequest(
        as,
        { client_id: client.clientId },
        oauth.ClientSecretBasic(client.clientSecret),
        new URLSearchParams({ audience: api.identifier }),
        { [oauth.allowInsecureRequests]: true },
      );
      const result = await oauth.processClientCredentialsResponse(as, { client_id: client.clientId }, response);
      expect(result.token_type).toBe('bearer'); // oauth4webapi lower-cases it
      expect(result.expires_in).toBe(600);
      expect(result.scope).toBe('read:x');
      const jwks = createRemoteJWKSet(new URL(as.jwks_uri!));
      const { payload, protectedHeader } = await jwtVerify(result.access_token, jwks, { issuer: as.issuer, audience: api.identifier });
      expect(protectedHeader.typ).toBe('at+jwt');
      expect(payload.sub).toBe(client.clientId);
    });

    it('gets a token with ClientSecretPost and verifies it against the JWKS', async () => {
      const postClient = await createClient({ tokenEndpointAuthMethod: 'CLIENT_SECRET_POST' });
      const api = apis.EdDSA;
      await createGrant(postClient, api, ['read:x', 'write:x']);
      const as = await discover();
      const response = await oauth.clientCredentialsGrantRequest(
        as,
        { client_id: postClient.clientId },
        oauth.ClientSecretPost(postClient.clientSecret),
        new URLSearchParams({ audience: api.identifier, scope: 'write:x' }),
        { [oauth.allowInsecureRequests]: true },
      );
      const result = await oauth.processClientCredentialsResponse(as, { client_id: postClient.clientId }, response);
      expect(result.scope).toBe('write:x');
      const jwks = createRemoteJWKSet(new URL(as.jwks_uri!));
      const { payload, protectedHeader } = await jwtVerify(result.access_token, jwks, { issuer: as.issuer, audience: api.identifier });
      expect(protectedHeader.alg).toBe('EdDSA');
      expect(payload.client_id).toBe(postClient.clientId);
      expect(payload.scope).toBe('write:x');
    });

    it('surfaces an OAuth error response to the library', async () => {
      const as = await discover();
      const response = await oauth.clientCredentialsGrantRequest(
        as,
        { client_id: client.clientId },
        oauth.ClientSecretBasic('wrong-secret'),
        new URLSearchParams({ audience: apis.RS256.identifier }),
        { [oauth.allowInsecureRequests]: true },
      );
      // With a WWW-Authenticate challenge oauth4webapi raises WWWAuthenticateChallengeError.
      const error = await oauth.processClientCredentialsResponse(as, { client_id: client.clientId }, response).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
      const challengeError = error as oauth.WWWAuthenticateChallengeError;
      expect(challengeError.status).toBe(401);
      expect(challengeError.cause[0].scheme).toBe('basic');
    });
  });

  describe('no plaintext secrets at rest', () => {
    it('stores neither client secrets, HS256 secrets nor private keys in clear', async () => {
      const api = await createApi('HS256');
      const m2m = await createClient();
      expect(typeof api.signingSecret).toBe('string');
      expect(typeof m2m.clientSecret).toBe('string');
      // A rotated secret, too.
      const rotated = await gqlData(`mutation($id: ID!) { clientSecretRotate(id: $id) { clientSecret userErrors { code } } }`, {
        id: m2m.id,
      });
      const rotatedSecret = rotated.clientSecretRotate.clientSecret as string;
      expect(typeof rotatedSecret).toBe('string');

      const tables = [
        'resource_servers',
        'scopes',
        'clients',
        'client_secrets',
        'client_grants',
        'signing_keys',
        'resource_server_secrets',
      ];
      let dump = '';
      for (const table of tables) dump += JSON.stringify(await server.db.query(`SELECT * FROM ${table}`));
      const secrets = [
        api.signingSecret!,
        hsApi.signingSecret!,
        m2m.clientSecret,
        rotatedSecret,
        client.clientSecret,
        BOOTSTRAP.clientSecret,
      ];
      for (const secret of secrets) {
        expect(secret.length).toBeGreaterThanOrEqual(16);
        expect(dump.includes(secret)).toBe(false);
      }
      // The HS256 secret is not stored as its base64 / hex either.
      expect(dump.includes(Buffer.from(api.signingSecret!).toString('base64'))).toBe(false);
      expect(dump.includes(Buffer.from(api.signingSecret!).toString('hex'))).toBe(false);

      const keys = await server.db.query<{ private_key_sealed: string; public_jwk: Record<string, unknown> | string }>(
        'SELECT private_key_sealed, public_jwk FROM signing_keys',
      );
      expect(keys.length).toBeGreaterThanOrEqual(4);
      for (const key of keys) {
        expect(key.private_key_sealed.startsWith('v1.')).toBe(true);
        const jwk = typeof key.public_jwk === 'string' ? JSON.parse(key.public_jwk) : key.public_jwk;
        for (const member of PRIVATE_MEMBERS) expect(jwk).not.toHaveProperty(member);
      }
      const hsRows = await server.db.query<{ secret_sealed: string }>('SELECT secret_sealed FROM resource_server_secrets');
      expect(hsRows.length).toBeGreaterThanOrEqual(2);
      for (const row of hsRows) expect(row.secret_sealed.startsWith('v1.')).toBe(true);
    });
  });
});
