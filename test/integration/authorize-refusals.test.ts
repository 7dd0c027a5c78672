import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, ClientFixture, fixtures, uuidOf } from '../helpers/fixtures';
import { AgentResponse, BrowserAgent, parseForms, pkce, responseParams, textOf } from '../helpers/browser-agent';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';
import { SecretBox } from '../../src/crypto/secret-box';
import { sealTransaction, TX_LIFETIME_SECONDS } from '../../src/oauth/authorize/transaction';
import { ACCOUNT_AT_IP_FAILURE_LIMIT, IP_FAILURE_LIMIT } from '../../src/oauth/authorize/throttle';
import { FORM_ALREADY_USED, WRONG_CREDENTIALS } from '../../src/oauth/authorize/endpoint';

/** Every way /authorize says no: error pages (never a redirect), errors at the redirect URI, refused forms. */
describe('GET /authorize: refusals', () => {
  let server: TestServer;
  const masterKey = randomBytes(32);
  const f = fixtures(() => server, 'authz-refusals');
  let api: ApiFixture;
  let lifetimeApi: ApiFixture;
  let thirdParty: ClientFixture;
  let firstPartyWeb: ClientFixture;
  let spa: ClientFixture;
  let spaNoImplicit: ClientFixture;
  const PASSWORD = 'a long enough password';
  const THIRD_CB = 'https://third.example/cb';
  const WEB_CB = 'https://web.example/cb';
  const SPA_CB = 'https://spa.example/cb';
  const users: Record<string, string> = {};

  beforeAll(async () => {
    server = await startTestServer({ masterKey: masterKey.toString('base64') });
    api = await f.createApi({
      scopes: [
        { value: 'read:x', description: 'Read x' },
        { value: 'write:x', description: 'Write x' },
      ],
    });
    lifetimeApi = await f.createApi({
      tokenLifetime: 3600,
      tokenLifetimeForWeb: 900,
      scopes: [{ value: 'read:y', description: 'Read y' }],
    });
    thirdParty = await f.createClient({ name: 'Third', appType: 'REGULAR_WEB', isFirstParty: false, callbacks: [THIRD_CB] });
    firstPartyWeb = await f.createClient({ name: 'Web', appType: 'REGULAR_WEB', callbacks: [WEB_CB, 'https://web.example/other'] });
    spa = await f.createClient({ name: 'SPA', appType: 'SPA', grantTypes: ['AUTHORIZATION_CODE', 'IMPLICIT'], callbacks: [SPA_CB] });
    spaNoImplicit = await f.createClient({ name: 'SPA2', appType: 'SPA', callbacks: [SPA_CB] });
    for (const name of ['ada', 'bob', 'eve', 'blocked', 'throttled']) {
      const user = await server.app.users.create(
        { email: `${name}@example.com`, password: PASSWORD, blocked: name === 'blocked' },
        SYSTEM_ACTOR,
      );
      users[name] = user.id;
    }
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(async () => {
    // Every request comes from 127.0.0.1: start each test with clean failure counters.
    await server.db.query(`DELETE FROM login_failures`);
  });

  const url = (params: Record<string, string>) => `/authorize?${new URLSearchParams(params).toString()}`;

  function codeParams(client: ClientFixture, redirectUri: string, extra: Record<string, string | undefined> = {}) {
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: redirectUri,
      scope: 'read:x',
      audience: api.identifier,
      state: 'the-state',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    };
    for (const [name, value] of Object.entries(extra)) {
      if (value === undefined) delete params[name];
      else params[name] = value;
    }
    return params;
  }

  function implicitParams(client: ClientFixture, extra: Record<string, string | undefined> = {}) {
    const params: Record<string, string> = {
      response_type: 'token',
      client_id: client.clientId,
      redirect_uri: SPA_CB,
      scope: 'read:y',
      audience: lifetimeApi.identifier,
      state: 'imp-state',
      nonce: `n-${randomBytes(8).toString('hex')}`,
    };
    for (const [name, value] of Object.entries(extra)) {
      if (value === undefined) delete params[name];
      else params[name] = value;
    }
    return params;
  }

  function expectErrorPage(res: AgentResponse, status: number, text: string) {
    expect(res.status).toBe(status);
    expect(res.location).toBeNull();
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("form-action 'none'");
    expect(textOf(res.text)).toContain(text);
  }

  function expectRedirectError(
    res: AgentResponse,
    redirectUri: string,
    error: string,
    description: RegExp | string,
    state = 'the-state',
    status = 302,
  ) {
    expect(res.status).toBe(status);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.location!.startsWith(`${redirectUri}?`)).toBe(true);
    expect(responseParams(res.location!)).toEqual({
      error,
      error_description: typeof description === 'string' ? description : expect.stringMatching(description),
      state,
      iss: server.config.issuer,
    });
  }

  async function signedIn(name: string): Promise<BrowserAgent> {
    const agent = new BrowserAgent(server.url);
    const login = await agent.get(url(codeParams(firstPartyWeb, WEB_CB)));
    const res = await agent.submit(login, { email: `${name}@example.com`, password: PASSWORD });
    expect(res.status).toBe(303);
    return agent;
  }

  describe('a bad client or redirect URI: an error page, never a redirect', () => {
    it('unknown or missing client_id', async () => {
      const agent = new BrowserAgent(server.url);
      expectErrorPage(
        await agent.get(url(codeParams(thirdParty, THIRD_CB, { client_id: 'no-such-client' }))),
        400,
        'No application has this client_id.',
      );
      expectErrorPage(
        await agent.get(url(codeParams(thirdParty, THIRD_CB, { client_id: undefined }))),
        400,
        'The client_id parameter is missing.',
      );
      expectErrorPage(
        await agent.get(`${url(codeParams(thirdParty, THIRD_CB))}&client_id=${thirdParty.clientId}`),
        400,
        'The client_id parameter is repeated.',
      );
    });

    it('a redirect URI not registered, exactly', async () => {
      const agent = new BrowserAgent(server.url);
      for (const wrong of [
        'https://evil.example/cb',
        `${THIRD_CB}/`,
        `${THIRD_CB}?x=1`,
        'https://THIRD.example/cb',
        'https://third.example/cb/../cb',
        'https://third.example:443/cb',
        WEB_CB,
      ]) {
        const res = await agent.get(url(codeParams(thirdParty, wrong)));
        expectErrorPage(res, 400, 'The redirect_uri is not one of the application’s registered callback URLs.');
        expect(res.text).not.toContain(wrong);
      }
      // Omitted while the client has several callbacks.
      expectErrorPage(
        await agent.get(url(codeParams(firstPartyWeb, WEB_CB, { redirect_uri: undefined }))),
        400,
        'The redirect_uri parameter is missing',
      );
      // Too many parameters or a huge one: refused before anything.
      expectErrorPage(
        await agent.get(`${url(codeParams(thirdParty, THIRD_CB))}&x=${'a'.repeat(5000)}`),
        400,
        'A request parameter is too long.',
      );
    });
  });

  describe('errors sent to the redirect URI', () => {
    it('PKCE: required of every client (public, third-party, first-party confidential), S256 only', async () => {
      const agent = new BrowserAgent(server.url);
      const noPkce = { code_challenge: undefined, code_challenge_method: undefined };
      expectRedirectError(await agent.get(url(codeParams(spa, SPA_CB, noPkce))), SPA_CB, 'invalid_request', /^code_challenge required/);
      expectRedirectError(
        await agent.get(url(codeParams(thirdParty, THIRD_CB, noPkce))),
        THIRD_CB,
        'invalid_request',
        /^code_challenge required/,
      );
      // A first-party confidential client too (RFC 9700 §2.1.1: its secret does not stop code injection).
      expectRedirectError(
        await agent.get(url(codeParams(firstPartyWeb, WEB_CB, noPkce))),
        WEB_CB,
        'invalid_request',
        'code_challenge required (PKCE with code_challenge_method=S256)',
      );
      // Refused before any page: a signed-in user gets no code either.
      const ada = await signedIn('ada');
      expectRedirectError(
        await ada.get(url(codeParams(firstPartyWeb, WEB_CB, noPkce))),
        WEB_CB,
        'invalid_request',
        'code_challenge required (PKCE with code_challenge_method=S256)',
      );

      const challenge = pkce().challenge;
      expectRedirectError(
        await agent.get(url(codeParams(spa, SPA_CB, { code_challenge: challenge, code_challenge_method: 'plain' }))),
        SPA_CB,
        'invalid_request',
        'code_challenge_method must be S256',
      );
      // No method means plain (RFC 7636 §4.3): refused the same way.
      expectRedirectError(
        await agent.get(url(codeParams(spa, SPA_CB, { code_challenge: challenge, code_challenge_method: undefined }))),
        SPA_CB,
        'invalid_request',
        'code_challenge_method must be S256',
      );
      expectRedirectError(
        await agent.get(url(codeParams(spa, SPA_CB, { code_challenge: 'short' }))),
        SPA_CB,
        'invalid_request',
        /^code_challenge must be 43 base64url characters/,
      );
      expectRedirectError(
        await agent.get(url(codeParams(firstPartyWeb, WEB_CB, { code_challenge: undefined }))),
        WEB_CB,
        'invalid_request',
        'code_challenge_method without code_challenge',
      );
    });

    it('response_type, response_mode, scope, audience, prompt, repeated parameters', async () => {
      const agent = new BrowserAgent(server.url);
      const get = (extra: Record<string, string | undefined>) => agent.get(url(codeParams(thirdParty, THIRD_CB, extra)));
      expectRedirectError(
        await get({ response_type: 'id_token' }),
        THIRD_CB,
        'unsupported_response_type',
        'response_type must be code or token',
      );
      expectRedirectError(
        await get({ response_type: 'code token' }),
        THIRD_CB,
        'unsupported_response_type',
        'response_type must be code or token',
      );
      expectRedirectError(await get({ response_type: undefined }), THIRD_CB, 'invalid_request', 'response_type is required');
      expectRedirectError(
        await get({ response_mode: 'web_message' }),
        THIRD_CB,
        'invalid_request',
        'response_mode must be query, fragment or form_post',
      );
      // A scope the API does not define is dropped (not refused); a malformed one is refused.
      expectRedirectError(
        await get({ scope: 'read:x "admin"' }),
        THIRD_CB,
        'invalid_scope',
        'scope holds a character that is not allowed in a scope token',
      );
      expectRedirectError(await get({ audience: 'https://nowhere.example/' }), THIRD_CB, 'invalid_target', 'No API has this identifier');
      // No API named, no DEFAULT_AUDIENCE, and scopes beyond the standard ones: the API must be named.
      expectRedirectError(await get({ audience: undefined }), THIRD_CB, 'invalid_request', /^audience \(or resource\) is required/);
      expectRedirectError(
        await get({ resource: 'https://other.example/' }),
        THIRD_CB,
        'invalid_target',
        'audience and resource name different APIs',
      );
      // The Management API accepts user tokens from the built-in console only.
      expectRedirectError(
        await get({ audience: server.config.managementAudience }),
        THIRD_CB,
        'invalid_target',
        'This API does not accept tokens issued to users of this application',
      );
      expectRedirectError(await get({ prompt: 'select_account' }), THIRD_CB, 'invalid_request', 'prompt must be none, login or consent');
      expectRedirectError(
        await get({ prompt: 'none login' }),
        THIRD_CB,
        'invalid_request',
        'prompt=none cannot be combined with other values',
      );
      expectRedirectError(
        await agent.get(`${url(codeParams(thirdParty, THIRD_CB))}&scope=write:x`),
        THIRD_CB,
        'invalid_request',
        'Parameter scope is repeated',
      );
      // A repeated state is not echoed.
      const twice = await agent.get(`${url(codeParams(thirdParty, THIRD_CB))}&state=other`);
      expect(responseParams(twice.location!)).toEqual({
        error: 'invalid_request',
        error_description: 'Parameter state is repeated',
        iss: server.config.issuer,
      });
      // In the requested response mode.
      const fragment = await get({ scope: '"nope"', response_mode: 'fragment' });
      expect(fragment.location!.startsWith(`${THIRD_CB}#`)).toBe(true);
      expect(responseParams(fragment.location!, 'fragment')).toMatchObject({ error: 'invalid_scope', state: 'the-state' });
      const formPost = await get({ scope: '"nope"', response_mode: 'form_post' });
      expect(formPost.status).toBe(200);
      expect(parseForms(formPost.text)[0]).toMatchObject({
        action: THIRD_CB,
        fields: { error: 'invalid_scope', error_description: expect.any(String), state: 'the-state', iss: server.config.issuer },
      });
    });

    it('prompt=none: login_required without a session, consent_required when consent is needed', async () => {
      const anonymous = new BrowserAgent(server.url);
      expectRedirectError(
        await anonymous.get(url(codeParams(thirdParty, THIRD_CB, { prompt: 'none' }))),
        THIRD_CB,
        'login_required',
        'The user is not signed in',
      );
      // A forged session cookie is no session.
      anonymous.jar.set(new URL(server.url).host, new Map([['apiauth_session', { value: 'A'.repeat(43), path: '/', attributes: [] }]]));
      expectRedirectError(
        await anonymous.get(url(codeParams(thirdParty, THIRD_CB, { prompt: 'none' }))),
        THIRD_CB,
        'login_required',
        'The user is not signed in',
      );

      const agent = await signedIn('bob');
      expectRedirectError(
        await agent.get(url(codeParams(thirdParty, THIRD_CB, { prompt: 'none' }))),
        THIRD_CB,
        'consent_required',
        'The user has not consented to this request',
      );
      // No page either way; once consented, prompt=none answers with a code.
      const consent = await agent.get(url(codeParams(thirdParty, THIRD_CB)));
      expect(consent.status).toBe(200);
      expect((await agent.submit(consent, { decision: 'allow' })).status).toBe(303);
      const silent = await agent.get(url(codeParams(thirdParty, THIRD_CB, { prompt: 'none' })));
      expect(silent.status).toBe(302);
      expect(responseParams(silent.location!)).toEqual({ code: expect.any(String), state: 'the-state', iss: server.config.issuer });
      // First-party with skip: no consent needed, so prompt=none succeeds at once.
      expect(responseParams((await agent.get(url(codeParams(firstPartyWeb, WEB_CB, { prompt: 'none' })))).location!).code).toBeDefined();
    });

    it('deny → access_denied with the state, nothing recorded', async () => {
      const agent = await signedIn('eve');
      const consent = await agent.get(url(codeParams(thirdParty, THIRD_CB, { state: 'deny-state' })));
      expect(consent.status).toBe(200);
      const denied = await agent.submit(consent, { decision: 'deny' });
      expectRedirectError(denied, THIRD_CB, 'access_denied', 'The user denied the request', 'deny-state', 303);
      expect(await server.db.query(`SELECT 1 FROM user_grants WHERE user_id = $1`, [users.eve])).toEqual([]);
      expect(await server.db.query(`SELECT 1 FROM authorization_codes WHERE user_id = $1`, [users.eve])).toEqual([]);
    });
  });

  describe('sign-in', () => {
    it('a wrong password, an unknown email and a blocked user all get the same generic answer', async () => {
      const agent = new BrowserAgent(server.url);
      const login = await agent.get(url(codeParams(thirdParty, THIRD_CB)));
      const answers: AgentResponse[] = [];
      for (const [email, password] of [
        ['ada@example.com', 'wrong password!'],
        ['nobody@example.com', PASSWORD],
        ['blocked@example.com', PASSWORD],
        ['', ''],
        [`${'x'.repeat(400)}@example.com`, 'p'.repeat(2000)],
      ]) {
        const res = await agent.submit(login, { email, password });
        answers.push(res);
        expect(res.status).toBe(200);
        expect(res.location).toBeNull();
        expect(textOf(res.text)).toContain(WRONG_CREDENTIALS);
        expect(res.text).toContain('role="alert"');
        // The form is shown again, email kept, password not.
        const form = parseForms(res.text)[0];
        expect(form.fields.email).toBe(email);
        expect(form.fields.password).toBe('');
      }
      expect(agent.cookie('apiauth_session')).toBeUndefined();
      const [blocked] = await server.db.query<{ last_login_at: Date | null }>(`SELECT last_login_at FROM users WHERE id = $1`, [
        users.blocked,
      ]);
      expect(blocked.last_login_at).toBeNull();
    });

    it('a signed-in user who gets blocked gets no code: the session is no longer valid', async () => {
      const user = await server.app.users.create({ email: 'soon-blocked@example.com', password: PASSWORD }, SYSTEM_ACTOR);
      const agent = new BrowserAgent(server.url);
      const login = await agent.get(url(codeParams(firstPartyWeb, WEB_CB)));
      const ok = await agent.follow(await agent.submit(login, { email: 'soon-blocked@example.com', password: PASSWORD }));
      expect(ok.status).toBe(302);
      expect(responseParams(ok.location!).code).toBeDefined();
      // Blocked behind the session's back (not through the service that also ends sessions).
      await server.db.query(`UPDATE users SET blocked = true WHERE id = $1`, [user.id]);
      const after = await agent.get(url(codeParams(firstPartyWeb, WEB_CB)));
      expect(after.status).toBe(200);
      expect(parseForms(after.text)[0].action).toBe('/authorize/login');
      expectRedirectError(
        await agent.get(url(codeParams(firstPartyWeb, WEB_CB, { prompt: 'none' }))),
        WEB_CB,
        'login_required',
        'The user is not signed in',
      );
      // Deleted: the same.
      await server.db.query(`UPDATE users SET blocked = false WHERE id = $1`, [user.id]);
      expect((await agent.get(url(codeParams(firstPartyWeb, WEB_CB)))).status).toBe(302);
      await server.db.query(`DELETE FROM users WHERE id = $1`, [user.id]);
      expect((await agent.get(url(codeParams(firstPartyWeb, WEB_CB)))).status).toBe(200);
    });

    it(`delays an account at an address after ${ACCOUNT_AT_IP_FAILURE_LIMIT} failures (429 with Retry-After, even with the right password, same answer for unknown emails)`, async () => {
      const agent = new BrowserAgent(server.url);
      const login = await agent.get(url(codeParams(thirdParty, THIRD_CB)));
      for (const email of ['throttled@example.com', 'ghost@example.com']) {
        for (let i = 0; i < ACCOUNT_AT_IP_FAILURE_LIMIT; i++) {
          const res = await agent.submit(login, { email, password: `wrong-${i}-password` });
          expect(res.status).toBe(200);
          expect(textOf(res.text)).toContain(WRONG_CREDENTIALS);
        }
        const delayed = await agent.submit(login, { email: email.toUpperCase(), password: PASSWORD });
        expect(delayed.status).toBe(429);
        expect(delayed.headers.get('retry-after')).toBe('1');
        expect(textOf(delayed.text)).toContain('Too many attempts. Try again in 1 second.');
        expect(textOf(delayed.text)).not.toContain(WRONG_CREDENTIALS);
        // The form again, to try once the delay is over.
        expect(parseForms(delayed.text)[0].action).toBe('/authorize/login');
        expect(agent.cookie('apiauth_session')).toBeUndefined();
      }
      // Another account from the same address still signs in; a success clears its count at the address.
      await server.db.query(
        `INSERT INTO login_failures (key, failures, window_started_at) VALUES ('account-ip:127.0.0.1|ada@example.com', 3, now())`,
      );
      expect((await agent.submit(login, { email: 'ada@example.com', password: PASSWORD })).status).toBe(303);
      expect(await server.db.query(`SELECT 1 FROM login_failures WHERE key = 'account-ip:127.0.0.1|ada@example.com'`)).toEqual([]);
      // The delay ends after its time (this server's clock is the system's: the row's delay is moved into the past).
      await server.db.query(`UPDATE login_failures SET locked_until = now() - interval '1 second'`);
      const unlocked = await agent.submit(login, { email: 'throttled@example.com', password: PASSWORD });
      expect(unlocked.status).toBe(303);
    });

    it(`delays an address after ${IP_FAILURE_LIMIT} failures, whatever the accounts`, async () => {
      const agent = new BrowserAgent(server.url);
      const login = await agent.get(url(codeParams(thirdParty, THIRD_CB)));
      for (let i = 0; i < IP_FAILURE_LIMIT; i++) {
        // A different account each time: only the address counter reaches its limit.
        const res = await agent.submit(login, { email: `spray-${i}@example.com`, password: 'wrong password' });
        expect(res.status).toBe(200);
      }
      const delayed = await agent.submit(login, { email: 'ada@example.com', password: PASSWORD });
      expect(delayed.status).toBe(429);
      expect(delayed.headers.get('retry-after')).toBe('1');
      expect(textOf(delayed.text)).toContain('Too many attempts. Try again in 1 second.');
    });
  });

  describe('forms: CSRF and the sealed transaction', () => {
    it('refuses a CSRF mismatch, a missing cookie, a tampered, swapped or expired transaction', async () => {
      const agent = new BrowserAgent(server.url);
      const login = await agent.get(url(codeParams(thirdParty, THIRD_CB)));
      const form = parseForms(login.text)[0];
      const credentials = { email: 'ada@example.com', password: PASSWORD };
      const FORM_EXPIRED = 'This form has expired or is not valid.';

      expectErrorPage(await agent.submit(login, { ...credentials, csrf: 'x'.repeat(43) }), 400, FORM_EXPIRED);
      // Another browser (no CSRF cookie, or its own) posting this page's form.
      const other = new BrowserAgent(server.url);
      expectErrorPage(await other.request('/authorize/login', { form: { ...form.fields, ...credentials } }), 400, FORM_EXPIRED);
      await other.get(url(codeParams(thirdParty, THIRD_CB)));
      expectErrorPage(await other.request('/authorize/login', { form: { ...form.fields, ...credentials } }), 400, FORM_EXPIRED);
      // Tampered with.
      const tx = form.fields.tx;
      const flipped = `${tx.slice(0, -2)}${tx.endsWith('A') ? 'B' : 'A'}${tx.slice(-1)}`;
      expectErrorPage(await agent.submit(login, { ...credentials, tx: flipped }), 400, FORM_EXPIRED);
      expectErrorPage(await agent.submit(login, { ...credentials, tx: 'garbage' }), 400, FORM_EXPIRED);
      // Sealed for another purpose, or expired.
      const box = new SecretBox(masterKey);
      const params = Object.entries(codeParams(thirdParty, THIRD_CB));
      const csrf = agent.cookie('apiauth_csrf')!.value;
      const asConsent = sealTransaction(box, { kind: 'consent', params, csrf, userId: users.ada });
      expectErrorPage(await agent.submit(login, { ...credentials, tx: asConsent }), 400, FORM_EXPIRED);
      const expired = sealTransaction(box, { kind: 'login', params, csrf }, Date.now() - (TX_LIFETIME_SECONDS + 1) * 1000);
      expectErrorPage(await agent.submit(login, { ...credentials, tx: expired }), 400, FORM_EXPIRED);
      // A valid one, sealed with this key: accepted.
      const fresh = sealTransaction(box, { kind: 'login', params, csrf });
      expect((await agent.submit(login, { ...credentials, tx: fresh })).status).toBe(303);
      // Not a form at all.
      const json = await fetch(`${server.url}/authorize/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(json.status).toBe(400);
      expect(json.headers.get('location')).toBeNull();
    });

    it('a consent form is bound to the user who was shown it and to the browser', async () => {
      const ada = await signedIn('ada');
      const consent = await ada.get(url(codeParams(thirdParty, THIRD_CB, { scope: 'write:x', prompt: 'consent' })));
      expect(consent.status).toBe(200);
      const form = parseForms(consent.text)[0];
      // Bob, signed in in another browser, posting Ada's form (with his own CSRF cookie and token).
      const bob = await signedIn('bob');
      const bobCsrf = bob.cookie('apiauth_csrf')!.value;
      expectErrorPage(
        await bob.request('/authorize/consent', { form: { ...form.fields, csrf: bobCsrf, decision: 'allow' } }),
        400,
        'This form has expired or is not valid.',
      );
      // Ada signed out (session gone): refused.
      const session = ada.cookie('apiauth_session')!;
      ada.jar.get(new URL(server.url).host)!.delete('apiauth_session');
      expectErrorPage(await ada.submit(consent, { decision: 'allow' }), 400, 'Your sign-in has ended.');
      ada.jar.get(new URL(server.url).host)!.set('apiauth_session', session);
      expectErrorPage(await ada.submit(consent, { decision: 'maybe' }), 400, 'This form has expired or is not valid.');
      expect((await ada.submit(consent, { decision: 'allow' })).status).toBe(303);
    });
  });

  describe('a consent form is single-use', () => {
    const codesOf = (userId: string) => server.db.query(`SELECT 1 FROM authorization_codes WHERE user_id = $1`, [userId]);

    it('a replay of an answered form (same body, same cookies) gets an error page and no second code', async () => {
      const user = await server.app.users.create({ email: 'replay@example.com', password: PASSWORD }, SYSTEM_ACTOR);
      const agent = new BrowserAgent(server.url);
      const login = await agent.get(url(codeParams(thirdParty, THIRD_CB, { state: 'replay' })));
      const consent = await agent.follow(await agent.submit(login, { email: 'replay@example.com', password: PASSWORD }));
      expect(consent.status).toBe(200);
      const allowed = await agent.submit(consent, { decision: 'allow' });
      expect(allowed.status).toBe(303);
      expect(responseParams(allowed.location!)).toMatchObject({ code: expect.any(String), state: 'replay' });
      expect(await codesOf(user.id)).toHaveLength(1);

      const replayed = await agent.submit(consent, { decision: 'allow' });
      expectErrorPage(replayed, 400, FORM_ALREADY_USED);
      expect(replayed.text).not.toContain(THIRD_CB);
      // A denial of the same form: refused the same way (the form had its answer).
      expectErrorPage(await agent.submit(consent, { decision: 'deny' }), 400, FORM_ALREADY_USED);
      expect(await codesOf(user.id)).toHaveLength(1);
      // A new consent page is a new form, answered once.
      const fresh = await agent.get(url(codeParams(thirdParty, THIRD_CB, { prompt: 'consent' })));
      expect(fresh.status).toBe(200);
      expect((await agent.submit(fresh, { decision: 'allow' })).status).toBe(303);
      expect(await codesOf(user.id)).toHaveLength(2);
    });

    it('a denied form cannot be answered again either', async () => {
      const user = await server.app.users.create({ email: 'deny-replay@example.com', password: PASSWORD }, SYSTEM_ACTOR);
      const agent = new BrowserAgent(server.url);
      const login = await agent.get(url(codeParams(thirdParty, THIRD_CB)));
      const consent = await agent.follow(await agent.submit(login, { email: 'deny-replay@example.com', password: PASSWORD }));
      expectRedirectError(
        await agent.submit(consent, { decision: 'deny' }),
        THIRD_CB,
        'access_denied',
        'The user denied the request',
        'the-state',
        303,
      );
      expectErrorPage(await agent.submit(consent, { decision: 'allow' }), 400, FORM_ALREADY_USED);
      expect(await codesOf(user.id)).toEqual([]);
      expect(await server.db.query(`SELECT 1 FROM user_grants WHERE user_id = $1`, [user.id])).toEqual([]);
    });

    it('of concurrent submissions of one form, exactly one gets a code', async () => {
      const user = await server.app.users.create({ email: 'double-click@example.com', password: PASSWORD }, SYSTEM_ACTOR);
      const agent = new BrowserAgent(server.url);
      const login = await agent.get(url(codeParams(thirdParty, THIRD_CB)));
      const consent = await agent.follow(await agent.submit(login, { email: 'double-click@example.com', password: PASSWORD }));
      expect(consent.status).toBe(200);
      const answers = await Promise.all(Array.from({ length: 4 }, () => agent.submit(consent, { decision: 'allow' })));
      const granted = answers.filter((a) => a.status === 303);
      expect(granted).toHaveLength(1);
      expect(responseParams(granted[0].location!).code).toEqual(expect.any(String));
      for (const refused of answers.filter((a) => a.status !== 303)) expectErrorPage(refused, 400, FORM_ALREADY_USED);
      expect(await codesOf(user.id)).toHaveLength(1);
    });
  });

  describe('codes at the token endpoint', () => {
    async function code(): Promise<{ code: string; verifier: string }> {
      const agent = await signedIn('ada');
      const { verifier, challenge } = pkce();
      const res = await agent.get(url(codeParams(firstPartyWeb, WEB_CB, { code_challenge: challenge })));
      expect(res.status).toBe(302);
      return { code: responseParams(res.location!).code, verifier };
    }
    const exchange = (c: string, verifier: string | undefined) =>
      server.token(
        { grant_type: 'authorization_code', code: c, redirect_uri: WEB_CB, ...(verifier ? { code_verifier: verifier } : {}) },
        { authorization: basicAuth(firstPartyWeb.clientId, firstPartyWeb.clientSecret!) },
      );

    it('refuses a missing or wrong code_verifier, a reused code, an expired code', async () => {
      const missing = await code();
      expect((await exchange(missing.code, undefined)).body).toMatchObject({ error: 'invalid_grant' });
      const wrong = await code();
      expect((await exchange(wrong.code, pkce().verifier)).body).toMatchObject({ error: 'invalid_grant' });

      const reused = await code();
      expect((await exchange(reused.code, reused.verifier)).status).toBe(200);
      const second = await exchange(reused.code, reused.verifier);
      expect(second.status).toBe(400);
      expect(second.body).toMatchObject({ error: 'invalid_grant' });

      const expired = await code();
      await server.db.query(`UPDATE authorization_codes SET expires_at = now() - interval '1 second' WHERE consumed_at IS NULL`);
      const late = await exchange(expired.code, expired.verifier);
      expect(late.status).toBe(400);
      expect(late.body).toMatchObject({ error: 'invalid_grant' });
    });
  });

  describe('implicit grant (response_type=token)', () => {
    it('refused for a client not allowed it, and for third-party clients', async () => {
      const agent = new BrowserAgent(server.url);
      const res = await agent.get(url(implicitParams(spaNoImplicit)));
      expect(res.status).toBe(302);
      // Errors of a token request go in the fragment.
      expect(res.location!.startsWith(`${SPA_CB}#`)).toBe(true);
      expect(responseParams(res.location!, 'fragment')).toEqual({
        error: 'unauthorized_client',
        error_description: 'This application may not use the implicit grant',
        state: 'imp-state',
        iss: server.config.issuer,
      });
      const third = await agent.get(url(implicitParams(thirdParty, { redirect_uri: THIRD_CB })));
      expect(responseParams(third.location!, 'fragment').error).toBe('unauthorized_client');
    });

    it('requires a nonce, refuses response_mode=query', async () => {
      const agent = new BrowserAgent(server.url);
      const noNonce = await agent.get(url(implicitParams(spa, { nonce: undefined })));
      expect(responseParams(noNonce.location!, 'fragment')).toMatchObject({
        error: 'invalid_request',
        error_description: 'nonce is required with response_type=token',
      });
      const query = await agent.get(url(implicitParams(spa, { response_mode: 'query' })));
      // Never in the query: the error itself goes in the fragment.
      expect(query.location!.startsWith(`${SPA_CB}#`)).toBe(true);
      expect(responseParams(query.location!, 'fragment')).toMatchObject({
        error: 'invalid_request',
        error_description: expect.stringContaining('response_mode=query'),
      });
    });

    it('issues a token in the fragment with tokenLifetimeForWeb; a nonce cannot be used twice', async () => {
      const agent = await signedIn('ada');
      const params = implicitParams(spa);
      const res = await agent.get(url(params));
      expect(res.status).toBe(302);
      expect(res.location!.startsWith(`${SPA_CB}#`)).toBe(true);
      const response = responseParams(res.location!, 'fragment');
      expect(response).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: '900',
        scope: 'read:y',
        state: 'imp-state',
        iss: server.config.issuer,
      });
      const claims = decodeJwt(response.access_token);
      expect(claims).toMatchObject({ sub: users.ada, aud: lifetimeApi.identifier, client_id: spa.clientId, scope: 'read:y' });
      expect(claims.exp! - claims.iat!).toBe(900);
      const [nonce] = await server.db.query<{ expires_at: Date }>(
        `SELECT expires_at FROM used_nonces WHERE client_id = $1 AND nonce = $2`,
        [uuidOf(spa.id), params.nonce],
      );
      expect(nonce.expires_at.getTime()).toBeGreaterThanOrEqual(claims.exp! * 1000);

      const replay = await agent.get(url(params));
      expect(responseParams(replay.location!, 'fragment')).toEqual({
        error: 'invalid_request',
        error_description: 'nonce already used',
        state: 'imp-state',
        iss: server.config.issuer,
      });
      // A new nonce, in form_post mode.
      const posted = await agent.get(url(implicitParams(spa, { response_mode: 'form_post' })));
      expect(posted.status).toBe(200);
      expect(parseForms(posted.text)[0].fields).toMatchObject({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: '900',
      });
    });
  });
});
