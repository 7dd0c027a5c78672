import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, ClientFixture, fixtures, uuidOf } from '../helpers/fixtures';
import { authorize, clientAuth, exchangeCode, isActive, refresh } from '../helpers/refresh-flow';

type HttpResult = { status: number; headers: Headers; text: string };

const ACTOR = { subject: 'test', clientId: null, requestId: null };
const EMAIL = 'ada@revoke.example';
const PASSWORD = 'correct horse battery staple';
const WEB_CALLBACK = 'https://web.example/callback';
const SPA_CALLBACK = 'https://spa.example/callback';

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

describe('POST /oauth/revoke (RFC 7009)', () => {
  let server: TestServer;
  const { createApi, createClient, createGrant, issueToken } = fixtures(() => server, 'revoke');

  let api: ApiFixture; // allowOfflineAccess: read:x write:x introspect
  let web: ClientFixture; // REGULAR_WEB, client_secret_basic
  let other: ClientFixture; // REGULAR_WEB: another client
  let post: ClientFixture; // REGULAR_WEB, client_secret_post
  let spa: ClientFixture; // SPA: public
  let machine: ClientFixture; // client credentials on api
  let introspector: ClientFixture;
  let userId: string;

  beforeAll(async () => {
    server = await startTestServer();
    api = await createApi({ allowOfflineAccess: true, scopes: [{ value: 'read:x' }, { value: 'write:x' }, { value: 'introspect' }] });
    web = await createClient({ appType: 'REGULAR_WEB', callbacks: [WEB_CALLBACK] });
    other = await createClient({ appType: 'REGULAR_WEB', callbacks: [WEB_CALLBACK] });
    post = await createClient({ appType: 'REGULAR_WEB', callbacks: [WEB_CALLBACK], tokenEndpointAuthMethod: 'CLIENT_SECRET_POST' });
    spa = await createClient({ appType: 'SPA', callbacks: [SPA_CALLBACK] });
    machine = await createClient();
    await createGrant(machine, api, ['read:x']);
    introspector = await createClient();
    await createGrant(introspector, api, ['introspect']);
    userId = (await server.app.users.create({ email: EMAIL, password: PASSWORD }, ACTOR)).id;
  });
  afterAll(async () => {
    await server.close();
  });

  /** Access and refresh token of `client` for the user, through /authorize and the token endpoint. */
  async function signIn(client: ClientFixture, redirectUri = WEB_CALLBACK): Promise<{ accessToken: string; refreshToken: string }> {
    const result = await authorize(server, {
      clientId: client.clientId,
      redirectUri,
      audience: api.identifier,
      scope: 'read:x offline_access',
      email: EMAIL,
      password: PASSWORD,
    });
    const res =
      client === post
        ? await server.token({
            grant_type: 'authorization_code',
            code: result.params.code,
            code_verifier: result.verifier,
            redirect_uri: redirectUri,
            client_id: post.clientId,
            client_secret: post.clientSecret!,
          })
        : await exchangeCode(server, client, result.params.code, result.verifier, redirectUri);
    expect(res.status).toBe(200);
    return { accessToken: res.body.access_token, refreshToken: res.body.refresh_token };
  }

  /** POST /oauth/revoke as `client` (as registered), form body. */
  async function revoke(client: ClientFixture, params: Record<string, string>, headers?: Record<string, string>): Promise<HttpResult> {
    const auth =
      client === post ? { params: { client_id: post.clientId, client_secret: post.clientSecret! }, headers: {} } : clientAuth(client);
    const response = await fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth.headers, ...headers },
      body: new URLSearchParams({ ...auth.params, ...params }).toString(),
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  function expectRevoked(res: HttpResult) {
    expect({ status: res.status, text: res.text }).toEqual({ status: 200, text: '' });
    expect(res.headers.get('cache-control')).toBe('no-store');
  }

  const familyRevoked = async (token: string) => {
    const [row] = await server.db.query<any>(`SELECT family_id FROM refresh_tokens WHERE token_hash = $1`, [sha256Hex(token)]);
    const members = await server.db.query<any>(`SELECT revoked_at FROM refresh_tokens WHERE family_id = $1`, [row.family_id]);
    return members.every((m: any) => m.revoked_at !== null);
  };

  it('revokes a refresh token: its whole family, the rotated successor included', async () => {
    const { refreshToken } = await signIn(web);
    const rotated = await refresh(server, web, refreshToken);
    expect(rotated.status).toBe(200);
    // The client revokes the token it holds now; the old one goes with the family.
    expectRevoked(await revoke(web, { token: rotated.body.refresh_token, token_type_hint: 'refresh_token' }));
    expect(await familyRevoked(refreshToken)).toBe(true);
    expect((await refresh(server, web, rotated.body.refresh_token)).body.error).toBe('invalid_grant');
    // Revoking again (or an old member) is still 200.
    expectRevoked(await revoke(web, { token: rotated.body.refresh_token }));
    expectRevoked(await revoke(web, { token: refreshToken }));
  });

  it('a wrong or unknown token_type_hint only changes the order of the lookups', async () => {
    const first = await signIn(web);
    expectRevoked(await revoke(web, { token: first.refreshToken, token_type_hint: 'access_token' }));
    expect(await familyRevoked(first.refreshToken)).toBe(true);
    const second = await signIn(web);
    expectRevoked(await revoke(web, { token: second.refreshToken, token_type_hint: 'id_token' }));
    expect(await familyRevoked(second.refreshToken)).toBe(true);
  });

  it('revokes an access token: introspection says inactive afterwards (user and client-credentials tokens)', async () => {
    const { accessToken, refreshToken } = await signIn(web);
    expect(await isActive(server, introspector, accessToken)).toBe(true);
    expectRevoked(await revoke(web, { token: accessToken, token_type_hint: 'access_token' }));
    expect(await isActive(server, introspector, accessToken)).toBe(false);
    // Its refresh token is not touched.
    expect(await familyRevoked(refreshToken)).toBe(false);

    const hintless = (await signIn(web)).accessToken;
    expectRevoked(await revoke(web, { token: hintless }));
    expect(await isActive(server, introspector, hintless)).toBe(false);

    const machineToken = await issueToken(machine, api);
    expectRevoked(await revoke(machine, { token: machineToken, token_type_hint: 'refresh_token' }));
    expect(await isActive(server, introspector, machineToken)).toBe(false);
    // Denylisted until the token expires.
    const { jti, exp } = decodeJwt(machineToken);
    const denied = await server.db.query<any>(`SELECT resource_server_id, expires_at FROM revoked_tokens WHERE jti = $1`, [jti]);
    expect(denied).toEqual([{ resource_server_id: uuidOf(api.id), expires_at: new Date(exp! * 1000) }]);
  });

  it("a client can never revoke another client's token: 200, and the token stays active", async () => {
    const { accessToken, refreshToken } = await signIn(web);
    expectRevoked(await revoke(other, { token: refreshToken }));
    expectRevoked(await revoke(other, { token: accessToken }));
    expectRevoked(await revoke(other, { token: accessToken, token_type_hint: 'access_token' }));
    expect(await familyRevoked(refreshToken)).toBe(false);
    expect(await isActive(server, introspector, accessToken)).toBe(true);
    expect((await refresh(server, web, refreshToken)).status).toBe(200);
  });

  it('an unknown or malformed token is a 200 with no effect', async () => {
    for (const token of ['x'.repeat(43), 'not.a.jwt', 'a.b.c', 'x'.repeat(4000)]) {
      expectRevoked(await revoke(web, { token }));
      expectRevoked(await revoke(web, { token, token_type_hint: 'access_token' }));
    }
  });

  it('public clients revoke their own tokens with client_id alone; client_secret_post works too; JSON bodies are accepted', async () => {
    const spaTokens = await signIn(spa, SPA_CALLBACK);
    expectRevoked(await revoke(spa, { token: spaTokens.refreshToken }));
    expect(await familyRevoked(spaTokens.refreshToken)).toBe(true);

    const postTokens = await signIn(post);
    expectRevoked(await revoke(post, { token: postTokens.refreshToken }));
    expect(await familyRevoked(postTokens.refreshToken)).toBe(true);

    const webTokens = await signIn(web);
    const response = await fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(web.clientId, web.clientSecret!) },
      body: JSON.stringify({ token: webTokens.refreshToken }),
    });
    expect(response.status).toBe(200);
    expect(await familyRevoked(webTokens.refreshToken)).toBe(true);
  });

  it('refusals: missing token (400 invalid_request), failed client authentication (401 invalid_client)', async () => {
    const { refreshToken } = await signIn(web);
    const missing = await revoke(web, {});
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.text)).toEqual({ error: 'invalid_request', error_description: 'token is required' });
    expect(missing.headers.get('cache-control')).toBe('no-store');

    const wrongSecret = await fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(web.clientId, 'wrong') },
      body: new URLSearchParams({ token: refreshToken }).toString(),
    });
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
    expect(wrongSecret.headers.get('www-authenticate')).toMatch(/^Basic/);

    // A confidential client must authenticate as registered: client_id alone is not enough.
    const idOnly = await fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: web.clientId, token: refreshToken }).toString(),
    });
    expect(idOnly.status).toBe(401);
    const anonymous = await fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken }).toString(),
    });
    expect(anonymous.status).toBe(401);
    const unknownClient = await fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'nobody', token: refreshToken }).toString(),
    });
    expect(unknownClient.status).toBe(401);
    // Nothing was revoked by the refused requests.
    expect(await familyRevoked(refreshToken)).toBe(false);
  });

  it('is in the discovery metadata', async () => {
    const metadata = await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json();
    expect(metadata).toMatchObject({
      revocation_endpoint: `${server.url}/oauth/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    });
    expect(userId).toEqual(expect.any(String));
  });
});
