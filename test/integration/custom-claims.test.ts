import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, JWTPayload, jwtVerify } from 'jose';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, ClientFixture, fixtures, uuidOf } from '../helpers/fixtures';
import { pkce } from '../helpers/browser-agent';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';
import { accessDenied } from '../../src/oauth/errors';
import { CustomClaimsSource, PROTECTED_CLAIMS, TokenContext } from '../../src/oauth/tokens/token-context';

const WEB_CB = 'https://web.custom-claims.example/callback';
const FORGED = 'forged-by-the-source';
const DIALECTS = ['RFC9068_PROFILE', 'RFC9068_PROFILE_AUTHZ', 'ACCESS_TOKEN', 'ACCESS_TOKEN_AUTHZ'] as const;

/**
 * A test source: for APIs listed in `claimsFor`, every protected claim forged plus two custom
 * claims (asynchronously); `refuse` APIs get access_denied; any other API nothing (undefined, synchronously).
 */
class TestSource implements CustomClaimsSource {
  readonly seen: TokenContext[] = [];
  readonly apis = new Set<string>();
  readonly refuse = new Set<string>();

  claimsFor(context: TokenContext): Promise<Record<string, unknown>> | undefined {
    this.seen.push(context);
    if (this.refuse.has(context.api.server.identifier)) throw accessDenied('The hook refused this token');
    if (!this.apis.has(context.api.server.identifier)) return undefined;
    const forged: Record<string, unknown> = {};
    for (const claim of PROTECTED_CLAIMS) forged[claim] = FORGED;
    return Promise.resolve({ ...forged, 'https://example.com/team': 'blue', tier: 3 });
  }
}

