import { createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { FakeClock, startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, ClientFixture, fixtures, uuidOf } from '../helpers/fixtures';
import { BrowserAgent } from '../helpers/browser-agent';
import { authorize, exchangeCode, isActive, refresh } from '../helpers/refresh-flow';
import { familyIdForCode } from '../../src/domain/refresh-token/refresh-token.service';

type HttpResult = { status: number; headers: Headers; body: any };

const ACTOR = { subject: 'test', clientId: null, requestId: null };
const EMAIL = 'ada@refresh.example';
const PASSWORD = 'correct horse battery staple';
const WEB_CALLBACK = 'https://web.example/callback';
const SPA_CALLBACK = 'https://spa.example/callback';
const DAY = 86_400;
const INSECURE = { [oauth.allowInsecureRequests]: true } as const;

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

function expectOAuthError(res: HttpResult, status: number, error: string, description?: RegExp) {
  expect({ status: res.status, error: res.body.error }).toEqual({ status, error });
  expect(Object.keys(res.body).sort()).toEqual(['error', 'error_description']);
  if (description) expect(res.body.error_description).toMatch(description);
  expect(res.headers.get('cache-control')).toBe('no-store');
}

describe('refresh tokens', () => {
  let server: TestServer;
  const clock = new FakeClock();
  const { createApi, createClient, createGrant, gqlData } = fixtures(() => server, 'refresh');

  let api: ApiFixture; // allowOfflineAccess, RFC 9068, 600 s: read:x write:x introspect
  let onlineApi: ApiFixture; // no offline access
  let web: ClientFixture; // REGULAR_WEB, rotating, leeway 0 (defaults)
  let webNoRefresh: ClientFixture; // REGULAR_WEB without the REFRESH_TOKEN grant
  let nonRotating: ClientFixture; // REGULAR_WEB, NON_ROTATING
  let lenient: ClientFixture; // REGULAR_WEB, rotating with a 30 s leeway
  let spa: ClientFixture; // SPA, third party (consent page)
  let introspector: ClientFixture;
  let userId: string;

  beforeAll(async () => {
    server = await startTestServer({ clock, env: { PURGE_INTERVAL_SECONDS: '86400' } });
    api = await createApi({
      allowOfflineAccess: true,
      scopes: [{ value: 'read:x', description: 'Read your x' }, { value: 'write:x' }, { value: 'introspect' }],
    });
    onlineApi = await createApi();
    web = await createClient({ appType: 'REGULAR_WEB', callbacks: [WEB_CALLBACK] });
    webNoRefresh = await createClient({ appType: 'REGULAR_WEB', callbacks: [WEB_CALLBACK], grantTypes: ['AUTHORIZATION_CODE'] });
    nonRotating = await createClient({ appType: 'REGULAR_WEB', callbacks: [WEB_CALLBACK], refreshToken: { rotation: 'NON_ROTATING' } });
    lenient = await createClient({ appType: 'REGULAR_WEB', callbacks: [WEB_CALLBACK], refreshToken: { leeway: 30 } });
    spa = await createClient({ appType: 'SPA', callbacks: [SPA_CALLBACK], isFirstParty: false });
    introspector = await createClient();
    await createGrant(introspector, api, ['introspect']);
    userId = (await server.app.users.create({ email: EMAIL, password: PASSWORD }, ACTOR)).id;
  });
  afterAll(async () => {
    await server.close();
  });

  /** The client entity the service takes (through the registry, as the token endpoint does). */
  const clientEntity = async (client: ClientFixture) => (await server.app.registry.client(client.clientId))!.client;

  /** A refresh token issued directly (a new family) to `client` for `api`, at the clock's time. */
  async function issue(client: ClientFixture, scopes = ['read:x', 'write:x'], forUser = userId): Promise<string> {
    return server.app.refreshTokens.issue({
      client: await clientEntity(client),
      userId: forUser,
      resourceServerId: uuidOf(api.id),
      scopes,
    });
  }

  const row = async (token: string) =>
    (await server.db.query<any>(`SELECT * FROM refresh_tokens WHERE token_hash = $1`, [sha256Hex(token)]))[0];
  const familyRows = async (familyId: string) =>
    server.db.query<any>(`SELECT * FROM refresh_tokens WHERE family_id = $1 ORDER BY seq`, [familyId]);

  /** Signs in at /authorize (as `client`, first-party ones skip consent) and exchanges the code. */
  async function codeFlow(client: ClientFixture, scope: string, target: ApiFixture = api, redirectUri = WEB_CALLBACK) {
    const result = await authorize(server, {
      clientId: client.clientId,
      redirectUri,
      audience: target.identifier,
      scope,
      email: EMAIL,
      password: PASSWORD,
    });
    expect(result.params.error).toBeUndefined();
    const res = await exchangeCode(server, client, result.params.code, result.verifier, redirectUri);
    expect(res.status).toBe(200);
    return { ...result, token: res };
  }

  describe('issued by the authorization code grant', () => {
    it('with offline_access: a refresh_token in the response, stored only as a digest, bound to user, client, API and scopes', async () => {
      const { token } = await codeFlow(web, 'read:x offline_access');
      expect(token.headers.get('cache-control')).toBe('no-store');
      expect(token.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 600,
        scope: 'read:x',
        refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), // 256 bits
      });
      // offline_access is what the refresh token is: never a scope of the access token.
      expect(decodeJwt(token.body.access_token).scope).toBe('read:x');

      const stored = await row(token.body.refresh_token);
      expect(stored).toMatchObject({
        token_hash: sha256Hex(token.body.refresh_token),
        user_id: userId,
        client_id: uuidOf(web.id),
        resource_server_id: uuidOf(api.id),
        scopes: ['read:x'],
        rotated_at: null,
        revoked_at: null,
        last_used_at: null,
      });
      expect((stored.expires_at.getTime() - stored.created_at.getTime()) / 1000).toBe(30 * DAY);
      expect((stored.idle_expires_at.getTime() - stored.created_at.getTime()) / 1000).toBe(15 * DAY);
      const clear = await server.db.query(`SELECT 1 FROM refresh_tokens WHERE token_hash = $1`, [token.body.refresh_token]);
      expect(clear).toEqual([]);
    });

    it('the consent page asks for offline_access ("Stay signed in"), and the consent records it', async () => {
      const { consentText, token } = await codeFlow(spa, 'read:x offline_access', api, SPA_CALLBACK);
      expect(consentText).toContain('Read your x');
      expect(consentText).toContain('Stay signed in');
      expect(consentText).toContain('offline_access');
      expect(await server.app.userGrants.consentedScopes(userId, uuidOf(spa.id), uuidOf(api.id))).toEqual(['offline_access', 'read:x']);
      expect(token.body).toMatchObject({ scope: 'read:x', refresh_token: expect.any(String) });
    });

    it('without offline_access: no refresh token', async () => {
      const { token } = await codeFlow(web, 'read:x');
      expect(token.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, scope: 'read:x' });
    });

    it('offline_access is dropped (no refresh token, nothing refused) when the API does not allow offline access or the client lacks REFRESH_TOKEN', async () => {
      for (const [client, target] of [
        [web, onlineApi],
        [webNoRefresh, api],
      ] as const) {
        const result = await authorize(server, {
          clientId: client.clientId,
          redirectUri: WEB_CALLBACK,
          audience: target.identifier,
          scope: 'read:x offline_access',
          email: EMAIL,
          password: PASSWORD,
        });
        expect(result.params).toMatchObject({ code: expect.any(String), state: 'st' });
        const res = await exchangeCode(server, client, result.params.code, result.verifier, WEB_CALLBACK);
        expect(res.status).toBe(200);
        expect(res.body.scope).toBe('read:x');
        expect(res.body.refresh_token).toBeUndefined();
      }
    });

    it('no refresh token when the API stopped allowing offline access (or the client lost REFRESH_TOKEN) after the consent', async () => {
      const flaky = await createApi({ allowOfflineAccess: true });
      const client = await createClient({ appType: 'REGULAR_WEB', callbacks: [WEB_CALLBACK] });
      const apiFirst = await authorize(server, {
        clientId: client.clientId,
        redirectUri: WEB_CALLBACK,
        audience: flaky.identifier,
        scope: 'read:x offline_access',
        email: EMAIL,
        password: PASSWORD,
      });
      const clientFirst = await authorize(server, {
        clientId: client.clientId,
        redirectUri: WEB_CALLBACK,
        audience: flaky.identifier,
        scope: 'read:x offline_access',
        email: EMAIL,
        password: PASSWORD,
      });
      await gqlData(`mutation($id: ID!) { resourceServerUpdate(id: $id, input: { allowOfflineAccess: false }) { userErrors { code } } }`, {
        id: flaky.id,
      });
      const res = await exchangeCode(server, client, apiFirst.params.code, apiFirst.verifier, WEB_CALLBACK);
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toBeUndefined();

      await gqlData(`mutation($id: ID!) { resourceServerUpdate(id: $id, input: { allowOfflineAccess: true }) { userErrors { code } } }`, {
        id: flaky.id,
      });
      await gqlData(`mutation($id: ID!) { clientUpdate(id: $id, input: { grantTypes: [AUTHORIZATION_CODE] }) { userErrors { code } } }`, {
        id: client.id,
      });
      const res2 = await exchangeCode(server, client, clientFirst.params.code, clientFirst.verifier, WEB_CALLBACK);
      expect(res2.status).toBe(200);
      expect(res2.body.refresh_token).toBeUndefined();
    });

    it('the implicit grant never returns a refresh token (offline_access is ignored there)', async () => {
      const implicit = await createClient({
        appType: 'SPA',
        callbacks: [SPA_CALLBACK],
        grantTypes: ['AUTHORIZATION_CODE', 'IMPLICIT', 'REFRESH_TOKEN'],
      });
      const result = await authorize(server, {
        agent: new BrowserAgent(server.url),
        clientId: implicit.clientId,
        redirectUri: SPA_CALLBACK,
        audience: api.identifier,
        scope: 'read:x offline_access',
        email: EMAIL,
        password: PASSWORD,
        extra: { response_type: 'token', nonce: 'n-1', code_challenge: '', code_challenge_method: '' },
      });
      expect(result.params).toMatchObject({ token_type: 'Bearer', scope: 'read:x' });
      expect(result.params.refresh_token).toBeUndefined();
      expect(decodeJwt(result.params.access_token).scope).toBe('read:x');
    });

    it('a replayed authorization code revokes the refresh tokens its first exchange issued', async () => {
      const first = await authorize(server, {
        clientId: web.clientId,
        redirectUri: WEB_CALLBACK,
        audience: api.identifier,
        scope: 'read:x offline_access',
        email: EMAIL,
        password: PASSWORD,
      });
      const res = await exchangeCode(server, web, first.params.code, first.verifier, WEB_CALLBACK);
      expect(res.status).toBe(200);
      const rotated = await refresh(server, web, res.body.refresh_token);
      expect(rotated.status).toBe(200);
      expect((await row(res.body.refresh_token)).family_id).toBe(familyIdForCode(sha256Hex(first.params.code)));

      expectOAuthError(
        await exchangeCode(server, web, first.params.code, first.verifier, WEB_CALLBACK),
        400,
        'invalid_grant',
        /already been used/,
      );
      expectOAuthError(await refresh(server, web, rotated.body.refresh_token), 400, 'invalid_grant');
    });
  });

  describe('grant_type=refresh_token', () => {
    it("rotates: a new refresh token each use; the access token is the user's, for the token's scopes", async () => {
      const { token } = await codeFlow(web, 'read:x write:x offline_access');
      const res = await refresh(server, web, token.body.refresh_token);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 600,
        scope: 'read:x write:x',
        refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      });
      expect(res.body.refresh_token).not.toBe(token.body.refresh_token);
      const { payload } = await jwtVerify(res.body.access_token, createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)), {
        issuer: server.url,
        audience: api.identifier,
      });
      expect(payload).toMatchObject({ sub: userId, client_id: web.clientId, scope: 'read:x write:x' });
      expect(await isActive(server, introspector, res.body.access_token)).toBe(true);

      const old = await row(token.body.refresh_token);
      const next = await row(res.body.refresh_token);
      expect(old.rotated_at).toEqual(clock.now());
      expect(next).toMatchObject({ family_id: old.family_id, scopes: old.scopes, expires_at: old.expires_at, rotated_at: null });

      // And again with the new one.
      const again = await refresh(server, web, res.body.refresh_token);
      expect(again.status).toBe(200);
      expect(again.body.refresh_token).toEqual(expect.any(String));
    });

    it('a rotated-out token used again is invalid_grant and revokes the whole family', async () => {
      const first = await issue(web);
      const second = (await refresh(server, web, first)).body.refresh_token as string;
      const third = (await refresh(server, web, second)).body.refresh_token as string;
      expect(third).toEqual(expect.any(String));

      expectOAuthError(await refresh(server, web, first), 400, 'invalid_grant', /already used/);
      // The legitimate holder's current token is gone too.
      expectOAuthError(await refresh(server, web, third), 400, 'invalid_grant', /invalid, expired or revoked/);
      const family = await familyRows((await row(first)).family_id);
      expect(family).toHaveLength(3);
      for (const member of family) expect(member.revoked_at).toEqual(clock.now());
    });

    it('leeway: a rotated-out token works again within it (a new successor), and revokes the family after it', async () => {
      const first = await issue(lenient);
      const second = await refresh(server, lenient, first);
      expect(second.status).toBe(200);

      clock.advance(30); // exactly the leeway: still accepted
      const retry = await refresh(server, lenient, first);
      expect(retry.status).toBe(200);
      expect(retry.body.refresh_token).toEqual(expect.any(String));
      expect(retry.body.refresh_token).not.toBe(second.body.refresh_token);
      // Both successors are live.
      expect((await row(second.body.refresh_token)).revoked_at).toBeNull();

      clock.advance(1); // past the leeway
      expectOAuthError(await refresh(server, lenient, first), 400, 'invalid_grant', /already used/);
      expectOAuthError(await refresh(server, lenient, second.body.refresh_token), 400, 'invalid_grant');
      expectOAuthError(await refresh(server, lenient, retry.body.refresh_token), 400, 'invalid_grant');
    });

    it('with leeway 0, a rotated-out token is refused at once, even at the same instant', async () => {
      const first = await issue(web);
      expect((await refresh(server, web, first)).status).toBe(200);
      expectOAuthError(await refresh(server, web, first), 400, 'invalid_grant', /already used/);
    });

    it('non-rotating: the same token keeps working and each use moves its idle expiry', async () => {
      const token = await issue(nonRotating);
      const createdAt = clock.now();
      for (let i = 0; i < 2; i++) {
        clock.advance(10 * DAY); // idle lifetime is 15 days: only the moves keep it alive
        const res = await refresh(server, nonRotating, token);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, scope: 'read:x write:x' });
        const stored = await row(token);
        expect(stored.last_used_at).toEqual(clock.now());
        // Moved to 15 days from now, never past the absolute expiry.
        const idleEnd = Math.min(clock.now().getTime() + 15 * DAY * 1000, createdAt.getTime() + 30 * DAY * 1000);
        expect(stored.idle_expires_at).toEqual(new Date(idleEnd));
      }
      // The absolute lifetime (30 days from issue) still ends it.
      clock.advance(10 * DAY - 1);
      expect((await refresh(server, nonRotating, token)).status).toBe(200);
      expect((await row(token)).idle_expires_at).toEqual(new Date(createdAt.getTime() + 30 * DAY * 1000));
      clock.advance(1);
      expectOAuthError(await refresh(server, nonRotating, token), 400, 'invalid_grant', /invalid, expired or revoked/);
    });

    it('idle expiry: a token unused for the idle lifetime is refused (not revoked: it was no replay)', async () => {
      const used = await issue(web);
      const idle = await issue(web);
      clock.advance(15 * DAY - 1);
      expect((await refresh(server, web, used)).status).toBe(200);
      clock.advance(1);
      expectOAuthError(await refresh(server, web, idle), 400, 'invalid_grant', /invalid, expired or revoked/);
      expect((await row(idle)).revoked_at).toBeNull();
    });

    it('absolute expiry: rotation never extends a family beyond its absolute lifetime', async () => {
      const first = await issue(web);
      let token = first;
      for (let i = 0; i < 3; i++) {
        clock.advance(10 * DAY - 1);
        const res = await refresh(server, web, token);
        expect(res.status).toBe(200);
        token = res.body.refresh_token;
      }
      // 30 days − 3 s after the first issue: the successor ends with the family (idle expiry capped too).
      const familyEnd = (await row(first)).expires_at;
      expect(await row(token)).toMatchObject({ expires_at: familyEnd, idle_expires_at: familyEnd });
      clock.advance(2);
      const lastUse = await refresh(server, web, token);
      expect(lastUse.status).toBe(200);
      clock.advance(1);
      expectOAuthError(await refresh(server, web, lastUse.body.refresh_token), 400, 'invalid_grant', /invalid, expired or revoked/);
    });

    it('scope may narrow (the successor keeps every scope) and never widen (invalid_scope, nothing used up)', async () => {
      const token = await issue(web);
      const narrow = await refresh(server, web, token, { scope: 'read:x' });
      expect(narrow.status).toBe(200);
      expect(narrow.body.scope).toBe('read:x');
      expect(decodeJwt(narrow.body.access_token).scope).toBe('read:x');
      expect((await row(narrow.body.refresh_token)).scopes).toEqual(['read:x', 'write:x']);

      const wide = await refresh(server, web, narrow.body.refresh_token, { scope: 'read:x introspect' });
      expectOAuthError(wide, 400, 'invalid_scope', /introspect/);
      const unknown = await refresh(server, web, narrow.body.refresh_token, { scope: 'nope:x' });
      expectOAuthError(unknown, 400, 'invalid_scope');
      // The refused requests used nothing up: the token still rotates normally.
      expect((await row(narrow.body.refresh_token)).rotated_at).toBeNull();
      const full = await refresh(server, web, narrow.body.refresh_token, { scope: 'write:x offline_access read:x' });
      expect(full.status).toBe(200);
      expect(full.body.scope).toBe('write:x read:x');
    });

    it('a scope the API no longer defines is left out of the access token', async () => {
      const shrinking = await createApi({ allowOfflineAccess: true, scopes: [{ value: 'a' }, { value: 'b' }] });
      const token = await server.app.refreshTokens.issue({
        client: await clientEntity(web),
        userId,
        resourceServerId: uuidOf(shrinking.id),
        scopes: ['a', 'b'],
      });
      await gqlData(`mutation($id: ID!) { resourceServerScopesRemove(id: $id, values: ["b"]) { userErrors { code } } }`, {
        id: shrinking.id,
      });
      const res = await refresh(server, web, token);
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe('a');
    });

    it("RBAC (enforcePolicies): each refresh applies the user's permissions as they are now", async () => {
      const rbac = await createApi({ allowOfflineAccess: true, enforcePolicies: true, tokenDialect: 'RFC9068_PROFILE_AUTHZ' });
      const [{ id: roleId }] = await server.db.query<{ id: string }>(`INSERT INTO roles (name) VALUES ('refresh-reader') RETURNING id`);
      await server.db.query(
        `INSERT INTO role_permissions (role_id, resource_server_id, scope) VALUES ($1, $2, 'read:x'), ($1, $2, 'write:x')`,
        [roleId, uuidOf(rbac.id)],
      );
      await server.db.query(`INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)`, [userId, roleId]);
      const token = await server.app.refreshTokens.issue({
        client: await clientEntity(web),
        userId,
        resourceServerId: uuidOf(rbac.id),
        scopes: ['read:x', 'write:x'],
      });
      const before = await refresh(server, web, token);
      expect(before.status).toBe(200);
      expect(decodeJwt(before.body.access_token)).toMatchObject({ scope: 'read:x write:x', permissions: ['read:x', 'write:x'] });

      await server.db.query(`DELETE FROM role_permissions WHERE role_id = $1 AND scope = 'write:x'`, [roleId]);
      const after = await refresh(server, web, before.body.refresh_token);
      expect(after.status).toBe(200);
      expect(decodeJwt(after.body.access_token)).toMatchObject({ scope: 'read:x', permissions: ['read:x'] });
      await server.db.query(`DELETE FROM roles WHERE id = $1`, [roleId]);
    });

    it('SPAs always rotate, authenticate with client_id alone, and cannot be set to NON_ROTATING', async () => {
      const created = await server.gql(
        `mutation($input: ClientCreateInput!) { clientCreate(input: $input) { client { id } userErrors { field code message } } }`,
        { input: { name: 'spa nr', appType: 'SPA', refreshToken: { rotation: 'NON_ROTATING' } } },
      );
      expect(created.body.data.clientCreate).toEqual({
        client: null,
        userErrors: [{ field: ['input', 'refreshToken', 'rotation'], code: 'INVALID', message: expect.stringMatching(/always rotate/) }],
      });
      // Even if the stored setting said otherwise, the effective rotation of a public client is ROTATING.
      await server.db.query(`UPDATE clients SET refresh_token_rotation = 'NON_ROTATING' WHERE id = $1`, [uuidOf(spa.id)]);
      server.app.registry.clear();
      const settings = await gqlData(
        `query($id: ID!) { client(id: $id) { refreshToken { rotation leeway absoluteLifetime idleLifetime } } }`,
        { id: spa.id },
      );
      expect(settings.client.refreshToken).toEqual({ rotation: 'ROTATING', leeway: 0, absoluteLifetime: 30 * DAY, idleLifetime: 15 * DAY });
      const token = await issue(spa);
      const res = await refresh(server, spa, token);
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toEqual(expect.any(String));
      expectOAuthError(await refresh(server, spa, token), 400, 'invalid_grant', /already used/);
      await server.db.query(`UPDATE clients SET refresh_token_rotation = 'ROTATING' WHERE id = $1`, [uuidOf(spa.id)]);
      server.app.registry.clear();
    });

    it('10 concurrent uses of one rotating token: exactly one succeeds', async () => {
      const token = await issue(web);
      const results = await Promise.all(Array.from({ length: 10 }, () => refresh(server, web, token)));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 400, 400, 400, 400, 400, 400, 400, 400, 400]);
      for (const r of results.filter((r) => r.status === 400)) expect(r.body.error).toBe('invalid_grant');
      // The others were replays outside the (zero) leeway: the family, the winner's successor included, is revoked.
      const winner = results.find((r) => r.status === 200)!;
      expectOAuthError(await refresh(server, web, winner.body.refresh_token), 400, 'invalid_grant');
      expect(await familyRows((await row(token)).family_id)).toHaveLength(2);
    });

    it('10 concurrent uses with a leeway: every one succeeds, each with its own successor', async () => {
      const token = await issue(lenient);
      const results = await Promise.all(Array.from({ length: 10 }, () => refresh(server, lenient, token)));
      expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(new Set(results.map((r) => r.body.refresh_token)).size).toBe(10);
    });

    it("refusals: missing, unknown or another client's token; a client without the grant; a blocked user", async () => {
      const token = await issue(web);
      expectOAuthError(await refresh(server, web, ''), 400, 'invalid_request', /refresh_token is required/);
      expectOAuthError(await refresh(server, web, 'x'.repeat(43)), 400, 'invalid_grant', /invalid, expired or revoked/);
      expectOAuthError(await refresh(server, web, 'x'.repeat(500)), 400, 'invalid_grant');
      // Another client's token is refused like an unknown one and left alone.
      expectOAuthError(await refresh(server, lenient, token), 400, 'invalid_grant', /invalid, expired or revoked/);
      expectOAuthError(await refresh(server, webNoRefresh, token), 400, 'unauthorized_client');
      expect((await row(token)).rotated_at).toBeNull();
      // Bad client authentication.
      const res = await server.token(
        { grant_type: 'refresh_token', refresh_token: token },
        { authorization: `Basic ${Buffer.from(`${web.clientId}:wrong`).toString('base64')}` },
      );
      expectOAuthError(res, 401, 'invalid_client');

      const blocked = (await server.app.users.create({ email: 'blocked@refresh.example', password: PASSWORD }, ACTOR)).id;
      const blockedToken = await issue(web, ['read:x'], blocked);
      await server.app.users.update(blocked, { blocked: true }, ACTOR);
      expectOAuthError(await refresh(server, web, blockedToken), 400, 'invalid_grant');
      expect((await row(blockedToken)).rotated_at).toBeNull();
      await server.app.users.update(blocked, { blocked: false }, ACTOR);
      expect((await refresh(server, web, blockedToken)).status).toBe(200);

      // None of the refusals used the token up.
      expect((await refresh(server, web, token)).status).toBe(200);
    });

    it('deleting the user, the client or the API deletes their refresh tokens', async () => {
      const doomed = (await server.app.users.create({ email: 'doomed@refresh.example', password: PASSWORD }, ACTOR)).id;
      const token = await issue(web, ['read:x'], doomed);
      await server.app.users.delete(doomed, ACTOR);
      expect(await row(token)).toBeUndefined();
      expectOAuthError(await refresh(server, web, token), 400, 'invalid_grant');

      const client = await createClient({ appType: 'REGULAR_WEB', callbacks: [WEB_CALLBACK] });
      const clientToken = await issue(client);
      await gqlData(`mutation($id: ID!) { clientDelete(id: $id) { userErrors { code } } }`, { id: client.id });
      expect(await row(clientToken)).toBeUndefined();

      const doomedApi = await createApi({ allowOfflineAccess: true });
      const apiToken = await server.app.refreshTokens.issue({
        client: await clientEntity(web),
        userId,
        resourceServerId: uuidOf(doomedApi.id),
        scopes: ['read:x'],
      });
      await gqlData(`mutation($id: ID!) { resourceServerDelete(id: $id) { userErrors { code } } }`, { id: doomedApi.id });
      expect(await row(apiToken)).toBeUndefined();
      expectOAuthError(await refresh(server, web, apiToken), 400, 'invalid_grant');
    });

    it('housekeeping purges families past their absolute expiry and those revoked over a day ago', async () => {
      await server.app.housekeeping.runOnce();
      const realNow = new Date();
      clock.set(new Date(realNow.getTime() - 31 * DAY * 1000));
      const expired = await issue(web);
      clock.set(new Date(realNow.getTime() - 2 * DAY * 1000));
      const revoked = await issue(web);
      await server.app.refreshTokens.revokeFamily((await row(revoked)).family_id);
      clock.set(realNow);
      const recentlyRevoked = await issue(web);
      await server.app.refreshTokens.revokeFamily((await row(recentlyRevoked)).family_id);
      const live = await issue(web);

      const counts = await server.app.housekeeping.runOnce();
      expect(counts.refreshTokens).toBe(2);
      expect(await row(expired)).toBeUndefined();
      expect(await row(revoked)).toBeUndefined();
      expect(await row(recentlyRevoked)).toBeDefined();
      expect(await row(live)).toBeDefined();
    });
  });

  describe('oauth4webapi', () => {
    it('refreshTokenGrantRequest + processRefreshTokenResponse against the server (confidential and public clients)', async () => {
      const issuer = new URL(server.url);
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...INSECURE }));
      expect(as.grant_types_supported).toContain('refresh_token');

      const confidential = { client_id: web.clientId };
      const { token } = await codeFlow(web, 'read:x offline_access');
      const response = await oauth.refreshTokenGrantRequest(
        as,
        confidential,
        oauth.ClientSecretBasic(web.clientSecret!),
        token.body.refresh_token,
        INSECURE,
      );
      const result = await oauth.processRefreshTokenResponse(as, confidential, response);
      expect(result).toMatchObject({ token_type: 'bearer', scope: 'read:x', expires_in: 600, refresh_token: expect.any(String) });
      expect(result.refresh_token).not.toBe(token.body.refresh_token);

      // Narrowed through the library's additional parameters, with a public client.
      const publicClient = { client_id: spa.clientId };
      const spaToken = await issue(spa);
      const spaResponse = await oauth.refreshTokenGrantRequest(as, publicClient, oauth.None(), spaToken, {
        ...INSECURE,
        additionalParameters: { scope: 'write:x' },
      });
      const spaResult = await oauth.processRefreshTokenResponse(as, publicClient, spaResponse);
      expect(spaResult.scope).toBe('write:x');

      // The rotated-out token, through the library: invalid_grant.
      const replay = await oauth.refreshTokenGrantRequest(
        as,
        confidential,
        oauth.ClientSecretBasic(web.clientSecret!),
        token.body.refresh_token,
        INSECURE,
      );
      const error = await oauth.processRefreshTokenResponse(as, confidential, replay).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(oauth.ResponseBodyError);
      expect((error as oauth.ResponseBodyError).error).toBe('invalid_grant');
    });
  });
});
