import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, ClientFixture, fixtures, uuidOf } from '../helpers/fixtures';
import { CODE_LIFETIME_SECONDS } from '../../src/domain/authorization/authorization-code.service';
import type { AuthorizationCodeInput } from '../../src/domain/authorization/authorization-code.service';
import { GrantRegistry } from '../../src/oauth/grants/registry';

type HttpResult = { status: number; headers: Headers; body: any };

const ACTOR = { subject: 'test', clientId: null, requestId: null };
const PASSWORD = 'correct horse battery staple';
const WEB_CALLBACK = 'https://web.example/callback';
const SPA_CALLBACK = 'https://spa.example/callback';
const INTROSPECT = 'introspect';

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');
/** RFC 7636 §4.1: 32 random octets, base64url (43 characters). */
const newVerifier = () => randomBytes(32).toString('base64url');
const challengeOf = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

function expectOAuthError(res: HttpResult, status: number, error: string, description?: RegExp) {
  expect({ status: res.status, error: res.body.error }).toEqual({ status, error });
  expect(Object.keys(res.body).sort()).toEqual(['error', 'error_description']);
  if (description) expect(res.body.error_description).toMatch(description);
  expect(res.headers.get('cache-control')).toBe('no-store');
}

describe('token endpoint: authorization_code grant', () => {
  let server: TestServer;
  const { gqlData, createApi, createClient, createGrant } = fixtures(() => server, 'code');

  let api: ApiFixture; // RFC9068_PROFILE, 600 s: read:x write:x introspect
  let authzApi: ApiFixture; // ACCESS_TOKEN (Auth0) dialect, 900 s
  let web: ClientFixture; // REGULAR_WEB, client_secret_basic
  let spa: ClientFixture; // SPA, public (none)
  let machine: ClientFixture; // MACHINE_TO_MACHINE: no authorization_code grant
  let introspector: ClientFixture; // grant [introspect] on api
  let userId: string;
  let blockedUserId: string;

  beforeAll(async () => {
    // The purge timer would race runOnce() in the housekeeping test.
    server = await startTestServer({ env: { PURGE_INTERVAL_SECONDS: '86400' } });
    api = await createApi({ tokenDialect: 'RFC9068_PROFILE', scopes: [{ value: 'read:x' }, { value: 'write:x' }, { value: INTROSPECT }] });
    authzApi = await createApi({ tokenDialect: 'ACCESS_TOKEN', tokenLifetime: 900 });
    web = await createClient({ appType: 'REGULAR_WEB', callbacks: [WEB_CALLBACK] });
    spa = await createClient({ appType: 'SPA', callbacks: [SPA_CALLBACK] });
    machine = await createClient();
    introspector = await createClient();
    await createGrant(introspector, api, [INTROSPECT]);
    userId = (await server.app.users.create({ email: 'ada@code.example', password: PASSWORD }, ACTOR)).id;
    blockedUserId = (await server.app.users.create({ email: 'blocked@code.example', password: PASSWORD, blocked: true }, ACTOR)).id;
  });
  afterAll(async () => {
    await server.close();
  });

  /** A code as /authorize would issue it: to `web`, for `api`, read:x write:x, with an S256 challenge. */
  async function issueCode(input: Partial<AuthorizationCodeInput> = {}): Promise<{ code: string; verifier: string }> {
    const verifier = newVerifier();
    const code = await server.app.authorizationCodes.issue({
      clientUuid: uuidOf(web.id),
      userId,
      resourceServerId: uuidOf(api.id),
      redirectUri: WEB_CALLBACK,
      scopes: ['read:x', 'write:x'],
      codeChallenge: challengeOf(verifier),
      codeChallengeMethod: 'S256',
      ...input,
    });
    return { code, verifier };
  }

  /** Exchanges as `web` (Basic). An empty value leaves the parameter out. */
  const exchangeWeb = (params: Record<string, string>) =>
    server.token(
      { grant_type: 'authorization_code', redirect_uri: WEB_CALLBACK, ...params },
      { authorization: basicAuth(web.clientId, web.clientSecret!) },
    );
  /** Exchanges as the public `spa` (client_id only). */
  const exchangeSpa = (params: Record<string, string>) =>
    server.token({ grant_type: 'authorization_code', client_id: spa.clientId, redirect_uri: SPA_CALLBACK, ...params });

  const jwks = () => createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));

  async function isActive(token: string): Promise<boolean> {
    const response = await fetch(`${server.url}/oauth/introspect`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuth(introspector.clientId, introspector.clientSecret!),
      },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    if (body.active) expect(body.sub).toBeDefined();
    return body.active === true;
  }

  describe('success', () => {
    it('exchanges a code of a confidential client (Basic, S256 PKCE) for a user token in the RFC 9068 dialect', async () => {
      const { code, verifier } = await issueCode();
      const res = await exchangeWeb({ code, code_verifier: verifier });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('pragma')).toBe('no-cache');
      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, scope: 'read:x write:x' });

      const { payload, protectedHeader } = await jwtVerify(res.body.access_token, jwks(), { issuer: server.url, audience: api.identifier });
      expect(protectedHeader.typ).toBe('at+jwt');
      expect(payload).toEqual({
        iss: server.url,
        aud: api.identifier,
        sub: userId,
        client_id: web.clientId,
        scope: 'read:x write:x',
        iat: expect.any(Number),
        exp: expect.any(Number),
        jti: expect.any(String),
      });
      expect(payload.exp! - payload.iat!).toBe(600);
      expect(await isActive(res.body.access_token)).toBe(true);

      // Stored hashed only, consumed, bound to what it was issued for, with the token it issued.
      const rows = await server.db.query<any>(
        `SELECT code_hash, client_id, user_id, redirect_uri, consumed_at, issued_jti,
                extract(epoch FROM expires_at - created_at)::int AS lifetime
           FROM authorization_codes WHERE code_hash IN ($1, $2)`,
        [code, sha256Hex(code)],
      );
      expect(rows).toEqual([
        {
          code_hash: sha256Hex(code),
          client_id: uuidOf(web.id),
          user_id: userId,
          redirect_uri: WEB_CALLBACK,
          consumed_at: expect.any(Date),
          issued_jti: payload.jti,
          lifetime: CODE_LIFETIME_SECONDS,
        },
      ]);
      expect(CODE_LIFETIME_SECONDS).toBe(60);
      expect(code).toMatch(/^[A-Za-z0-9_-]{43,}$/); // ≥ 256 bits
    });

    it('exchanges a code of a public client (client_id only, S256 PKCE) in the Auth0 dialect', async () => {
      const { code, verifier } = await issueCode({
        clientUuid: uuidOf(spa.id),
        redirectUri: SPA_CALLBACK,
        resourceServerId: uuidOf(authzApi.id),
        scopes: ['read:x'],
      });
      const res = await exchangeSpa({ code, code_verifier: verifier });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 900, scope: 'read:x' });
      const { payload } = await jwtVerify(res.body.access_token, jwks(), { issuer: server.url, audience: authzApi.identifier });
      expect(decodeProtectedHeader(res.body.access_token).typ).toBe('JWT');
      expect(payload).toEqual({
        iss: server.url,
        aud: authzApi.identifier,
        sub: userId,
        azp: spa.clientId,
        scope: 'read:x',
        iat: expect.any(Number),
        exp: expect.any(Number),
        jti: expect.any(String),
      });
      expect(payload.exp! - payload.iat!).toBe(900);
    });

    it('accepts a JSON body', async () => {
      const { code, verifier } = await issueCode();
      const response = await fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basicAuth(web.clientId, web.clientSecret!) },
        body: JSON.stringify({ grant_type: 'authorization_code', code, redirect_uri: WEB_CALLBACK, code_verifier: verifier }),
      });
      expect(response.status).toBe(200);
    });

    it('carries only the consented scopes the API still defines', async () => {
      const shrinking = await createApi({ scopes: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
      const { code, verifier } = await issueCode({ resourceServerId: uuidOf(shrinking.id), scopes: ['a', 'b', 'undefined:x'] });
      const removed = await gqlData(
        `mutation($id: ID!, $values: [String!]!) { resourceServerScopesRemove(id: $id, values: $values) { userErrors { code } } }`,
        { id: shrinking.id, values: ['b'] },
      );
      expect(removed.resourceServerScopesRemove.userErrors).toEqual([]);
      const res = await exchangeWeb({ code, code_verifier: verifier });
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe('a');
      const { payload } = await jwtVerify(res.body.access_token, jwks(), { audience: shrinking.identifier });
      expect(payload.scope).toBe('a');
    });

    it("accepts resource/audience naming the code's API, refuses another with invalid_target", async () => {
      const first = await issueCode();
      expect((await exchangeWeb({ code: first.code, code_verifier: first.verifier, resource: api.identifier })).status).toBe(200);
      const second = await issueCode();
      expectOAuthError(
        await exchangeWeb({ code: second.code, code_verifier: second.verifier, audience: authzApi.identifier }),
        400,
        'invalid_target',
      );
    });
  });

  describe('refusals', () => {
    it('refuses a wrong, malformed or missing code_verifier with invalid_grant', async () => {
      const wrong = await issueCode();
      expectOAuthError(await exchangeWeb({ code: wrong.code, code_verifier: newVerifier() }), 400, 'invalid_grant', /code_verifier/);
      const short = await issueCode();
      expectOAuthError(await exchangeWeb({ code: short.code, code_verifier: 'abc' }), 400, 'invalid_grant', /code_verifier/);
      // The challenge itself is not a verifier.
      const challenge = await issueCode();
      expectOAuthError(await exchangeWeb({ code: challenge.code, code_verifier: challengeOf(challenge.verifier) }), 400, 'invalid_grant');
      const missing = await issueCode();
      expectOAuthError(await exchangeWeb({ code: missing.code }), 400, 'invalid_grant', /code_verifier is required/);
      const spaMissing = await issueCode({ clientUuid: uuidOf(spa.id), redirectUri: SPA_CALLBACK });
      expectOAuthError(await exchangeSpa({ code: spaMissing.code }), 400, 'invalid_grant', /code_verifier is required/);
    });

    it('refuses a code_verifier for a code issued without a challenge (PKCE downgrade)', async () => {
      const { code } = await issueCode({ codeChallenge: null, codeChallengeMethod: null });
      expectOAuthError(await exchangeWeb({ code, code_verifier: newVerifier() }), 400, 'invalid_grant', /no code_challenge/);
    });

    it('refuses a code issued without a challenge (before PKCE was required of every client) without a verifier too', async () => {
      const { code } = await issueCode({ codeChallenge: null, codeChallengeMethod: null });
      expectOAuthError(await exchangeWeb({ code }), 400, 'invalid_grant', /code_verifier is required/);
      // Spent by that refusal, like any code.
      expectOAuthError(await exchangeWeb({ code, code_verifier: newVerifier() }), 400, 'invalid_grant', /already been used/);
    });

    it('refuses a wrong or missing redirect_uri', async () => {
      const wrong = await issueCode();
      expectOAuthError(
        await exchangeWeb({ code: wrong.code, code_verifier: wrong.verifier, redirect_uri: `${WEB_CALLBACK}/other` }),
        400,
        'invalid_grant',
        /redirect_uri/,
      );
      const missing = await issueCode();
      expectOAuthError(
        await exchangeWeb({ code: missing.code, code_verifier: missing.verifier, redirect_uri: '' }),
        400,
        'invalid_grant',
        /redirect_uri/,
      );
    });

    it("refuses another client's code like an unknown one, and the code is spent", async () => {
      const { code, verifier } = await issueCode({ clientUuid: uuidOf(spa.id), redirectUri: SPA_CALLBACK });
      const res = await exchangeWeb({ code, code_verifier: verifier, redirect_uri: SPA_CALLBACK });
      expectOAuthError(res, 400, 'invalid_grant');
      expect(res.body.error_description).toBe('The authorization code is invalid or expired');
      // Consumed by the refused attempt: its own client cannot use it any more either.
      expectOAuthError(await exchangeSpa({ code, code_verifier: verifier }), 400, 'invalid_grant', /already been used/);
    });

    it('refuses an unknown, over-long or missing code', async () => {
      expectOAuthError(
        await exchangeWeb({ code: randomBytes(32).toString('base64url'), code_verifier: newVerifier() }),
        400,
        'invalid_grant',
        /invalid or expired/,
      );
      expectOAuthError(
        await exchangeWeb({ code: 'x'.repeat(201), code_verifier: newVerifier() }),
        400,
        'invalid_grant',
        /invalid or expired/,
      );
      expectOAuthError(await exchangeWeb({ code_verifier: newVerifier() }), 400, 'invalid_request', /code is required/);
    });

    it('refuses an expired code', async () => {
      const { code, verifier } = await issueCode();
      await server.db.query(`UPDATE authorization_codes SET expires_at = now() - interval '1 second' WHERE code_hash = $1`, [
        sha256Hex(code),
      ]);
      expectOAuthError(await exchangeWeb({ code, code_verifier: verifier }), 400, 'invalid_grant', /invalid or expired/);
    });

    it('refuses a reused code and revokes the token its first use issued', async () => {
      const { code, verifier } = await issueCode();
      const first = await exchangeWeb({ code, code_verifier: verifier });
      expect(first.status).toBe(200);
      expect(await isActive(first.body.access_token)).toBe(true);

      const second = await exchangeWeb({ code, code_verifier: verifier });
      expectOAuthError(second, 400, 'invalid_grant', /already been used/);
      expect(await isActive(first.body.access_token)).toBe(false);
      // Also when the reuse comes from another client, or after the code's own expiry.
      await server.db.query(`UPDATE authorization_codes SET expires_at = now() - interval '1 second' WHERE code_hash = $1`, [
        sha256Hex(code),
      ]);
      expectOAuthError(await exchangeSpa({ code, code_verifier: verifier }), 400, 'invalid_grant', /already been used/);
    });

    it('refuses the code of a blocked user', async () => {
      const { code, verifier } = await issueCode({ userId: blockedUserId });
      expectOAuthError(await exchangeWeb({ code, code_verifier: verifier }), 400, 'invalid_grant', /user/);
    });

    it('refuses a client not allowed the authorization_code grant with unauthorized_client', async () => {
      const { code, verifier } = await issueCode({ clientUuid: uuidOf(machine.id) });
      const res = await server.token(
        { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: WEB_CALLBACK },
        { authorization: basicAuth(machine.clientId, machine.clientSecret!) },
      );
      expectOAuthError(res, 400, 'unauthorized_client');
    });

    it('authenticates the client as registered', async () => {
      const { code, verifier } = await issueCode();
      // A confidential client cannot pass as public (client_id only)...
      expectOAuthError(
        await server.token({
          grant_type: 'authorization_code',
          client_id: web.clientId,
          code,
          code_verifier: verifier,
          redirect_uri: WEB_CALLBACK,
        }),
        401,
        'invalid_client',
      );
      // ...nor with a wrong secret; the code survives both (authentication comes first).
      expectOAuthError(
        await server.token(
          { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: WEB_CALLBACK },
          { authorization: basicAuth(web.clientId, 'wrong-secret') },
        ),
        401,
        'invalid_client',
      );
      expect((await exchangeWeb({ code, code_verifier: verifier })).status).toBe(200);
    });

    it('lets exactly one of concurrent exchanges of a code succeed, and the replays revoke its token', async () => {
      const { code, verifier } = await issueCode();
      const results = await Promise.all(Array.from({ length: 5 }, () => exchangeWeb({ code, code_verifier: verifier })));
      const succeeded = results.filter((r) => r.status === 200);
      expect(succeeded).toHaveLength(1);
      for (const res of results.filter((r) => r.status !== 200)) expectOAuthError(res, 400, 'invalid_grant', /already been used/);
      expect(await isActive(succeeded[0].body.access_token)).toBe(false);
    });
  });

  describe('housekeeping', () => {
    it('purges codes once they and their token have expired, and ended sessions (absolute or idle), used consent forms, old nonces and login failures', async () => {
      const old = await issueCode();
      const tokenAlive = await issueCode();
      const fresh = await issueCode();
      await server.db.query(`UPDATE authorization_codes SET expires_at = now() - interval '2 hours' WHERE code_hash = $1`, [
        sha256Hex(old.code),
      ]);
      await server.db.query(
        `UPDATE authorization_codes SET expires_at = now() - interval '2 hours', issued_jti = 'j', issued_expires_at = now() + interval '1 minute'
          WHERE code_hash = $1`,
        [sha256Hex(tokenAlive.code)],
      );
      await server.db.query(
        `INSERT INTO user_sessions (id_hash, sid, user_id, expires_at, idle_expires_at) VALUES
           ('s-old', 'sid-old', $1, now() - interval '1 second', now() - interval '1 second'),
           ('s-idle', 'sid-idle', $1, now() + interval '1 hour', now() - interval '1 second'),
           ('s-new', 'sid-new', $1, now() + interval '1 hour', now() + interval '1 hour')`,
        [userId],
      );
      await server.db.query(
        `INSERT INTO used_nonces (client_id, nonce, expires_at) VALUES ($1, 'n-old', now() - interval '1 second'), ($1, 'n-new', now() + interval '1 hour')`,
        [uuidOf(spa.id)],
      );
      await server.db.query(
        `INSERT INTO used_transactions (id, expires_at) VALUES ('tx-old', now() - interval '1 second'), ('tx-new', now() + interval '1 hour')`,
      );
      await server.db.query(
        `INSERT INTO login_failures (key, failures, window_started_at, locked_until) VALUES
           ('ip:old', 3, now() - interval '2 days', NULL),
           ('ip:old-locked', 9, now() - interval '2 days', now() + interval '1 hour'),
           ('ip:recent', 1, now() - interval '1 hour', NULL)`,
      );
      const counts = await server.app.housekeeping.runOnce();
      // Sessions end at their absolute expiry or, unused, at their idle one.
      expect(counts).toMatchObject({ authorizationCodes: 1, userSessions: 2, usedTransactions: 1, usedNonces: 1, loginFailures: 1 });
      const hashes = (await server.db.query<any>(`SELECT code_hash FROM authorization_codes`)).map((r) => r.code_hash);
      expect(hashes).not.toContain(sha256Hex(old.code));
      expect(hashes).toEqual(expect.arrayContaining([sha256Hex(tokenAlive.code), sha256Hex(fresh.code)]));
      expect((await server.db.query<any>(`SELECT id_hash FROM user_sessions`)).map((r) => r.id_hash)).toEqual(['s-new']);
      expect((await server.db.query<any>(`SELECT nonce FROM used_nonces`)).map((r) => r.nonce)).toEqual(['n-new']);
      expect((await server.db.query<any>(`SELECT id FROM used_transactions`)).map((r) => r.id)).toEqual(['tx-new']);
      expect((await server.db.query<any>(`SELECT key FROM login_failures ORDER BY key`)).map((r) => r.key)).toEqual([
        'ip:old-locked',
        'ip:recent',
      ]);
    });
  });

  it('counts authorization_code requests under their own grant_type label', () => {
    expect(new GrantRegistry().label('authorization_code')).toBe('authorization_code');
  });
});