describe('token pipeline: custom claims never override protected claims', () => {
  const source = new TestSource();
  let server: TestServer;
  const { createApi, createClient, createGrant, gqlData } = fixtures(() => server, 'custom-claims');
  let machine: ClientFixture;
  let web: ClientFixture;
  let userId: string;

  beforeAll(async () => {
    server = await startTestServer({ claimsSources: [source] });
    machine = await createClient();
    web = await createClient({ appType: 'REGULAR_WEB', callbacks: [WEB_CB], grantTypes: ['AUTHORIZATION_CODE'] });
    const user = await server.app.users.create(
      { email: `u-${randomBytes(3).toString('hex')}@custom-claims.example`, password: 'correct horse battery staple' },
      SYSTEM_ACTOR,
    );
    userId = user.id;
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    source.seen.length = 0;
  });

  const verify = async (token: string, api: ApiFixture): Promise<JWTPayload> =>
    (
      await jwtVerify(token, createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)), {
        issuer: server.url,
        audience: api.identifier,
      })
    ).payload;

  async function machineApi(dialect: string, withClaims: boolean): Promise<ApiFixture> {
    const api = await createApi({ tokenDialect: dialect });
    await createGrant(machine, api, ['read:x']);
    if (withClaims) source.apis.add(api.identifier);
    return api;
  }

  async function clientCredentials(api: ApiFixture) {
    const res = await server.token(
      { grant_type: 'client_credentials', audience: api.identifier },
      { authorization: basicAuth(machine.clientId, machine.clientSecret!) },
    );
    expect(res.status).toBe(200);
    return { body: res.body, claims: await verify(res.body.access_token, api) };
  }

  describe.each(DIALECTS)('%s', (dialect) => {
    it("client_credentials: custom claims merged; every protected claim is the pipeline's or absent", async () => {
      const plain = await clientCredentials(await machineApi(dialect, false));
      const api = await machineApi(dialect, true);
      const { body, claims } = await clientCredentials(api);

      expect(claims['https://example.com/team']).toBe('blue');
      expect(claims.tier).toBe(3);
      for (const claim of PROTECTED_CLAIMS) expect([claim, claims[claim]]).not.toEqual([claim, FORGED]);
      // Exactly the claims of a token without the source, plus the two custom ones.
      expect(Object.keys(claims).sort()).toEqual([...Object.keys(plain.claims), 'https://example.com/team', 'tier'].sort());
      expect(claims).toMatchObject({
        iss: server.url,
        aud: api.identifier,
        scope: 'read:x',
        sub: dialect.startsWith('RFC9068') ? machine.clientId : `${machine.clientId}@clients`,
      });
      expect(claims.exp! - claims.iat!).toBe(600);
      expect(body.scope).toBe('read:x');
    });

    it('authorization_code: the same for user tokens (sub is the user, permissions kept)', async () => {
      const api = await createApi({ tokenDialect: dialect });
      source.apis.add(api.identifier);
      const { verifier, challenge } = pkce();
      const code = await server.app.authorizationCodes.issue({
        clientUuid: uuidOf(web.id),
        userId,
        resourceServerId: uuidOf(api.id),
        redirectUri: WEB_CB,
        scopes: ['read:x'],
        codeChallenge: challenge,
        codeChallengeMethod: 'S256',
      });
      const res = await server.token(
        { grant_type: 'authorization_code', code, redirect_uri: WEB_CB, code_verifier: verifier },
        { authorization: basicAuth(web.clientId, web.clientSecret!) },
      );
      expect(res.status).toBe(200);
      const claims = await verify(res.body.access_token, api);
      expect(claims.tier).toBe(3);
      for (const claim of PROTECTED_CLAIMS) expect([claim, claims[claim]]).not.toEqual([claim, FORGED]);
      expect(claims.sub).toBe(userId);
      if (dialect.endsWith('_AUTHZ')) expect(claims.permissions).toEqual(['read:x']);
      else expect(claims).not.toHaveProperty('permissions');
      expect(source.seen).toEqual([
        expect.objectContaining({ grantType: 'authorization_code', user: expect.objectContaining({ id: userId }), scopes: ['read:x'] }),
      ]);
    });
  });

  it('the source sees the token context: grant type, client, API, no user, granted scopes, request id', async () => {
    const api = await machineApi('RFC9068_PROFILE', true);
    await server.token(
      { grant_type: 'client_credentials', audience: api.identifier },
      { authorization: basicAuth(machine.clientId, machine.clientSecret!), 'x-request-id': 'custom-claims-ctx' },
    );
    expect(source.seen).toHaveLength(1);
    const [context] = source.seen;
    expect(context).toMatchObject({ grantType: 'client_credentials', user: null, scopes: ['read:x'], requestId: 'custom-claims-ctx' });
    expect(context.client.clientId).toBe(machine.clientId);
    expect(context.api.server.identifier).toBe(api.identifier);
  });

  it('the accessTokenIssue mutation goes through the same pipeline', async () => {
    const api = await machineApi('ACCESS_TOKEN', true);
    const data = await gqlData(
      `mutation($input: AccessTokenIssueInput!) { accessTokenIssue(input: $input) { accessToken userErrors { message } } }`,
      { input: { clientId: machine.id, resourceServerId: api.id } },
    );
    expect(data.accessTokenIssue.userErrors).toEqual([]);
    const claims = await verify(data.accessTokenIssue.accessToken, api);
    expect(claims).toMatchObject({ tier: 3, gty: 'client-credentials', azp: machine.clientId });
    for (const claim of PROTECTED_CLAIMS) expect([claim, claims[claim]]).not.toEqual([claim, FORGED]);
  });

  it('a source may refuse the token: access_denied at the token endpoint', async () => {
    const api = await machineApi('RFC9068_PROFILE', false);
    source.refuse.add(api.identifier);
    const res = await server.token(
      { grant_type: 'client_credentials', audience: api.identifier },
      { authorization: basicAuth(machine.clientId, machine.clientSecret!) },
    );
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: 'access_denied', error_description: 'The hook refused this token' });
  });
});
