import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { FakeClock, startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, ClientFixture, fixtures, userErrors } from '../helpers/fixtures';
import { AgentResponse, BrowserAgent, parseForms, textOf } from '../helpers/browser-agent';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';
import { DEVICE_CODE_LIFETIME_SECONDS } from '../../src/domain/device-authorization/device-authorization.service';
import { WRONG_USER_CODE } from '../../src/oauth/device/verification-endpoint';

const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
const EMAIL = 'tv-owner@example.com';
const PASSWORD = 'correct horse battery staple';
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

/**
 * The device authorization grant (RFC 8628) over HTTP, without a browser: the device authorization
 * endpoint, the verification page's forms (BrowserAgent), and every refusal of polling and of the
 * page. Time moves on the server's clock; each agent has its own forwarded address (TRUST_PROXY=1),
 * so user-code guessing is counted per test.
 */
describe('device authorization grant (RFC 8628)', () => {
  let server: TestServer;
  const clock = new FakeClock();
  const f = fixtures(() => server, 'device');
  let api: ApiFixture;
  let tv: ClientFixture;
  let otherTv: ClientFixture;
  let noDevice: ClientFixture;
  let web: ClientFixture;
  let userId: string;
  let addresses = 0;
  const agent = () => new BrowserAgent(server.url, { 'x-forwarded-for': `198.51.100.${++addresses}` });

  beforeAll(async () => {
    // 200 user codes per window from everywhere (default 1000): the throttle test sends that many.
    server = await startTestServer({ clock, env: { TRUST_PROXY: '1', DEVICE_USER_CODE_ATTEMPTS: '200' } });
    api = await f.createApi({ allowOfflineAccess: true });
    tv = await f.createClient({ appType: 'NATIVE', name: 'Living-room TV', grantTypes: ['DEVICE_CODE', 'REFRESH_TOKEN'] });
    otherTv = await f.createClient({ appType: 'NATIVE', grantTypes: ['DEVICE_CODE'] });
    noDevice = await f.createClient({ appType: 'NATIVE' });
    web = await f.createClient({ appType: 'REGULAR_WEB', grantTypes: ['DEVICE_CODE'] });
    userId = (await server.app.users.create({ email: EMAIL, password: PASSWORD }, SYSTEM_ACTOR)).id;
  });
  afterAll(async () => {
    await server?.close();
  });

  async function authorizeDevice(params: Record<string, string>, headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}/oauth/device/code`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(params).toString(),
    });
    return { status: response.status, headers: response.headers, body: await response.json() };
  }

  /** A device request of `client` (public: client_id in the body) for the API. */
  async function start(
    client = tv,
    scope = 'read:x',
  ): Promise<{ device_code: string; user_code: string; verification_uri_complete: string }> {
    const res = await authorizeDevice({ client_id: client.clientId, scope, audience: api.identifier });
    expect(res.status).toBe(200);
    return res.body;
  }

  const poll = (deviceCode: string, client = tv) =>
    server.token({ grant_type: GRANT_TYPE, device_code: deviceCode, client_id: client.clientId });

  /** Enters the user code on the verification page, signing in when asked; returns the consent page. */
  async function enterCode(browser: BrowserAgent, userCode: string): Promise<AgentResponse> {
    let page = await browser.submit(await browser.get('/device'), { user_code: userCode });
    if (parseForms(page.text)[0]?.action === '/device/login') {
      page = await browser.follow(await browser.submit(page, { email: EMAIL, password: PASSWORD }));
      // Back on the code form, prefilled: the user confirms the code once signed in.
      expect(parseForms(page.text)[0].fields.user_code).toBe(
        userCode
          .toUpperCase()
          .replace(/[\s-]/g, '')
          .replace(/^(.{4})/, '$1-'),
      );
      page = await browser.submit(page);
    }
    expect(page.status).toBe(200);
    expect(parseForms(page.text)[0].action).toBe('/device/consent');
    return page;
  }

  const answer = (browser: BrowserAgent, consent: AgentResponse, decision: 'allow' | 'deny') => browser.submit(consent, { decision });

  it('answers the device authorization request with codes, the verification URIs, 600 s and 5 s, not cached', async () => {
    const res = await authorizeDevice({ client_id: tv.clientId, scope: 'openid read:x', audience: api.identifier });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      device_code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      user_code: expect.stringMatching(USER_CODE),
      verification_uri: `${server.url}/device`,
      verification_uri_complete: `${server.url}/device?user_code=${res.body.user_code}`,
      expires_in: 600,
      interval: 5,
    });
    // Stored as digests only.
    const rows = await server.app.database.dataSource.query(`SELECT device_code_hash, user_code_hash FROM device_authorizations`);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(res.body.device_code);
    expect(stored).not.toContain(res.body.user_code.replace('-', ''));
  });

  it('is listed in both discovery documents, with the grant type', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const metadata = await (await fetch(`${server.url}${path}`)).json();
      expect(metadata.device_authorization_endpoint).toBe(`${server.url}/oauth/device/code`);
      expect(metadata.grant_types_supported).toContain(GRANT_TYPE);
    }
  });

  it('polls pending until the user approves, then issues access, ID and refresh tokens once', async () => {
    const res = await authorizeDevice({ client_id: tv.clientId, scope: 'openid offline_access read:x nope:x', audience: api.identifier });
    const { device_code, user_code, verification_uri_complete } = res.body;
    expect(await poll(device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });

    // verification_uri_complete only prefills the form: nothing is approved without the user.
    const browser = agent();
    const prefilled = await browser.get(verification_uri_complete);
    expect(prefilled.status).toBe(200);
    expect(parseForms(prefilled.text)[0]).toMatchObject({ action: '/device', fields: { user_code } });
    const consent = await enterCode(browser, user_code.toLowerCase().replace('-', ' '));
    expect(textOf(consent.text)).toContain('Living-room TV');
    expect(textOf(consent.text)).toContain('read:x');
    expect(textOf(consent.text)).not.toContain('nope:x');
    clock.advance(5);
    expect(await poll(device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });

    const done = await answer(browser, consent, 'allow');
    expect(done.status).toBe(200);
    expect(textOf(done.text)).toContain('Device connected');
    clock.advance(5);
    const tokens = await poll(device_code);
    expect(tokens.status).toBe(200);
    expect(tokens.headers.get('cache-control')).toBe('no-store');
    expect(tokens.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'openid read:x',
      refresh_token: expect.any(String),
      id_token: expect.any(String),
    });
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(tokens.body.access_token, jwks, {
      issuer: server.url,
      audience: api.identifier,
      currentDate: clock.now(),
    });
    expect(payload).toMatchObject({ sub: userId, client_id: tv.clientId, scope: 'openid read:x' });
    const idToken = decodeJwt(tokens.body.id_token);
    expect(idToken).toMatchObject({ sub: userId, aud: tv.clientId, sid: expect.any(String), auth_time: expect.any(Number) });

    // The refresh token works like the code flow's.
    const refreshed = await server.token({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: tv.clientId });
    expect(refreshed.status).toBe(200);

    // Single use: the device code, and the user code.
    clock.advance(5);
    expect(await poll(device_code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const again = await browser.submit(await browser.get('/device'), { user_code });
    expect(textOf(again.text)).toContain(WRONG_USER_CODE);
  });

  it('answers slow_down to a poll sooner than the interval, which grows by 5 s each time', async () => {
    const { device_code } = await start();
    expect((await poll(device_code)).body.error).toBe('authorization_pending');
    const tooSoon = await poll(device_code);
    expect(tooSoon).toMatchObject({ status: 400, body: { error: 'slow_down' } });
    // The interval is now 10 s: 7 s later is still too soon (and makes it 15 s); 16 s after that is not.
    clock.advance(7);
    expect((await poll(device_code)).body.error).toBe('slow_down');
    clock.advance(16);
    expect((await poll(device_code)).body.error).toBe('authorization_pending');
    clock.advance(15);
    expect((await poll(device_code)).body.error).toBe('authorization_pending');
  });

  it('answers access_denied once the user denies, and keeps answering it', async () => {
    const { device_code, user_code } = await start();
    const browser = agent();
    const done = await answer(browser, await enterCode(browser, user_code), 'deny');
    expect(textOf(done.text)).toContain('Request denied');
    expect(await poll(device_code)).toMatchObject({ status: 400, body: { error: 'access_denied' } });
    clock.advance(5);
    expect((await poll(device_code)).body.error).toBe('access_denied');
  });

  it('answers expired_token after 10 minutes, and the page no longer takes the user code', async () => {
    const { device_code, user_code } = await start();
    clock.advance(DEVICE_CODE_LIFETIME_SECONDS);
    expect(await poll(device_code)).toMatchObject({ status: 400, body: { error: 'expired_token' } });
    const browser = agent();
    const page = await browser.submit(await browser.get('/device'), { user_code });
    expect(textOf(page.text)).toContain(WRONG_USER_CODE);
    // Housekeeping deletes the expired request.
    expect((await server.app.housekeeping.runOnce()).deviceAuthorizations).toBeGreaterThanOrEqual(1);
    expect(await poll(device_code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('takes one answer per user code: a second consent page open on the same code is refused', async () => {
    const { device_code, user_code } = await start();
    const first = agent();
    const second = agent();
    const firstConsent = await enterCode(first, user_code);
    const secondConsent = await enterCode(second, user_code);
    expect(textOf((await answer(second, secondConsent, 'deny')).text)).toContain('Request denied');
    const late = await answer(first, firstConsent, 'allow');
    expect(late.status).toBe(400);
    expect(textOf(late.text)).toContain('expired or has already been used');
    expect((await poll(device_code)).body.error).toBe('access_denied');
  });

  it('refuses another client polling a device code, like an unknown code, without touching it', async () => {
    const { device_code, user_code } = await start();
    expect((await poll(device_code)).body.error).toBe('authorization_pending');
    expect(await poll(device_code, otherTv)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await poll('not-a-device-code')).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // The other client's poll neither slowed the owner down nor consumed anything.
    clock.advance(5);
    expect((await poll(device_code)).body.error).toBe('authorization_pending');
    const browser = agent();
    await answer(browser, await enterCode(browser, user_code), 'allow');
    clock.advance(5);
    expect((await poll(device_code, otherTv)).body.error).toBe('invalid_grant');
    expect((await poll(device_code)).status).toBe(200);
  });

  it('throttles guessed user codes per address, with one answer for every wrong code', async () => {
    const expired = await start();
    clock.advance(DEVICE_CODE_LIFETIME_SECONDS);
    const used = await start();
    {
      const browser = agent();
      await answer(browser, await enterCode(browser, used.user_code), 'deny');
    }
    const { user_code } = await start();
    const guesser = agent();
    // Unknown, mistyped, not from the alphabet, too long, expired, already answered: one answer.
    const wrong = ['BBBB-BBBB', 'bcdf ghjk', 'AAAA-AAAA', 'x'.repeat(40), expired.user_code, used.user_code];
    const alerts = new Set<string>();
    for (let i = 0; i < server.config.deviceUserCodeAttempts.perAddress; i++) {
      const page = await guesser.submit(await guesser.get('/device'), { user_code: wrong[i % wrong.length] });
      expect(page.status).toBe(200);
      alerts.add(/id="user-code-error">([^<]*)</.exec(page.text)![1]);
    }
    expect([...alerts]).toEqual([WRONG_USER_CODE]);
    // The address has used its attempts: even the right code waits.
    const throttled = await guesser.submit(await guesser.get('/device'), { user_code });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(textOf(throttled.text)).toMatch(/Too many attempts/);
    // Another address is not held up.
    const owner = agent();
    await enterCode(owner, user_code);
  });

  it('refuses the code form without its CSRF cookie, and a consent form answered twice', async () => {
    const { user_code } = await start();
    const browser = agent();
    const form = await browser.get('/device');
    const stranger = agent();
    const forged = await stranger.request('/device', { form: { ...parseForms(form.text)[0].fields, user_code } });
    expect(forged.status).toBe(400);
    expect(textOf(forged.text)).toContain('Invalid form');
    const consent = await enterCode(browser, user_code);
    await answer(browser, consent, 'allow');
    const replay = await answer(browser, consent, 'deny');
    expect(replay.status).toBe(400);
    expect(textOf(replay.text)).toContain('already been submitted');
  });

  it('refuses clients not allowed DEVICE_CODE, at the device endpoint and at the token endpoint', async () => {
    const res = await authorizeDevice({ client_id: noDevice.clientId, scope: 'read:x', audience: api.identifier });
    expect(res).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
    const { device_code } = await start();
    expect(await poll(device_code, noDevice)).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
  });

  it('authenticates confidential clients with their method, and refuses unknown clients and wrong secrets', async () => {
    const ok = await authorizeDevice(
      { scope: 'read:x', audience: api.identifier },
      { authorization: basicAuth(web.clientId, web.clientSecret!) },
    );
    expect(ok.status).toBe(200);
    const pending = await server.token(
      { grant_type: GRANT_TYPE, device_code: ok.body.device_code },
      { authorization: basicAuth(web.clientId, web.clientSecret!) },
    );
    expect(pending.body.error).toBe('authorization_pending');
    const wrong = await authorizeDevice({ scope: 'read:x', audience: api.identifier }, { authorization: basicAuth(web.clientId, 'wrong') });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    // A confidential client without its secret is not a public one.
    expect((await authorizeDevice({ client_id: web.clientId, audience: api.identifier })).body.error).toBe('invalid_client');
    expect((await authorizeDevice({ client_id: 'nobody', audience: api.identifier })).body.error).toBe('invalid_client');
  });

  it('validates the API and scopes as /authorize does', async () => {
    const ask = (params: Record<string, string>) => authorizeDevice({ client_id: tv.clientId, ...params });
    expect((await ask({ audience: 'https://nowhere.example/' })).body.error).toBe('invalid_target');
    expect((await ask({ audience: server.config.managementAudience })).body.error).toBe('invalid_target');
    expect((await ask({ audience: api.identifier, resource: 'https://other.example/' })).body.error).toBe('invalid_target');
    expect((await ask({ audience: api.identifier, scope: 'read:x "bad"' })).body.error).toBe('invalid_scope');
    expect((await ask({ scope: 'read:x' })).body.error).toBe('invalid_request');
    // A sign-in only (standard scopes): the userinfo API.
    expect((await ask({ scope: 'openid' })).status).toBe(200);
    // offline_access is dropped when the client may not refresh.
    const res = await authorizeDevice({ client_id: otherTv.clientId, scope: 'offline_access read:x', audience: api.identifier });
    const rows = await server.app.database.dataSource.query(`SELECT scopes FROM device_authorizations WHERE client_id = $1`, [
      (await server.app.registry.client(otherTv.clientId))!.client.id,
    ]);
    expect(res.status).toBe(200);
    expect(rows.map((r: { scopes: string[] }) => r.scopes)).toContainEqual(['read:x']);
  });

  // Last of this server's tests: it spends the budget of the whole code space.
  it('throttles guessed user codes over the whole code space, whatever the addresses', async () => {
    const { user_code } = await start();
    const guesser = agent();
    const form = parseForms((await guesser.get('/device')).text)[0];
    const guess = (ip: string, code: string) =>
      guesser.request('/device', { form: { ...form.fields, user_code: code }, headers: { 'x-forwarded-for': ip } });
    let refusedAt = -1;
    const globalLimit = server.config.deviceUserCodeAttempts.global;
    expect(globalLimit).toBe(200);
    for (let i = 0; i <= globalLimit && refusedAt < 0; i++) {
      // Two guesses per address: far below the per-address limit.
      const address = Math.floor(i / 2);
      const page = await guess(`10.${address >> 8}.${address & 255}.1`, 'BBBB-BBBB');
      if (page.status === 429) refusedAt = i;
      else expect(page.status).toBe(200);
    }
    expect(refusedAt).toBeGreaterThan(globalLimit - 50);
    // Now even the right code, from an address never seen, waits.
    const fresh = await guess('192.0.2.200', user_code);
    expect(fresh.status).toBe(429);
  }, 120_000);

  it('allows DEVICE_CODE to native and regular web clients only, never by default', async () => {
    const create = (input: Record<string, unknown>) =>
      server.gql(
        `mutation($input: ClientCreateInput!) { clientCreate(input: $input) { client { grantTypes } userErrors { field code message } } }`,
        {
          input: { name: 'device rules', ...input },
        },
      );
    for (const appType of ['SPA', 'MACHINE_TO_MACHINE']) {
      const res = await create({ appType, grantTypes: ['DEVICE_CODE'] });
      expect(res.body.data.clientCreate.userErrors).toEqual(userErrors([['input', 'grantTypes', '0'], 'INVALID']));
    }
    const native = await create({ appType: 'NATIVE' });
    expect(native.body.data.clientCreate.client.grantTypes).not.toContain('DEVICE_CODE');
  });
});

describe('device polling and the OAuth failure budget', () => {
  let server: TestServer;
  const clock = new FakeClock();
  const f = fixtures(() => server, 'device-budget');

  beforeAll(async () => {
    server = await startTestServer({ clock, env: { RATE_LIMIT_OAUTH_FAILURES: '3/1h' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('does not count authorization_pending as a failed request; slow_down and invalid_grant count', async () => {
    const api = await f.createApi();
    const tv = await f.createClient({ appType: 'NATIVE', grantTypes: ['DEVICE_CODE'] });
    const started = await fetch(`${server.url}/oauth/device/code`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: tv.clientId, scope: 'read:x', audience: api.identifier }).toString(),
    });
    const { device_code } = await started.json();
    const poll = (deviceCode = device_code) => server.token({ grant_type: GRANT_TYPE, device_code: deviceCode, client_id: tv.clientId });
    for (let i = 0; i < 6; i++) {
      expect((await poll()).body.error).toBe('authorization_pending');
      clock.advance(5);
    }
    expect((await poll()).body.error).toBe('authorization_pending');
    expect((await poll()).body.error).toBe('slow_down');
    expect((await poll('unknown')).body.error).toBe('invalid_grant');
    expect((await poll('unknown')).body.error).toBe('invalid_grant');
    expect(await poll()).toMatchObject({ status: 429, body: { error: 'too_many_requests' } });
  });
});
