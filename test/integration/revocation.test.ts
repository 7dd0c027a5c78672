import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, JWTPayload, SignJWT } from 'jose';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, ClientFixture, fixtures, globalId, userErrors, uuidOf } from '../helpers/fixtures';
import { MANAGEMENT_TOKEN_REQUIRED } from '../../src/http/management-auth';

/** Every client these tests authenticate is confidential. */
type Client = ClientFixture & { clientSecret: string };
type HttpResult = { status: number; headers: Headers; body: any };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `attempt` until `done` or the deadline, returning the last result (changes reach caches through NOTIFY). */
async function eventually<T>(attempt: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await attempt();
  while (!done(last) && Date.now() < deadline) {
    await sleep(50);
    last = await attempt();
  }
  return last;
}

/** Waits until the clock has passed `instant` (ms since the epoch). */
async function waitUntilPast(instant: number): Promise<void> {
  while (Date.now() <= instant) await sleep(Math.min(100, instant - Date.now() + 1));
}

const REVOKE = `mutation($input: AccessTokenRevokeInput!) {
  accessTokenRevoke(input: $input) { revokedToken { jti expiresAt revokedAt resourceServer { id } } userErrors { field message code } }
}`;
const GRANT_DELETE = `mutation($id: ID!, $input: ClientGrantDeleteInput) {
  clientGrantDelete(id: $id, input: $input) { deletedId userErrors { field message code } }
}`;
const SECRET_ROTATE = `mutation($id: ID!, $input: ClientSecretRotateInput) {
  clientSecretRotate(id: $id, input: $input) { clientSecret client { id } userErrors { field message code } }
}`;
const SECRETS = `query($id: ID!) { client(id: $id) { secrets { createdAt expiresAt lastFour } } }`;
const PING = `{ resourceServers(first: 1) { totalCount } }`;

const INTROSPECT = 'introspect';

