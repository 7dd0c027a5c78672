import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, ClientFixture, fixtures } from '../helpers/fixtures';
import { resolveApi } from '../../src/oauth/audience';
import type { GrantDefinition, GrantRequest } from '../../src/oauth/grants/grant';

/**
 * An extension grant (RFC 6749 §4.5) registered from this file alone: /oauth/token dispatches it,
 * checks the client may use it, and both discovery documents list it.
 */
const TEST_GRANT = 'urn:example:test-grant';

describe('grant registry: an extension grant registered at run time', () => {
  let server: TestServer;
  const { createApi, createClient, createGrant } = fixtures(() => server, 'grant-registry');
  let api: ApiFixture;
  let machine: ClientFixture;
  let web: ClientFixture;
  const handled: { clientId: string; params: Record<string, string>; requestId: string }[] = [];

  const testGrant: GrantDefinition = {
    grantType: TEST_GRANT,
    requiredClientGrant: 'CLIENT_CREDENTIALS',
    params: ['audience', 'subject_hint'],
    async handle({ client, params, requestId, services }: GrantRequest) {
      handled.push({ clientId: client.clientId, params: Object.fromEntries(params), requestId });
      const target = await resolveApi(services.registry, params);
      return services.pipeline.issueAccessToken({ grantType: TEST_GRANT, client, api: target, user: null, scopes: ['read:x'], requestId });
    },
  };

  beforeAll(async () => {
    server = await startTestServer();
    server.app.grants.register(testGrant);
    api = await createApi({ tokenDialect: 'ACCESS_TOKEN' });
    machine = await createClient();
    await createGrant(machine, api, ['read:x']);
    web = await createClient({
      appType: 'REGULAR_WEB',
      callbacks: ['https://web.grant-registry.example/cb'],
      grantTypes: ['AUTHORIZATION_CODE'],
    });
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    handled.length = 0;
  });

  it.each(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'])(
    '%s lists it in grant_types_supported',
    async (path) => {
      const metadata = await (await fetch(`${server.url}${path}`)).json();
      expect(metadata.grant_types_supported).toEqual([
        'client_credentials',
        'authorization_code',
        'refresh_token',
        'urn:ietf:params:oauth:grant-type:token-exchange',
        'urn:ietf:params:oauth:grant-type:device_code',
        TEST_GRANT,
        'implicit',
      ]);
      // The other registries, unchanged: introspection takes confidential methods only.
      expect(metadata.token_endpoint_auth_methods_supported).toEqual([
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
        'none',
      ]);
      expect(metadata.introspection_endpoint_auth_methods_supported).toEqual([
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ]);
      expect(metadata.response_types_supported).toEqual(['code', 'token']);
    },
  );

  it('dispatches it at /oauth/token with the authenticated client and the parameters; the token comes from the pipeline', async () => {
    const res = await server.token(
      { grant_type: TEST_GRANT, audience: api.identifier, subject_hint: 'abc' },
      { authorization: basicAuth(machine.clientId, machine.clientSecret!), 'x-request-id': 'grant-registry-1' },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, scope: 'read:x' });
    expect(handled).toEqual([
      {
        clientId: machine.clientId,
        params: { grant_type: TEST_GRANT, audience: api.identifier, subject_hint: 'abc' },
        requestId: 'grant-registry-1',
      },
    ]);
    const { payload, protectedHeader } = await jwtVerify(
      res.body.access_token,
      createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)),
      {
        issuer: server.url,
        audience: api.identifier,
      },
    );
    expect(protectedHeader.typ).toBe('JWT');
    expect(payload).toMatchObject({ sub: `${machine.clientId}@clients`, azp: machine.clientId, scope: 'read:x', gty: TEST_GRANT });
  });

  it('refuses a client not allowed the grant it requires (unauthorized_client) before the grant runs', async () => {
    const res = await server.token(
      { grant_type: TEST_GRANT, audience: api.identifier },
      { authorization: basicAuth(web.clientId, web.clientSecret!) },
    );
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'unauthorized_client', error_description: `This client is not allowed the ${TEST_GRANT} grant` });
    expect(handled).toEqual([]);
  });

  it('authenticates the client first, as for every grant', async () => {
    const res = await server.token(
      { grant_type: TEST_GRANT, audience: api.identifier },
      { authorization: basicAuth(machine.clientId, 'wrong') },
    );
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect(handled).toEqual([]);
  });

  it('labels its metrics with its own grant type; an unregistered one stays unsupported_grant_type', async () => {
    expect(server.app.grants.label(TEST_GRANT)).toBe(TEST_GRANT);
    const res = await server.token(
      { grant_type: 'urn:example:other', audience: api.identifier },
      { authorization: basicAuth(machine.clientId, machine.clientSecret!) },
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('unsupported_grant_type');
    expect(server.app.grants.label('urn:example:other')).toBe('other');
  });

  it('refuses to register a grant type twice, or one requiring an unknown client grant', () => {
    expect(() => server.app.grants.register(testGrant)).toThrow(/already registered/);
    expect(() =>
      server.app.grants.register({ ...testGrant, grantType: 'urn:example:x', requiredClientGrant: 'PASSWORD' as never }),
    ).toThrow(/unknown client grant/);
    expect(server.app.grants.get('urn:example:x')).toBeUndefined();
  });
});
