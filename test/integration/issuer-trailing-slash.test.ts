import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { freePort, startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, ClientFixture, fixtures } from '../helpers/fixtures';
import { authorize, exchangeCode } from '../helpers/refresh-flow';

const ACTOR = { subject: 'test', clientId: null, requestId: null };
const EMAIL = 'ada@issuer.example';
const PASSWORD = 'correct horse battery staple';
const CALLBACK = 'https://web.example/callback';

/** Issue 11 item 1: ISSUER is used exactly as configured, trailing slash included (Auth0 tenants end with one). */
describe('an issuer with a trailing slash', () => {
  let server: TestServer;
  let issuer: string;
  const { createApi, createClient, createGrant, issueToken } = fixtures(() => server, 'issuer');
  let api: ApiFixture;
  let machine: ClientFixture;

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}/`;
    server = await startTestServer({ env: { PORT: String(port), ISSUER: issuer } });
    api = await createApi();
    machine = await createClient();
    await createGrant(machine, api, ['read:x']);
    await server.app.users.create({ email: EMAIL, password: PASSWORD }, ACTOR);
  });
  afterAll(async () => {
    await server.close();
  });

  it('is discovery’s issuer exactly, and every endpoint URL has a single slash', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const metadata = await (await fetch(`${server.url}${path}`)).json();
      const base = issuer.slice(0, -1);
      expect(metadata).toMatchObject({
        issuer,
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/oauth/token`,
        jwks_uri: `${base}/.well-known/jwks.json`,
        introspection_endpoint: `${base}/oauth/introspect`,
        revocation_endpoint: `${base}/oauth/revoke`,
        service_documentation: `${base}/graphql`,
      });
    }
  });

  it('passes oauth4webapi’s discovery, which compares the issuer as an exact string', async () => {
    const issuerUrl = new URL(issuer);
    for (const algorithm of ['oidc', 'oauth2'] as const) {
      const response = await oauth.discoveryRequest(issuerUrl, { algorithm, [oauth.allowInsecureRequests]: true });
      const as = await oauth.processDiscoveryResponse(issuerUrl, response);
      expect(as.issuer).toBe(issuer);
    }
  });

  it('is the iss of a client-credentials token, which verifies against that exact issuer', async () => {
    const token = await issueToken(machine, api);
    expect(decodeJwt(token).iss).toBe(issuer);
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(token, jwks, { issuer, audience: api.identifier });
    expect(payload.iss).toBe(issuer);
    await expect(jwtVerify(token, jwks, { issuer: issuer.slice(0, -1), audience: api.identifier })).rejects.toThrow(/iss/);
  });

  it('is the iss of the authorization response (RFC 9207) and of the tokens the code is exchanged for', async () => {
    const web = await createClient({ appType: 'REGULAR_WEB', callbacks: [CALLBACK] });
    const result = await authorize(server, {
      clientId: web.clientId,
      redirectUri: CALLBACK,
      audience: api.identifier,
      scope: 'read:x',
      email: EMAIL,
      password: PASSWORD,
    });
    expect(result.params.iss).toBe(issuer);
    const res = await exchangeCode(server, web, result.params.code, result.verifier, CALLBACK);
    expect(res.status).toBe(200);
    expect(decodeJwt(res.body.access_token).iss).toBe(issuer);
  });

  it('keeps the management audience without a doubled slash, and the management API accepts its own tokens', async () => {
    expect(server.config.managementAudience).toBe(`${issuer}api/v2/`);
    const token = await server.managementToken();
    expect(decodeJwt(token)).toMatchObject({ iss: issuer, aud: `${issuer}api/v2/` });
    const res = await server.gql('{ resourceServers(first: 1) { totalCount } }');
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });
});