describe('token revocation and introspection', () => {
  let server: TestServer;
  const { gqlData, createApi: createFixtureApi, createClient: createFixtureClient, createGrant } = fixtures(() => server, 'rev');
  const createClient = (input: Record<string, unknown> = {}) => createFixtureClient(input) as Promise<Client>;
  const createApi = (input: Record<string, unknown> = {}) =>
    createFixtureApi({
      signingAlgorithm: 'ES256',
      tokenDialect: 'RFC9068_PROFILE',
      scopes: [{ value: 'read:x' }, { value: 'write:x' }, { value: INTROSPECT }],
      ...input,
    });

  let api: ApiFixture; // ES256, RFC9068_PROFILE, 600 s, read:x write:x introspect
  let authzApi: ApiFixture; // ES256, Auth0 dialect (azp instead of client_id)
  let hsApi: ApiFixture; // HS256: its secret lets tests sign their own tokens
  let managementApiId: string;
  let introspector: Client; // client_secret_basic, grants [introspect] on api, authzApi, hsApi
  let postIntrospector: Client; // client_secret_post, grant [introspect] on api
  let subject: Client; // the client the tokens are issued to: [read:x write:x] on api, [read:x] on authzApi and hsApi

  beforeAll(async () => {
    // The timer would race runOnce() in the purge test: keep it out of the way here (tested on a server of its own).
    server = await startTestServer({ env: { PURGE_INTERVAL_SECONDS: '86400' } });
    api = await createApi();
    authzApi = await createApi({ tokenDialect: 'ACCESS_TOKEN' });
    hsApi = await createApi({ signingAlgorithm: 'HS256' });
    introspector = await createClient();
    postIntrospector = await createClient({ tokenEndpointAuthMethod: 'CLIENT_SECRET_POST' });
    subject = await createClient();
    for (const target of [api, authzApi, hsApi]) await createGrant(introspector, target, [INTROSPECT]);
    await createGrant(postIntrospector, api, [INTROSPECT]);
    await createGrant(subject, api, ['read:x', 'write:x']);
    await createGrant(subject, authzApi, ['read:x']);
    await createGrant(subject, hsApi, ['read:x']);
    const data = await gqlData(`query($identifier: String!) { resourceServer(identifier: $identifier) { id } }`, {
      identifier: server.config.managementAudience,
    });
    managementApiId = data.resourceServer.id;
  });
  afterAll(async () => {
    await server.close();
  });

  /** A client-credentials token (the request must succeed). */
  async function issue(client: Client, audience: string): Promise<string> {
    const res = await requestToken(client, audience);
    if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.access_token;
  }

  function requestToken(client: Client, audience: string, secret = client.clientSecret) {
    return server.token({ grant_type: 'client_credentials', audience }, { authorization: basicAuth(client.clientId, secret) });
  }

  async function introspectRaw(
    body: string,
    headers: Record<string, string>,
    contentType = 'application/x-www-form-urlencoded',
  ): Promise<HttpResult> {
    const response = await fetch(`${server.url}/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...headers },
      body,
    });
    return { status: response.status, headers: response.headers, body: await response.json() };
  }

  /** POST /oauth/introspect as `caller` (client_secret_basic). */
  function introspect(token: string, caller: Client = introspector): Promise<HttpResult> {
    return introspectRaw(new URLSearchParams({ token }).toString(), { authorization: basicAuth(caller.clientId, caller.clientSecret) });
  }

  async function isActive(token: string, caller: Client = introspector): Promise<boolean> {
    const res = await introspect(token, caller);
    expect(res.status).toBe(200);
    return res.body.active;
  }

  /** Inactive is exactly {"active": false}: nothing about the token leaks. */
  async function expectInactive(token: string, caller: Client = introspector) {
    const res = await introspect(token, caller);
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { active: false } });
    expect(res.headers.get('cache-control')).toBe('no-store');
  }

  function expectActive(res: HttpResult, token: string, clientId: string) {
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ active: true, ...decodeJwt(token), client_id: clientId, token_type: 'Bearer' });
    expect(res.headers.get('cache-control')).toBe('no-store');
  }

  function expectOAuthError(res: HttpResult, status: number, error: string) {
    expect({ status: res.status, error: res.body.error }).toEqual({ status, error });
    expect(Object.keys(res.body).sort()).toEqual(['error', 'error_description']);
    expect(res.headers.get('cache-control')).toBe('no-store');
  }

  /** A 401 with the one generic description; the specific `reason` is in the request's audit event. */
  async function expectUnauthenticated(res: HttpResult, reason: string) {
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.body.errors[0].message).toBe(MANAGEMENT_TOKEN_REQUIRED);
    // Written asynchronously.
    const events = await eventually(
      () =>
        server.db.query<{ summary: Record<string, unknown> }>(
          `SELECT summary FROM audit_events WHERE operation = 'authenticate' AND outcome = 'DENIED' AND request_id = $1`,
          [res.headers.get('x-request-id')],
        ),
      (rows) => rows.length > 0,
    );
    expect(events.map((e) => e.summary)).toEqual([{ reason: 'invalid_token', description: reason }]);
  }

  async function revoke(input: Record<string, unknown>, bearer?: string) {
    const res = await server.gql(REVOKE, { input }, bearer);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    return res.body.data.accessTokenRevoke;
  }

  /** Signs a token with the HS256 API's own secret: the service's real key, with claims of our choosing. */
  async function signWithSecret(secretApi: ApiFixture, kid: string, claims: JWTPayload, typ = 'at+jwt'): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ, kid }).sign(new TextEncoder().encode(secretApi.signingSecret!));
  }

  /** A second Management API client (not the bootstrap one, whose grant is a system grant) with its own token. */
  async function managementClient(scopes: string[]) {
    const client = await createClient();
    const grantId = await createGrant(client, { id: managementApiId }, scopes);
    const token = await issue(client, server.config.managementAudience);
    return { client, grantId, token };
  }

  const deniedJtis = () => server.db.query<{ jti: string }>('SELECT jti FROM revoked_tokens ORDER BY jti');
  const watermarkOf = (client: Client, target: { id: string }) =>
    server.db.query<{ not_before: Date }>('SELECT not_before FROM token_watermarks WHERE client_id = $1 AND resource_server_id = $2', [
      client.clientId,
      uuidOf(target.id),
    ]);

  describe('POST /oauth/introspect', () => {
    it('lists the introspection endpoint in the discovery metadata', async () => {
      const response = await fetch(`${server.url}/.well-known/oauth-authorization-server`);
      const metadata = await response.json();
      expect(metadata.introspection_endpoint).toBe(`${server.url}/oauth/introspect`);
    });

    it('answers an active token with all its claims, client_id and token_type', async () => {
      const token = await issue(subject, api.identifier);
      const res = await introspect(token);
      expectActive(res, token, subject.clientId);
      expect(Object.keys(res.body).sort()).toEqual([
        'active',
        'aud',
        'client_id',
        'exp',
        'iat',
        'iss',
        'jti',
        'scope',
        'sub',
        'token_type',
      ]);
      expect(res.body).toMatchObject({ iss: server.url, aud: api.identifier, sub: subject.clientId, scope: 'read:x write:x' });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    });

    it('adds client_id for Auth0-dialect tokens, which carry azp', async () => {
      const token = await issue(subject, authzApi.identifier);
      const res = await introspect(token);
      expectActive(res, token, subject.clientId);
      expect(res.body.azp).toBe(subject.clientId);
    });

    it('accepts client_secret_post in a form or a JSON body, and ignores token_type_hint', async () => {
      const token = await issue(subject, api.identifier);
      const params = {
        token,
        token_type_hint: 'refresh_token',
        client_id: postIntrospector.clientId,
        client_secret: postIntrospector.clientSecret,
      };
      expectActive(await introspectRaw(new URLSearchParams(params).toString(), {}), token, subject.clientId);
      expectActive(await introspectRaw(JSON.stringify(params), {}, 'application/json'), token, subject.clientId);
    });

    it('tells only a caller holding `introspect` in a grant on the token\'s API: anyone else gets {"active": false}', async () => {
      const token = await issue(subject, api.identifier);
      // Granted on the API, but without introspect (the token's own client is such a caller).
      await expectInactive(token, subject);
      // introspect on another API only.
      const elsewhere = await createClient();
      await createGrant(elsewhere, authzApi, [INTROSPECT]);
      await expectInactive(token, elsewhere);
      const elsewhereToken = await issue(subject, authzApi.identifier);
      expectActive(await introspect(elsewhereToken, elsewhere), elsewhereToken, subject.clientId);
    });

    it('refuses a wrong secret, an unknown client and no authentication with 401 invalid_client', async () => {
      const token = await issue(subject, api.identifier);
      const body = new URLSearchParams({ token }).toString();
      const wrong = await introspectRaw(body, { authorization: basicAuth(introspector.clientId, `${introspector.clientSecret}x`) });
      expectOAuthError(wrong, 401, 'invalid_client');
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic /);
      expectOAuthError(await introspectRaw(body, { authorization: basicAuth('no-such-client', 'secret') }), 401, 'invalid_client');
      const wrongPost = new URLSearchParams({ token, client_id: postIntrospector.clientId, client_secret: 'nope' }).toString();
      expectOAuthError(await introspectRaw(wrongPost, {}), 401, 'invalid_client');
      expectOAuthError(await introspectRaw(body, {}), 401, 'invalid_client');
    });

    it('refuses a public client (client_id only) with 401 invalid_client', async () => {
      const spa = await createClient({ appType: 'SPA', callbacks: ['https://spa.example/cb'], allowedOrigins: ['https://spa.example'] });
      const token = await issue(subject, api.identifier);
      const res = await introspectRaw(new URLSearchParams({ token, client_id: spa.clientId }).toString(), {});
      expectOAuthError(res, 401, 'invalid_client');
      // A confidential client giving only its client_id is refused the same way.
      const idOnly = await introspectRaw(new URLSearchParams({ token, client_id: introspector.clientId }).toString(), {});
      expectOAuthError(idOnly, 401, 'invalid_client');
    });

    it('refuses a request without token with 400 invalid_request', async () => {
      const res = await introspectRaw('', { authorization: basicAuth(introspector.clientId, introspector.clientSecret) });
      expectOAuthError(res, 400, 'invalid_request');
    });

    it('answers {"active": false} for garbage, a forged signature, an unknown API and an expired token', async () => {
      await expectInactive('garbage');
      await expectInactive('a.b.c');
      const real = await issue(subject, api.identifier);
      // Same header and claims, signed with a key of our own.
      const { privateKey } = await generateKeyPair('ES256');
      const header = decodeProtectedHeader(real) as { alg: string; kid: string; typ: string };
      const forged = await new SignJWT(decodeJwt(real)).setProtectedHeader(header).sign(privateKey);
      await expectInactive(forged);

      // Signed with the HS256 API's real secret: only the claims differ from an active token.
      const { kid } = decodeProtectedHeader(await issue(subject, hsApi.identifier)) as { kid: string };
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: server.url,
        aud: hsApi.identifier,
        sub: subject.clientId,
        client_id: subject.clientId,
        scope: 'read:x',
        jti: randomUUID(),
      };
      const fresh = await signWithSecret(hsApi, kid, { ...claims, iat: now, exp: now + 60 });
      expectActive(await introspect(fresh), fresh, subject.clientId); // the control: such a token is accepted
      await expectInactive(await signWithSecret(hsApi, kid, { ...claims, iat: now - 120, exp: now - 60 }));
      await expectInactive(await signWithSecret(hsApi, kid, { ...claims, aud: 'https://unknown.example/', iat: now, exp: now + 60 }));
      // A token naming a client that does not exist.
      await expectInactive(await signWithSecret(hsApi, kid, { ...claims, client_id: 'no-such-client', iat: now, exp: now + 60 }));
    });

    it('answers inactive for a token dated in the future (iat beyond the 5 s clock tolerance)', async () => {
      const { kid } = decodeProtectedHeader(await issue(subject, hsApi.identifier)) as { kid: string };
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: server.url, aud: hsApi.identifier, sub: subject.clientId, client_id: subject.clientId, scope: 'read:x' };
      // Signed with the API's real secret, valid in every other way.
      const future = await signWithSecret(hsApi, kid, { ...claims, jti: randomUUID(), iat: now + 60, exp: now + 660 });
      await expectInactive(future);
      // Nor can it be revoked: it is not an active token.
      expect(await revoke({ token: future })).toEqual({ revokedToken: null, userErrors: userErrors([['input', 'token'], 'INVALID']) });
      // Within the tolerance (clocks of instances differ a little): active.
      const skewed = await signWithSecret(hsApi, kid, { ...claims, jti: randomUUID(), iat: now + 2, exp: now + 600 });
      expectActive(await introspect(skewed), skewed, subject.clientId);
    });

    it("answers inactive for a token of one HS256 API signed with another HS256 API's secret", async () => {
      // Whoever holds API A's secret (API A's resource server) must not be able to mint tokens for API B.
      const other = await createApi({ signingAlgorithm: 'HS256' });
      const otherClient = await createClient();
      await createGrant(otherClient, other, ['read:x']);
      const { kid } = decodeProtectedHeader(await issue(otherClient, other.identifier)) as { kid: string };
      const now = Math.floor(Date.now() / 1000);
      const crossSigned = await signWithSecret(other, kid, {
        iss: server.url,
        aud: hsApi.identifier,
        sub: subject.clientId,
        client_id: subject.clientId,
        scope: 'read:x',
        jti: randomUUID(),
        iat: now,
        exp: now + 60,
      });
      await expectInactive(crossSigned);
    });

    it("answers inactive once the token's client is deleted", async () => {
      const client = await createClient();
      await createGrant(client, api, ['read:x']);
      const token = await issue(client, api.identifier);
      expect(await isActive(token)).toBe(true);
      const deleted = await gqlData(`mutation($id: ID!) { clientDelete(id: $id) { deletedId userErrors { code } } }`, { id: client.id });
      expect(deleted.clientDelete.userErrors).toEqual([]);
      await eventually(
        () => isActive(token),
        (active) => !active,
      );
      await expectInactive(token);
    });

    it('answers inactive for a token signed with an HS256 secret rotated out', async () => {
      const rotating = await createApi({ signingAlgorithm: 'HS256' });
      await createGrant(introspector, rotating, [INTROSPECT]);
      await createGrant(subject, rotating, ['read:x']);
      const old = await issue(subject, rotating.identifier);
      expect(await isActive(old)).toBe(true);
      const rotated = await gqlData(
        `mutation($id: ID!) { resourceServerSigningSecretRotate(id: $id) { signingSecret userErrors { code } } }`,
        { id: rotating.id },
      );
      expect(rotated.resourceServerSigningSecretRotate.userErrors).toEqual([]);
      await eventually(
        () => isActive(old),
        (active) => !active,
      );
      await expectInactive(old);
      const renewed = await eventually(
        () => issue(subject, rotating.identifier),
        (token) => decodeProtectedHeader(token).kid !== decodeProtectedHeader(old).kid,
      );
      expectActive(await introspect(renewed), renewed, subject.clientId);
    });

    it('answers inactive for a token signed by a revoked signing key', async () => {
      // A ring of its own (PS256), so other tests' tokens are not affected.
      const psApi = await createApi({ signingAlgorithm: 'PS256' });
      await createGrant(introspector, psApi, [INTROSPECT]);
      await createGrant(subject, psApi, ['read:x']);
      const token = await issue(subject, psApi.identifier);
      const { kid } = decodeProtectedHeader(token);
      const rotated = await gqlData(`mutation { signingKeyRotate(algorithm: PS256) { previous { kid } userErrors { code } } }`);
      expect(rotated.signingKeyRotate).toEqual({ previous: { kid }, userErrors: [] });
      // Rotated out, not revoked: its tokens still verify.
      expect(await isActive(token)).toBe(true);
      const revoked = await gqlData(
        `mutation($kid: String!) { signingKeyRevoke(kid: $kid) { signingKey { state } userErrors { code } } }`,
        { kid },
      );
      expect(revoked.signingKeyRevoke).toEqual({ signingKey: { state: 'REVOKED' }, userErrors: [] });
      // Key rings refresh within about a second.
      await eventually(
        () => isActive(token),
        (active) => !active,
        5000,
      );
      await expectInactive(token);
    });
  });

  describe('accessTokenRevoke', () => {
    it('revokes a token given whole: its jti is denylisted until its exp, other tokens stay active', async () => {
      const token = await issue(subject, api.identifier);
      const other = await issue(subject, api.identifier);
      const { jti, exp } = decodeJwt(token) as { jti: string; exp: number };
      const before = Date.now();
      const payload = await revoke({ token });
      expect(payload).toEqual({
        revokedToken: { jti, expiresAt: new Date(exp * 1000).toISOString(), revokedAt: expect.any(String), resourceServer: { id: api.id } },
        userErrors: [],
      });
      expect(Date.parse(payload.revokedToken.revokedAt)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(payload.revokedToken.revokedAt)).toBeLessThanOrEqual(Date.now() + 1000);
      const rows = await server.db.query<any>('SELECT resource_server_id, expires_at FROM revoked_tokens WHERE jti = $1', [jti]);
      expect(rows).toEqual([{ resource_server_id: uuidOf(api.id), expires_at: new Date(exp * 1000) }]);

      // A database lookup, not a cache: refused at once.
      await expectInactive(token);
      expectActive(await introspect(other), other, subject.clientId);
      // Already revoked: no longer an active token to revoke.
      expect(await revoke({ token })).toEqual({ revokedToken: null, userErrors: userErrors([['input', 'token'], 'INVALID']) });
    });

    it('revokes by jti, resourceServerId and expiresAt; revoking the same jti again is a no-op', async () => {
      const token = await issue(subject, api.identifier);
      const { jti, exp } = decodeJwt(token) as { jti: string; exp: number };
      const expiresAt = new Date(exp * 1000).toISOString();
      const first = await revoke({ jti, resourceServerId: api.id, expiresAt });
      expect(first).toEqual({
        revokedToken: { jti, expiresAt, revokedAt: expect.any(String), resourceServer: { id: api.id } },
        userErrors: [],
      });
      await expectInactive(token);
      const again = await revoke({ jti, resourceServerId: api.id, expiresAt });
      expect(again).toEqual(first);
      expect((await deniedJtis()).filter((row) => row.jti === jti)).toHaveLength(1);
    });

    it("denylists a jti for its own API only: the same jti in another API's token stays active", async () => {
      const otherHs = await createApi({ signingAlgorithm: 'HS256' });
      await createGrant(introspector, otherHs, [INTROSPECT]);
      await createGrant(subject, otherHs, ['read:x']);
      const kidOf = async (target: ApiFixture) => (decodeProtectedHeader(await issue(subject, target.identifier)) as { kid: string }).kid;
      const now = Math.floor(Date.now() / 1000);
      const jti = `shared-${randomUUID()}`;
      const tokenFor = async (target: ApiFixture) =>
        signWithSecret(target, await kidOf(target), {
          iss: server.url,
          aud: target.identifier,
          sub: subject.clientId,
          client_id: subject.clientId,
          scope: 'read:x',
          jti,
          iat: now,
          exp: now + 300,
        });
      const a = await tokenFor(hsApi);
      const b = await tokenFor(otherHs);
      expectActive(await introspect(a), a, subject.clientId);
      expectActive(await introspect(b), b, subject.clientId);

      // (API A, jti X) by jti…
      const revoked = await revoke({ jti, resourceServerId: hsApi.id, expiresAt: new Date((now + 300) * 1000).toISOString() });
      expect(revoked.userErrors).toEqual([]);
      await expectInactive(a);
      expectActive(await introspect(b), b, subject.clientId);
      expect(await server.db.query('SELECT resource_server_id FROM revoked_tokens WHERE jti = $1', [jti])).toEqual([
        { resource_server_id: uuidOf(hsApi.id) },
      ]);
      // …then API B's by the token itself (POST /oauth/revoke by its client): two entries, one per API.
      const response = await fetch(`${server.url}/oauth/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(subject.clientId, subject.clientSecret) },
        body: new URLSearchParams({ token: b, token_type_hint: 'access_token' }).toString(),
      });
      expect(response.status).toBe(200);
      await expectInactive(b);
      const rows = await server.db.query<{ resource_server_id: string }>(
        'SELECT resource_server_id FROM revoked_tokens WHERE jti = $1 ORDER BY resource_server_id',
        [jti],
      );
      expect(rows.map((r) => r.resource_server_id)).toEqual([uuidOf(hsApi.id), uuidOf(otherHs.id)].sort());
    });

    it('refuses to revoke a token that is not an active token of this service: INVALID at input.token', async () => {
      const now = Math.floor(Date.now() / 1000);
      const { kid } = decodeProtectedHeader(await issue(subject, hsApi.identifier)) as { kid: string };
      const expired = await signWithSecret(hsApi, kid, {
        iss: server.url,
        aud: hsApi.identifier,
        sub: subject.clientId,
        client_id: subject.clientId,
        jti: randomUUID(),
        iat: now - 120,
        exp: now - 60,
      });
      const before = await deniedJtis();
      for (const token of ['garbage', expired]) {
        expect(await revoke({ token })).toEqual({ revokedToken: null, userErrors: userErrors([['input', 'token'], 'INVALID']) });
      }
      expect(await deniedJtis()).toEqual(before);
    });

    it('validates the jti form', async () => {
      const before = await deniedJtis();
      const inAMinute = new Date(Date.now() + 60_000).toISOString();
      const token = await issue(subject, api.identifier);
      const cases: [Record<string, unknown>, ReturnType<typeof userErrors>][] = [
        [{}, userErrors([['input', 'jti'], 'INVALID'], [['input', 'resourceServerId'], 'INVALID'], [['input', 'expiresAt'], 'INVALID'])],
        [{ jti: 'j1' }, userErrors([['input', 'resourceServerId'], 'INVALID'], [['input', 'expiresAt'], 'INVALID'])],
        [{ jti: 'j1', resourceServerId: api.id }, userErrors([['input', 'expiresAt'], 'INVALID'])],
        [{ resourceServerId: api.id, expiresAt: inAMinute }, userErrors([['input', 'jti'], 'INVALID'])],
        [
          { jti: 'j1', resourceServerId: api.id, expiresAt: new Date(Date.now() - 1000).toISOString() },
          userErrors([['input', 'expiresAt'], 'INVALID']),
        ],
        [
          { jti: 'j1', resourceServerId: api.id, expiresAt: new Date(Date.now() + (2_592_000 + 60) * 1000).toISOString() },
          userErrors([['input', 'expiresAt'], 'INVALID']),
        ],
        [{ jti: '', resourceServerId: api.id, expiresAt: inAMinute }, userErrors([['input', 'jti'], 'INVALID'])],
        [{ jti: 'x'.repeat(256), resourceServerId: api.id, expiresAt: inAMinute }, userErrors([['input', 'jti'], 'INVALID'])],
        [
          { jti: 'j1', resourceServerId: globalId('ResourceServer', randomUUID()), expiresAt: inAMinute },
          userErrors([['input', 'resourceServerId'], 'NOT_FOUND']),
        ],
        [{ jti: 'j1', resourceServerId: subject.id, expiresAt: inAMinute }, userErrors([['input', 'resourceServerId'], 'NOT_FOUND'])],
        [{ token, jti: 'j1' }, userErrors([['input'], 'INVALID'])],
        [{ token, jti: 'j1', resourceServerId: api.id, expiresAt: inAMinute }, userErrors([['input'], 'INVALID'])],
      ];
      for (const [input, expected] of cases) {
        expect({ input, payload: await revoke(input) }).toEqual({ input, payload: { revokedToken: null, userErrors: expected } });
      }
      expect(await deniedJtis()).toEqual(before);
      expect(await isActive(token)).toBe(true);
    });

    it('needs revoke:tokens', async () => {
      const token = await issue(subject, api.identifier);
      const without = await server.managementToken(['read:resource_servers', 'create:tokens']);
      const res = await server.gql(REVOKE, { input: { token } }, without);
      expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(res.body.errors?.[0]?.message).toContain('revoke:tokens');
      expect(await isActive(token)).toBe(true);
    });

    it('a revoked Management API token is refused by /graphql with 401, by token or by jti', async () => {
      const byToken = await managementClient(['read:resource_servers']);
      const byJti = await managementClient(['read:resource_servers']);
      for (const { token } of [byToken, byJti]) expect((await server.gql(PING, undefined, token)).status).toBe(200);

      expect((await revoke({ token: byToken.token })).userErrors).toEqual([]);
      await expectUnauthenticated(await server.gql(PING, undefined, byToken.token), 'The access token was revoked');

      const { jti, exp } = decodeJwt(byJti.token) as { jti: string; exp: number };
      const payload = await revoke({ jti, resourceServerId: managementApiId, expiresAt: new Date(exp * 1000).toISOString() });
      expect(payload.userErrors).toEqual([]);
      await expectUnauthenticated(await server.gql(PING, undefined, byJti.token), 'The access token was revoked');
      // The clients themselves are fine: a new token works.
      expect((await server.gql(PING, undefined, await issue(byJti.client, server.config.managementAudience))).status).toBe(200);
    });

    it('a Management API token with revoke:tokens may revoke itself', async () => {
      const { token } = await managementClient(['revoke:tokens', 'read:resource_servers']);
      const payload = await revoke({ token }, token);
      expect(payload.userErrors).toEqual([]);
      await expectUnauthenticated(await server.gql(PING, undefined, token), 'The access token was revoked');
    });
  });

  describe('clientGrantDelete with revokeIssuedTokens', () => {
    it("refuses the client's tokens for that API already issued, and new ones; its tokens for other APIs stay active", async () => {
      // The revoked API uses Auth0's dialect (azp, not client_id): the watermark applies all the same.
      const client = await createClient();
      const grantId = await createGrant(client, authzApi, ['read:x']);
      await createGrant(client, api, ['read:x']);
      const issued = [await issue(client, authzApi.identifier), await issue(client, authzApi.identifier)];
      const otherApiToken = await issue(client, api.identifier);
      for (const token of issued) expect(await isActive(token)).toBe(true);

      const res = await server.gql(GRANT_DELETE, { id: grantId, input: { revokeIssuedTokens: true } });
      expect(res.body.data.clientGrantDelete).toEqual({ deletedId: grantId, userErrors: [] });
      expect(await watermarkOf(client, authzApi)).toHaveLength(1);

      // The watermark is read from the database on every check: refused at once, even in the deletion's own second.
      for (const token of issued) await expectInactive(token);
      expectActive(await introspect(otherApiToken), otherApiToken, client.clientId);
      const refused = await eventually(
        () => requestToken(client, authzApi.identifier),
        (r) => r.status !== 200,
      );
      expectOAuthError(refused, 403, 'access_denied');
    });

    it('a recreated grant issues active tokens again from the second after the deletion', async () => {
      const client = await createClient();
      const grantId = await createGrant(client, api, ['read:x']);
      const old = await issue(client, api.identifier);
      await server.gql(GRANT_DELETE, { id: grantId, input: { revokeIssuedTokens: true } });
      const [{ not_before: notBefore }] = await watermarkOf(client, api);
      // iat has whole seconds and a token from the watermark's own second counts as issued before it:
      // a token issued after the deletion but within the same second is refused too. Wait for the next second.
      await waitUntilPast(Math.floor(notBefore.getTime() / 1000) * 1000 + 999);
      await createGrant(client, api, ['read:x']);
      const fresh = await eventually(
        () => requestToken(client, api.identifier),
        (r) => r.status === 200,
      );
      expect(fresh.status).toBe(200);
      expectActive(await introspect(fresh.body.access_token), fresh.body.access_token, client.clientId);
      await expectInactive(old);
    });

    it('refuses a token issued in the same whole second as the watermark, accepts one from the next second', async () => {
      const client = await createClient();
      await createGrant(client, api, ['read:x']);
      const token = await issue(client, api.identifier);
      const { iat } = decodeJwt(token) as { iat: number };
      // Set the watermark directly half a second into the token's second: a deletion at that instant.
      await server.db.query(`INSERT INTO token_watermarks (client_id, resource_server_id, not_before) VALUES ($1, $2, to_timestamp($3))`, [
        client.clientId,
        uuidOf(api.id),
        iat + 0.5,
      ]);
      await expectInactive(token);
      await waitUntilPast((iat + 1) * 1000);
      const next = await issue(client, api.identifier);
      expect((decodeJwt(next) as { iat: number }).iat).toBeGreaterThan(iat);
      expectActive(await introspect(next), next, client.clientId);
    });

    it('without revokeIssuedTokens, issued tokens stay active; only new ones are refused', async () => {
      const client = await createClient();
      const grantId = await createGrant(client, api, ['read:x']);
      const token = await issue(client, api.identifier);
      const res = await server.gql(GRANT_DELETE, { id: grantId });
      expect(res.body.data.clientGrantDelete).toEqual({ deletedId: grantId, userErrors: [] });
      expect(await watermarkOf(client, api)).toEqual([]);
      expectActive(await introspect(token), token, client.clientId);
      expectOAuthError(
        await eventually(
          () => requestToken(client, api.identifier),
          (r) => r.status !== 200,
        ),
        403,
        'access_denied',
      );
    });

    it('a Management API token is refused with 401 once its grant is deleted with revokeIssuedTokens (kept without)', async () => {
      const revoked = await managementClient(['read:resource_servers']);
      const kept = await managementClient(['read:resource_servers']);
      for (const { token } of [revoked, kept]) expect((await server.gql(PING, undefined, token)).status).toBe(200);

      const res = await server.gql(GRANT_DELETE, { id: revoked.grantId, input: { revokeIssuedTokens: true } });
      expect(res.body.data.clientGrantDelete.userErrors).toEqual([]);
      await expectUnauthenticated(await server.gql(PING, undefined, revoked.token), 'The access token was revoked');

      const plain = await server.gql(GRANT_DELETE, { id: kept.grantId });
      expect(plain.body.data.clientGrantDelete.userErrors).toEqual([]);
      const stillOk = await server.gql(PING, undefined, kept.token);
      expect(stillOk.status).toBe(200);
      expect(stillOk.body.errors).toBeUndefined();
      // No new Management API tokens for either.
      for (const { client } of [revoked, kept]) {
        const refused = await eventually(
          () => requestToken(client, server.config.managementAudience),
          (r) => r.status !== 200,
        );
        expectOAuthError(refused, 403, 'access_denied');
      }
    });
  });

  describe('clientSecretRotate', () => {
    async function rotate(client: { id: string }, input?: Record<string, unknown>) {
      const res = await server.gql(SECRET_ROTATE, { id: client.id, input });
      expect(res.body.errors).toBeUndefined();
      return res.body.data.clientSecretRotate;
    }

    async function secretsOf(client: { id: string }) {
      return (await gqlData(SECRETS, { id: client.id })).client.secrets as {
        createdAt: string;
        expiresAt: string | null;
        lastFour: string;
      }[];
    }

    async function newClient(): Promise<Client> {
      const client = await createClient();
      await createGrant(client, api, ['read:x']);
      return client;
    }

    it('by default refuses the old secret at once; secrets lists only the new one', async () => {
      const client = await newClient();
      expect(await secretsOf(client)).toEqual([
        { createdAt: expect.any(String), expiresAt: null, lastFour: client.clientSecret.slice(-4) },
      ]);
      const rotated = await rotate(client);
      expect(rotated).toEqual({ clientSecret: expect.any(String), client: { id: client.id }, userErrors: [] });
      const secret: string = rotated.clientSecret;

      expectOAuthError(await requestToken(client, api.identifier), 401, 'invalid_client');
      expect((await requestToken(client, api.identifier, secret)).status).toBe(200);
      expect(await secretsOf(client)).toEqual([{ createdAt: expect.any(String), expiresAt: null, lastFour: secret.slice(-4) }]);
    });

    it('with a grace period both secrets work until the old one expires, then only the new one', async () => {
      const client = await newClient();
      await createGrant(client, { id: managementApiId }, ['read:resource_servers']);
      const grace = 3;
      const before = Date.now();
      const rotated = await rotate(client, { previousSecretExpiresIn: grace });
      expect(rotated.userErrors).toEqual([]);
      const secret: string = rotated.clientSecret;

      const listed = await secretsOf(client);
      expect(listed).toEqual([
        { createdAt: expect.any(String), expiresAt: null, lastFour: secret.slice(-4) },
        { createdAt: expect.any(String), expiresAt: expect.any(String), lastFour: client.clientSecret.slice(-4) },
      ]);
      const oldExpiresAt = Date.parse(listed[1].expiresAt!);
      expect(oldExpiresAt).toBeGreaterThanOrEqual(before + grace * 1000 - 1000);
      expect(oldExpiresAt).toBeLessThanOrEqual(Date.now() + grace * 1000 + 1000);
      expect(JSON.stringify(listed)).not.toContain(secret);

      for (const audience of [api.identifier, server.config.managementAudience]) {
        expect((await requestToken(client, audience)).status).toBe(200);
        expect((await requestToken(client, audience, secret)).status).toBe(200);
      }

      // Past the grace period the old secret is refused (token endpoint and Management API audience alike).
      const expired = await eventually(
        () => requestToken(client, api.identifier),
        (r) => r.status !== 200,
        grace * 1000 + 3000,
      );
      expect(Date.now()).toBeGreaterThanOrEqual(oldExpiresAt);
      expectOAuthError(expired, 401, 'invalid_client');
      expectOAuthError(await requestToken(client, server.config.managementAudience), 401, 'invalid_client');
      expect((await requestToken(client, api.identifier, secret)).status).toBe(200);
      expect(await secretsOf(client)).toEqual([{ createdAt: expect.any(String), expiresAt: null, lastFour: secret.slice(-4) }]);
    });

    it('a second rotation drops the secret still in its grace period: never more than two', async () => {
      const client = await newClient();
      const first = (await rotate(client, { previousSecretExpiresIn: 600 })).clientSecret as string;
      const second = (await rotate(client, { previousSecretExpiresIn: 600 })).clientSecret as string;

      expectOAuthError(await requestToken(client, api.identifier), 401, 'invalid_client');
      expect((await requestToken(client, api.identifier, first)).status).toBe(200);
      expect((await requestToken(client, api.identifier, second)).status).toBe(200);
      expect(await secretsOf(client)).toEqual([
        { createdAt: expect.any(String), expiresAt: null, lastFour: second.slice(-4) },
        { createdAt: expect.any(String), expiresAt: expect.any(String), lastFour: first.slice(-4) },
      ]);
      const [{ n }] = await server.db.query<any>('SELECT count(*)::int AS n FROM client_secrets WHERE client_id = $1', [uuidOf(client.id)]);
      expect(n).toBe(2);
    });

    it('bounds previousSecretExpiresIn to 0..2592000 seconds', async () => {
      const client = await newClient();
      for (const previousSecretExpiresIn of [-1, 2_592_001]) {
        expect(await rotate(client, { previousSecretExpiresIn })).toEqual({
          clientSecret: null,
          client: null,
          userErrors: userErrors([['input', 'previousSecretExpiresIn'], 'INVALID']),
        });
      }
      // Nothing changed.
      expect((await requestToken(client, api.identifier)).status).toBe(200);
      const rotated = await rotate(client, { previousSecretExpiresIn: 2_592_000 });
      expect(rotated.userErrors).toEqual([]);
      const [, old] = await secretsOf(client);
      expect(Date.parse(old.expiresAt!) - Date.now()).toBeGreaterThan(2_592_000 * 1000 - 60_000);
    });
  });

  describe('housekeeping', () => {
    it('runOnce deletes expired denylist entries, old watermarks and expired secrets, and keeps the rest', async () => {
      // Start from a clean slate: whatever earlier tests left to purge.
      await server.app.housekeeping.runOnce();

      const shortJti = `purge-short-${randomUUID()}`;
      const longJti = `purge-long-${randomUUID()}`;
      const shortExpiry = Date.now() + 2000;
      for (const [jti, expiresAt] of [
        [shortJti, shortExpiry],
        [longJti, Date.now() + 3_600_000],
      ] as const) {
        expect((await revoke({ jti, resourceServerId: api.id, expiresAt: new Date(expiresAt).toISOString() })).userErrors).toEqual([]);
      }
      expect((await deniedJtis()).map((r) => r.jti)).toEqual(expect.arrayContaining([shortJti, longJti]));

      // Two watermarks; one backdated beyond the longest token lifetime (30 days), when it can refuse nothing.
      const oldMark = await createClient();
      const newMark = await createClient();
      for (const client of [oldMark, newMark]) {
        const grantId = await createGrant(client, api, ['read:x']);
        expect(
          (await server.gql(GRANT_DELETE, { id: grantId, input: { revokeIssuedTokens: true } })).body.data.clientGrantDelete.userErrors,
        ).toEqual([]);
      }
      await server.db.query(`UPDATE token_watermarks SET not_before = now() - interval '31 days' WHERE client_id = $1`, [oldMark.clientId]);

      // A client secret and an HS256 signing secret in a 1 s grace period.
      const client = await createClient();
      expect(
        (await server.gql(SECRET_ROTATE, { id: client.id, input: { previousSecretExpiresIn: 1 } })).body.data.clientSecretRotate.userErrors,
      ).toEqual([]);
      const hs = await createApi({ signingAlgorithm: 'HS256' });
      const hsRotated = await gqlData(
        `mutation($id: ID!) { resourceServerSigningSecretRotate(id: $id, input: { previousSecretExpiresIn: 1 }) { userErrors { code } } }`,
        { id: hs.id },
      );
      expect(hsRotated.resourceServerSigningSecretRotate.userErrors).toEqual([]);
      const secretRows = (sql: string, id: string) => server.db.query<any>(sql, [uuidOf(id)]);
      expect(await secretRows('SELECT id FROM client_secrets WHERE client_id = $1', client.id)).toHaveLength(2);
      expect(await secretRows('SELECT kid FROM resource_server_secrets WHERE resource_server_id = $1', hs.id)).toHaveLength(2);

      // Past the short jti's expiry and the end of both grace periods (which started at rotation, later
      // than shortExpiry was set: on a loaded machine, possibly more than a second later).
      const [graceEnd] = await server.db.query<{ at: Date }>(
        `SELECT max(expires_at) AS at FROM (
           SELECT expires_at FROM client_secrets WHERE client_id = $1 AND expires_at IS NOT NULL
           UNION ALL SELECT expires_at FROM resource_server_secrets WHERE resource_server_id = $2 AND expires_at IS NOT NULL) s`,
        [uuidOf(client.id), uuidOf(hs.id)],
      );
      await waitUntilPast(Math.max(shortExpiry, graceEnd.at.getTime()));
      expect(await server.app.housekeeping.runOnce()).toEqual({
        revokedTokens: 1,
        watermarks: 1,
        clientSecrets: 1,
        signingSecrets: 1,
        auditEvents: 0,
        authorizationCodes: 0,
        userSessions: 0,
        usedTransactions: 0,
        usedNonces: 0,
        usedJtis: 0,
        pushedAuthorizationRequests: 0,
        loginFailures: 0,
        refreshTokens: 0,
        deviceAuthorizations: 0,
      });
      const jtis = (await deniedJtis()).map((r) => r.jti);
      expect(jtis).not.toContain(shortJti);
      expect(jtis).toContain(longJti);
      expect(await watermarkOf(oldMark, api)).toEqual([]);
      expect(await watermarkOf(newMark, api)).toHaveLength(1);
      expect(await secretRows('SELECT id FROM client_secrets WHERE client_id = $1', client.id)).toHaveLength(1);
      expect(await secretRows('SELECT kid FROM resource_server_secrets WHERE resource_server_id = $1', hs.id)).toHaveLength(1);

      // Nothing left: a second pass deletes nothing.
      expect(await server.app.housekeeping.runOnce()).toEqual({
        revokedTokens: 0,
        watermarks: 0,
        clientSecrets: 0,
        signingSecrets: 0,
        auditEvents: 0,
        authorizationCodes: 0,
        userSessions: 0,
        usedTransactions: 0,
        usedNonces: 0,
        usedJtis: 0,
        pushedAuthorizationRequests: 0,
        loginFailures: 0,
        refreshTokens: 0,
        deviceAuthorizations: 0,
      });
    });

    it('runs on its own every PURGE_INTERVAL_SECONDS', async () => {
      // One second (below the variable's 10 s floor, which config.test.ts covers): the timer, not the parsing, is tested here.
      const timed = await startTestServer({ config: { purgeIntervalSeconds: 1 } });
      try {
        const { resourceServer } = (
          await timed.gql(`query($identifier: String!) { resourceServer(identifier: $identifier) { id } }`, {
            identifier: timed.config.managementAudience,
          })
        ).body.data;
        const jti = `timer-${randomUUID()}`;
        const res = await timed.gql(REVOKE, {
          input: { jti, resourceServerId: resourceServer.id, expiresAt: new Date(Date.now() + 1000).toISOString() },
        });
        expect(res.body.data.accessTokenRevoke.userErrors).toEqual([]);
        const rows = () => timed.db.query('SELECT jti FROM revoked_tokens WHERE jti = $1', [jti]);
        expect(await rows()).toHaveLength(1);
        // The token expires 1 s after its revocation; a pass comes within the next second.
        expect(await eventually(rows, (r) => r.length === 0, 5_000)).toEqual([]);
      } finally {
        await timed.close();
      }
    });
  });
});
