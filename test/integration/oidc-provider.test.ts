import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { FakeClock, startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, ClientFixture, fixtures } from '../helpers/fixtures';
import { BrowserAgent, textOf } from '../helpers/browser-agent';
import { authorize, exchangeCode, refresh } from '../helpers/refresh-flow';

const ACTOR = { subject: 'test', clientId: null, requestId: null };
const EMAIL = 'grace@provider.example';
const PASSWORD = 'correct horse battery staple';
const CALLBACK = 'https://rp.example/callback';
const LOGGED_OUT = 'https://rp.example/bye?from=op';
const SPA_ORIGIN = 'https://spa.example';

/**
 * The OpenID Provider's endpoints one by one, with their refusals: discovery, userinfo (RFC 6750
 * errors, CORS), RP-initiated and Auth0 logout, max_age and prompt=login in auth_time, refresh
 * requests as libraries send them.
 */
describe('OpenID Provider endpoints', () => {
  let server: TestServer;
  const clock = new FakeClock();
  const f = fixtures(() => server, 'oidc-op');
  let api: ApiFixture;
  let web: ClientFixture;
  let spa: ClientFixture;
  let machine: ClientFixture;
  let userId: string;

  beforeAll(async () => {
    server = await startTestServer({ clock });
    api = await f.createApi({ allowOfflineAccess: true, allowSkippingUserConsent: true });
    web = await f.createClient({ appType: 'REGULAR_WEB', callbacks: [CALLBACK], allowedLogoutUrls: [LOGGED_OUT] });
    spa = await f.createClient({ appType: 'SPA', callbacks: [`${SPA_ORIGIN}/cb`], allowedOrigins: [SPA_ORIGIN] });
    machine = await f.createClient();
    await f.createGrant(machine, api, ['read:x']);
    userId = (await server.app.users.create({ email: EMAIL, password: PASSWORD, name: 'Grace Hopper' }, ACTOR)).id;
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Signs in (or reuses the agent's session) and exchanges the code: the token response. */
  async function signIn(options: { scope: string; audience?: string; agent?: BrowserAgent; extra?: Record<string, string> }) {
    const agent = options.agent ?? new BrowserAgent(server.url);
    const result = await authorize(server, {
      agent,
      clientId: web.clientId,
      redirectUri: CALLBACK,
      audience: options.audience,
      scope: options.scope,
      email: EMAIL,
      password: PASSWORD,
      extra: options.extra,
    });
    if (!result.params.code) throw new Error(`no code: ${JSON.stringify(result.params)}`);
    const res = await exchangeCode(server, web, result.params.code, result.verifier, CALLBACK);
    expect(res.status).toBe(200);
    return { body: res.body, agent };
  }

  const userinfo = (token: string | undefined, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${server.url}/userinfo`, {
      method: init.method ?? 'GET',
      headers: { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...init.headers },
      body: init.body,
    });

  describe('discovery', () => {
    it('/.well-known/openid-configuration: the OpenID Provider metadata, readable from any origin', async () => {
      const res = await fetch(`${server.url}/.well-known/openid-configuration`, { headers: { origin: 'https://anywhere.example' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      const metadata = await res.json();
      expect(metadata).toMatchObject({
        issuer: server.url,
        authorization_endpoint: `${server.url}/authorize`,
        token_endpoint: `${server.url}/oauth/token`,
        userinfo_endpoint: `${server.url}/userinfo`,
        end_session_endpoint: `${server.url}/oidc/logout`,
        jwks_uri: `${server.url}/.well-known/jwks.json`,
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA'],
        response_types_supported: ['code', 'token'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
        prompt_values_supported: ['none', 'login', 'consent'],
        request_uri_parameter_supported: false,
      });
      expect(metadata.claims_supported).toEqual(
        expect.arrayContaining(['sub', 'iss', 'aud', 'auth_time', 'nonce', 'sid', 'name', 'updated_at', 'email', 'email_verified']),
      );
      // RFC 8414 metadata stays where it was, without the OpenID Provider's additions.
      const oauth = await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json();
      expect(oauth.issuer).toBe(server.url);
      expect(oauth.userinfo_endpoint).toBeUndefined();
    });
  });

  describe('userinfo', () => {
    it('GET and POST (header or form field) answer the claims the scopes release, no-store', async () => {
      const { body } = await signIn({ scope: 'openid email' });
      const get = await userinfo(body.access_token);
      expect(get.status).toBe(200);
      expect(get.headers.get('cache-control')).toBe('no-store');
      expect(await get.json()).toEqual({ sub: userId, email: EMAIL, email_verified: false });
      const post = await userinfo(undefined, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ access_token: body.access_token }).toString(),
      });
      expect(post.status).toBe(200);
      expect((await post.json()).sub).toBe(userId);
      // The scheme is case-insensitive (RFC 9110).
      const lower = await userinfo(undefined, { headers: { authorization: `bearer ${body.access_token}` } });
      expect(lower.status).toBe(200);
    });

    it('refusals are RFC 6750 challenges', async () => {
      const none = await userinfo(undefined);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');

      const malformed = await userinfo(undefined, { headers: { authorization: 'Basic abc' } });
      expect(malformed.status).toBe(400);
      expect(malformed.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_request"/);

      const garbage = await userinfo('not.a.token');
      expect(garbage.status).toBe(401);
      expect(garbage.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description="/);
      expect(await garbage.json()).toMatchObject({ error: 'invalid_token' });

      // An API's token without openid is not for the userinfo endpoint at all (its only audience is the API).
      const { body: apiOnly } = await signIn({ scope: 'read:x', audience: api.identifier });
      expect(decodeJwt(apiOnly.access_token).aud).toBe(api.identifier);
      const noOpenid = await userinfo(apiOnly.access_token);
      expect(noOpenid.status).toBe(401);
      expect(noOpenid.headers.get('www-authenticate')).toContain('error="invalid_token"');

      // A userinfo token without openid (scope: email only): 403 insufficient_scope, naming the scope needed.
      const { body: emailOnly } = await signIn({ scope: 'email' });
      expect(decodeJwt(emailOnly.access_token).aud).toBe(`${server.url}/userinfo`);
      const insufficient = await userinfo(emailOnly.access_token);
      expect(insufficient.status).toBe(403);
      expect(insufficient.headers.get('www-authenticate')).toBe(
        'Bearer error="insufficient_scope", error_description="The access token does not carry the openid scope", scope="openid"',
      );

      // A machine token: never for the userinfo endpoint.
      const machineToken = await f.issueToken(machine, api);
      expect((await userinfo(machineToken)).status).toBe(401);

      // Header and form field together: invalid_request.
      const { body } = await signIn({ scope: 'openid' });
      const both = await userinfo(body.access_token, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ access_token: body.access_token }).toString(),
      });
      expect(both.status).toBe(400);
    });

    it('a revoked token, or a user blocked since, is refused', async () => {
      const { body } = await signIn({ scope: 'openid' });
      const revoked = await fetch(`${server.url}/oauth/revoke`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${web.clientId}:${web.clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token: body.access_token }).toString(),
      });
      expect(revoked.status).toBe(200);
      expect((await userinfo(body.access_token)).status).toBe(401);

      const other = await server.app.users.create({ email: 'blocked@provider.example', password: PASSWORD }, ACTOR);
      const agent = new BrowserAgent(server.url);
      const signedIn = await authorize(server, {
        agent,
        clientId: web.clientId,
        redirectUri: CALLBACK,
        scope: 'openid',
        email: 'blocked@provider.example',
        password: PASSWORD,
      });
      const token = (await exchangeCode(server, web, signedIn.params.code, signedIn.verifier, CALLBACK)).body.access_token;
      expect((await userinfo(token)).status).toBe(200);
      await server.app.users.update(other.id, { blocked: true }, ACTOR);
      const blocked = await userinfo(token);
      expect(blocked.status).toBe(401);
      expect(await blocked.json()).toMatchObject({ error: 'invalid_token' });
    });

    it('CORS: readable from an origin the token’s client allows, never from another', async () => {
      const agent = new BrowserAgent(server.url);
      const result = await authorize(server, {
        agent,
        clientId: spa.clientId,
        redirectUri: `${SPA_ORIGIN}/cb`,
        scope: 'openid profile',
        email: EMAIL,
        password: PASSWORD,
      });
      const res = await exchangeCode(server, spa, result.params.code, result.verifier, `${SPA_ORIGIN}/cb`);
      const token = res.body.access_token;
      const preflight = await fetch(`${server.url}/userinfo`, {
        method: 'OPTIONS',
        headers: { origin: SPA_ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(SPA_ORIGIN);
      expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');

      const allowed = await userinfo(token, { headers: { origin: SPA_ORIGIN } });
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(SPA_ORIGIN);
      expect(await allowed.json()).toEqual({ sub: userId, name: 'Grace Hopper', updated_at: expect.any(Number) });

      // Another origin (even one another client allows: the token's client decides).
      const elsewhere = await userinfo(token, { headers: { origin: 'https://evil.example' } });
      expect(elsewhere.status).toBe(401);
      expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
      const { body } = await signIn({ scope: 'openid' });
      const notThisClients = await userinfo(body.access_token, { headers: { origin: SPA_ORIGIN } });
      expect(notThisClients.status).toBe(401);
      expect(notThisClients.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('logout', () => {
    /** The signed-in agent and an ID token of its session. */
    async function signedIn() {
      const { body, agent } = await signIn({ scope: 'openid' });
      return { agent, idToken: body.id_token as string, sid: decodeJwt(body.id_token).sid as string };
    }
    const sessionCount = async (sid: string) => (await server.db.query(`SELECT 1 FROM user_sessions WHERE sid = $1`, [sid])).length;
    const silent = (agent: BrowserAgent) =>
      authorize(server, {
        agent,
        clientId: web.clientId,
        redirectUri: CALLBACK,
        scope: 'openid',
        email: EMAIL,
        password: PASSWORD,
        extra: { prompt: 'none' },
      });

    it('end_session_endpoint: id_token_hint + registered post_logout_redirect_uri → redirect with state; the session ends', async () => {
      const { agent, idToken, sid } = await signedIn();
      expect(await sessionCount(sid)).toBe(1);
      const query = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: LOGGED_OUT, state: 's 1' });
      const res = await agent.get(`/oidc/logout?${query}`);
      expect(res.status).toBe(303);
      // The URI's own query is kept; state is added.
      expect(res.location).toBe('https://rp.example/bye?from=op&state=s+1');
      expect(agent.setCookieLines.at(-1)).toMatch(/^apiauth_session=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0/);
      expect(await sessionCount(sid)).toBe(0);
      expect((await silent(agent)).params).toMatchObject({ error: 'login_required' });
    });

    it('an unregistered post_logout_redirect_uri never gets a redirect: an error page, and the session stays', async () => {
      const { agent, idToken, sid } = await signedIn();
      const refusals: Record<string, string>[] = [
        { id_token_hint: idToken, post_logout_redirect_uri: 'https://evil.example/' },
        { client_id: web.clientId, post_logout_redirect_uri: 'https://rp.example/bye' },
        // Without a client to check it against.
        { post_logout_redirect_uri: LOGGED_OUT },
        // A hint that is not one of our ID tokens, or names another client than client_id.
        { id_token_hint: `${idToken.slice(0, -4)}AAAA`, post_logout_redirect_uri: LOGGED_OUT },
        { id_token_hint: idToken, client_id: spa.clientId, post_logout_redirect_uri: LOGGED_OUT },
        { client_id: 'no-such-client', post_logout_redirect_uri: LOGGED_OUT },
      ];
      for (const query of refusals) {
        const res = await agent.get(`/oidc/logout?${new URLSearchParams(query)}`);
        expect(res.status).toBe(400);
        expect(res.location).toBeNull();
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      }
      // A repeated parameter (two return URLs: which one?) is refused too.
      const repeated = await agent.get(
        `/oidc/logout?post_logout_redirect_uri=${encodeURIComponent(LOGGED_OUT)}&client_id=${web.clientId}&post_logout_redirect_uri=x`,
      );
      expect(repeated.status).toBe(400);
      expect(repeated.location).toBeNull();
      expect(await sessionCount(sid)).toBe(1);
    });

    it('without a return URI: a signed-out page; POST works like GET; an expired hint still names its client', async () => {
      const first = await signedIn();
      const page = await first.agent.get(`/oidc/logout`);
      expect(page.status).toBe(200);
      expect(textOf(page.text)).toContain('You are signed out');
      expect(await sessionCount(first.sid)).toBe(0);

      const second = await signedIn();
      clock.advance(36_000 + 60);
      const posted = await second.agent.request('/oidc/logout', {
        method: 'POST',
        form: { id_token_hint: second.idToken, post_logout_redirect_uri: LOGGED_OUT },
      });
      expect(posted.status).toBe(303);
      expect(posted.location).toBe(LOGGED_OUT);
      expect(await sessionCount(second.sid)).toBe(0);
    });

    it('Auth0’s GET /v2/logout?client_id&returnTo, with the same rules', async () => {
      const { agent, sid } = await signedIn();
      const refused = await agent.get(`/v2/logout?${new URLSearchParams({ client_id: web.clientId, returnTo: 'https://evil.example/' })}`);
      expect(refused.status).toBe(400);
      expect(refused.location).toBeNull();
      expect(await sessionCount(sid)).toBe(1);
      const noClient = await agent.get(`/v2/logout?${new URLSearchParams({ returnTo: LOGGED_OUT })}`);
      expect(noClient.status).toBe(400);
      const res = await agent.get(`/v2/logout?${new URLSearchParams({ client_id: web.clientId, returnTo: LOGGED_OUT, federated: '' })}`);
      expect(res.status).toBe(303);
      expect(res.location).toBe(LOGGED_OUT);
      expect(await sessionCount(sid)).toBe(0);
    });
  });

  describe('auth_time, max_age and prompt=login', () => {
    it('max_age older than the sign-in asks again (prompt=none: login_required); the new sign-in is the ID token’s auth_time', async () => {
      const { body, agent } = await signIn({ scope: 'openid' });
      const first = decodeJwt(body.id_token);
      expect(first.auth_time).toBe(Math.floor(clock.now().getTime() / 1000));
      clock.advance(120);
      // Within max_age: no sign-in, the same auth_time.
      const within = await signIn({ scope: 'openid', agent, extra: { max_age: '300' } });
      expect(decodeJwt(within.body.id_token).auth_time).toBe(first.auth_time);
      // Beyond it: prompt=none cannot ask, so login_required…
      const silent = await authorize(server, {
        agent,
        clientId: web.clientId,
        redirectUri: CALLBACK,
        scope: 'openid',
        email: EMAIL,
        password: PASSWORD,
        extra: { max_age: '60', prompt: 'none' },
      });
      expect(silent.params).toMatchObject({ error: 'login_required' });
      // …and otherwise the sign-in page, after which auth_time is the new sign-in (max_age=0 does not loop).
      const again = await signIn({ scope: 'openid', agent, extra: { max_age: '0' } });
      const renewed = decodeJwt(again.body.id_token);
      expect(renewed.auth_time).toBe(Math.floor(clock.now().getTime() / 1000));
      expect(renewed.auth_time).toBeGreaterThan(first.auth_time as number);
      expect(renewed.sid).not.toBe(first.sid);
    });

    it('prompt=login signs in again even with a live session', async () => {
      const { body, agent } = await signIn({ scope: 'openid' });
      clock.advance(30);
      const login = await agent.get(
        `/authorize?${new URLSearchParams({ response_type: 'code', client_id: web.clientId, redirect_uri: CALLBACK, scope: 'openid', prompt: 'login', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`,
      );
      expect(login.status).toBe(200);
      expect(login.text).toContain('/authorize/login');
      const again = await signIn({ scope: 'openid', agent, extra: { prompt: 'login' } });
      expect(decodeJwt(again.body.id_token).auth_time).toBe((decodeJwt(body.id_token).auth_time as number) + 30);
    });
  });

  describe('refresh requests as libraries send them', () => {
    it('the OIDC scopes, offline_access, redirect_uri and the family’s audience are accepted; another API is invalid_target', async () => {
      const { body } = await signIn({ scope: 'openid profile offline_access read:x', audience: api.identifier });
      expect(body.scope).toBe('openid profile read:x');
      const refreshed = await refresh(server, web, body.refresh_token, {
        scope: 'openid profile email offline_access read:x',
        redirect_uri: CALLBACK,
        audience: api.identifier,
      });
      expect(refreshed.status).toBe(200);
      // email was never granted: left out, not added.
      expect(refreshed.body.scope).toBe('openid profile read:x');
      expect(decodeJwt(refreshed.body.id_token)).toMatchObject({ sub: userId, name: 'Grace Hopper' });
      expect(decodeJwt(refreshed.body.id_token).email).toBeUndefined();

      // Narrowed to what is not openid: no ID token.
      const narrowed = await refresh(server, web, refreshed.body.refresh_token, { scope: 'read:x' });
      expect(narrowed.status).toBe(200);
      expect(narrowed.body.scope).toBe('read:x');
      expect(narrowed.body.id_token).toBeUndefined();

      const other = await f.createApi();
      const wrong = await refresh(server, web, narrowed.body.refresh_token, { audience: other.identifier });
      expect(wrong.status).toBe(400);
      expect(wrong.body).toEqual({ error: 'invalid_target', error_description: 'audience does not name the API of the refresh token' });
    });
  });

  describe('consent page', () => {
    it('names the standard scopes in plain words; a sign-in without an API says so', async () => {
      const third = await f.createClient({ appType: 'REGULAR_WEB', isFirstParty: false, callbacks: [CALLBACK] });
      const withApi = await authorize(server, {
        clientId: third.clientId,
        redirectUri: CALLBACK,
        audience: api.identifier,
        scope: 'openid profile email offline_access read:x unknown:x',
        email: EMAIL,
        password: PASSWORD,
      });
      expect(withApi.consentText).toContain('Sign you in with your account');
      expect(withApi.consentText).toContain('Your profile (your name)');
      expect(withApi.consentText).toContain('Your email address');
      expect(withApi.consentText).toContain('Stay signed in');
      // The scope the API does not define was dropped: never shown, never granted.
      expect(withApi.consentText).not.toContain('unknown:x');
      const granted = await exchangeCode(server, third, withApi.params.code, withApi.verifier, CALLBACK);
      expect(granted.body.scope).toBe('openid profile email read:x');

      const signInOnly = await authorize(server, {
        clientId: third.clientId,
        redirectUri: CALLBACK,
        scope: 'openid email',
        email: EMAIL,
        password: PASSWORD,
      });
      expect(signInOnly.consentText).toContain('wants to sign you in with your account');
      expect(signInOnly.consentText).not.toContain('userinfo');
      expect(signInOnly.params.code).toBeDefined();
    });
  });

  describe('access tokens for resource servers', () => {
    it('a user token carrying openid keeps the API as audience: jose verifies it for the API, the userinfo endpoint accepts it', async () => {
      const { body } = await signIn({ scope: 'openid read:x', audience: api.identifier });
      const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(body.access_token, jwks, { issuer: server.url, audience: api.identifier });
      expect(payload.aud).toEqual([api.identifier, `${server.url}/userinfo`]);
      expect((await userinfo(body.access_token)).status).toBe(200);
      expect(body.id_token).toBeDefined();
    });
  });
});

describe('DEFAULT_AUDIENCE', () => {
  let server: TestServer;
  const f = fixtures(() => server, 'oidc-default');

  afterAll(async () => {
    await server?.close();
  });

  it('names the API of authorization requests that name none', async () => {
    server = await startTestServer({ env: { DEFAULT_AUDIENCE: 'https://default-api.example/' } });
    const api = await f.createApi({ identifier: 'https://default-api.example/', allowSkippingUserConsent: true });
    const web = await f.createClient({ appType: 'REGULAR_WEB', callbacks: [CALLBACK] });
    await server.app.users.create({ email: EMAIL, password: PASSWORD }, ACTOR);
    const result = await authorize(server, {
      clientId: web.clientId,
      redirectUri: CALLBACK,
      scope: 'openid read:x',
      email: EMAIL,
      password: PASSWORD,
    });
    const res = await exchangeCode(server, web, result.params.code, result.verifier, CALLBACK);
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('openid read:x');
    expect(decodeJwt(res.body.access_token).aud).toEqual([api.identifier, `${server.url}/userinfo`]);
  });
});
