import { decodeJwt } from 'jose';
import { startTestServer, TestServer } from '../helpers/test-app';
import { basicAuth, ClientFixture, ApiFixture, fixtures, uuidOf } from '../helpers/fixtures';
import { AgentResponse, BrowserAgent, parseForms, pkce, responseParams, textOf } from '../helpers/browser-agent';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';
import { pageCsp } from '../../src/oauth/authorize/pages';

/**
 * The authorization code flow driven over HTTP as a browser would: cookies, forms, redirects.
 * Sign-in page → consent page (when the rules ask) → redirect with code, state and iss → token.
 */
describe('GET /authorize: the browser flow', () => {
  let server: TestServer;
  const f = fixtures(() => server, 'authz-flow');
  let api: ApiFixture;
  let thirdParty: ClientFixture;
  let spa: ClientFixture;
  let user: { id: string; email: string };
  const PASSWORD = 'correct horse battery staple';
  const THIRD_CB = 'https://third.example/callback';
  const SPA_CB = 'https://spa.example/cb';
  const LOCAL_CB = 'http://localhost:3000/cb';

  beforeAll(async () => {
    server = await startTestServer();
    api = await f.createApi({
      name: 'Photo "Library" & Co',
      scopes: [
        { value: 'read:photos', description: 'See your photos & <b>albums</b>' },
        { value: 'write:photos', description: 'Upload and edit your photos' },
        { value: 'delete:photos', description: 'Delete your photos' },
      ],
      allowSkippingUserConsent: true,
    });
    thirdParty = await f.createClient({
      name: 'Print "Shop" & Sons',
      appType: 'REGULAR_WEB',
      isFirstParty: false,
      grantTypes: ['AUTHORIZATION_CODE'],
      callbacks: [THIRD_CB],
    });
    spa = await f.createClient({
      name: 'Photos web app',
      appType: 'SPA',
      grantTypes: ['AUTHORIZATION_CODE', 'IMPLICIT'],
      callbacks: [SPA_CB, LOCAL_CB],
    });
    const created = await server.app.users.create({ email: 'Ada@Example.com', password: PASSWORD, name: 'Ada' }, SYSTEM_ACTOR);
    user = { id: created.id, email: created.email };
  });
  afterAll(async () => {
    await server?.close();
  });

  const authorizeUrl = (params: Record<string, string>) => `/authorize?${new URLSearchParams(params).toString()}`;

  function codeRequest(client: ClientFixture, redirectUri: string, extra: Record<string, string> = {}) {
    const { verifier, challenge } = pkce();
    const state = `st-${Math.random().toString(36).slice(2)}`;
    const url = authorizeUrl({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: redirectUri,
      scope: 'read:photos write:photos',
      audience: api.identifier,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...extra,
    });
    return { url, verifier, state };
  }

  function expectPageHeaders(res: AgentResponse) {
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    // The only stylesheet is the page's own, admitted by its nonce; no external asset at all.
    const nonce = /style-src 'nonce-([^']+)'/.exec(csp)![1];
    expect(res.text).toContain(`<style nonce="${nonce}">`);
    expect(res.text).not.toMatch(/<(link|script|img)\b[^>]*(src|href)="(?!data:)/i);
    return csp;
  }

  async function signIn(agent: BrowserAgent, loginPage: AgentResponse, password = PASSWORD): Promise<AgentResponse> {
    expect(loginPage.status).toBe(200);
    expect(parseForms(loginPage.text)[0].action).toBe('/authorize/login');
    const posted = await agent.submit(loginPage, { email: 'ada@example.com', password });
    expect(posted.status).toBe(303);
    return agent.follow(posted);
  }

  async function exchange(client: ClientFixture, code: string, redirectUri: string, verifier: string) {
    const params = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier };
    return client.clientSecret
      ? server.token(params, { authorization: basicAuth(client.clientId, client.clientSecret) })
      : server.token({ ...params, client_id: client.clientId });
  }

  it('third-party client: sign-in page, consent page, code with state and iss, token for the user', async () => {
    const agent = new BrowserAgent(server.url);
    const { url, verifier, state } = codeRequest(thirdParty, THIRD_CB);

    const login = await agent.get(url);
    expect(login.status).toBe(200);
    const csp = expectPageHeaders(login);
    // The sign-in form may post here and end up at the client (redirects after a form submission).
    expect(csp).toContain("form-action 'self' https://third.example");
    const loginText = textOf(login.text);
    expect(loginText).toContain('Sign in');
    expect(loginText).toContain('to continue to Print "Shop" & Sons');
    expect(login.text).toContain('Print &quot;Shop&quot; &amp; Sons');
    expect(login.text).toMatch(/<label for="email">Email<\/label>\s*<input id="email" name="email" type="email"/);
    expect(login.text).toMatch(/<label for="password">Password<\/label>\s*<input id="password" name="password" type="password"/);
    const form = parseForms(login.text)[0];
    expect(Object.keys(form.fields).sort()).toEqual(['csrf', 'email', 'password', 'tx']);
    // The CSRF cookie: HttpOnly, SameSite=Lax, the whole site; not Secure (nor __Host-) on an http issuer.
    const csrfLine = agent.setCookieLines.find((l) => l.startsWith('apiauth_csrf='))!;
    expect(csrfLine).toMatch(/^apiauth_csrf=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(form.fields.csrf).toBe(agent.cookie('apiauth_csrf')!.value);

    const posted = await agent.submit(login, { email: 'ada@example.com', password: PASSWORD });
    expect(posted.status).toBe(303);
    expect(posted.location).toBe(url);
    const sessionLine = agent.setCookieLines.find((l) => l.startsWith('apiauth_session='))!;
    expect(sessionLine).toMatch(/^apiauth_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=2592000$/);
    const [session] = await server.db.query<{ user_id: string; expires_at: Date }>(`SELECT user_id, expires_at FROM user_sessions`);
    expect(session.user_id).toBe(user.id);

    const consent = await agent.follow(posted);
    expect(consent.status).toBe(200);
    expectPageHeaders(consent);
    const consentText = textOf(consent.text);
    expect(consentText).toContain('Authorize Print "Shop" & Sons');
    expect(consentText).toContain('wants to access Photo "Library" & Co on your behalf');
    expect(consentText).toContain('Signed in as Ada@Example.com');
    expect(consentText).toContain('See your photos & <b>albums</b>');
    expect(consentText).toContain('Upload and edit your photos');
    expect(consentText).not.toContain('Delete your photos');
    const consentForm = parseForms(consent.text)[0];
    expect(consentForm.action).toBe('/authorize/consent');
    expect(consentForm.buttons.map((b) => [b.name, b.value, b.text])).toEqual([
      ['decision', 'deny', 'Deny'],
      ['decision', 'allow', 'Allow'],
    ]);

    const allowed = await agent.submit(consent, { decision: 'allow' });
    // 303 after a POST (RFC 9700 §4.12), never 307.
    expect(allowed.status).toBe(303);
    expect(allowed.headers.get('cache-control')).toBe('no-store');
    expect(allowed.location!.startsWith(`${THIRD_CB}?`)).toBe(true);
    const response = responseParams(allowed.location!);
    expect(response).toEqual({ code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), state, iss: server.config.issuer });

    const [grant] = await server.db.query<{ scopes: string[] }>(`SELECT scopes FROM user_grants WHERE user_id = $1`, [user.id]);
    expect(grant.scopes.sort()).toEqual(['read:photos', 'write:photos']);

    const token = await exchange(thirdParty, response.code, THIRD_CB, verifier);
    expect(token.status).toBe(200);
    expect(token.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'read:photos write:photos',
    });
    const claims = decodeJwt(token.body.access_token);
    expect(claims).toMatchObject({
      iss: server.config.issuer,
      sub: user.id,
      aud: api.identifier,
      client_id: thirdParty.clientId,
      scope: 'read:photos write:photos',
    });

    // Signed in and consented: the next authorization goes straight back with a code.
    const again = codeRequest(thirdParty, THIRD_CB);
    const direct = await agent.get(again.url);
    expect(direct.status).toBe(302);
    expect(responseParams(direct.location!)).toEqual({ code: expect.any(String), state: again.state, iss: server.config.issuer });
    expect((await exchange(thirdParty, responseParams(direct.location!).code, THIRD_CB, again.verifier)).status).toBe(200);

    // A scope not consented yet: asked, and only that one.
    const more = codeRequest(thirdParty, THIRD_CB, { scope: 'read:photos delete:photos' });
    const askMore = await agent.get(more.url);
    expect(askMore.status).toBe(200);
    const askText = textOf(askMore.text);
    expect(askText).toContain('Delete your photos');
    expect(askText).not.toContain('See your photos');

    // prompt=consent asks again for everything, even when consented.
    const forced = codeRequest(thirdParty, THIRD_CB, { prompt: 'consent' });
    const forcedPage = await agent.get(forced.url);
    expect(forcedPage.status).toBe(200);
    expect(textOf(forcedPage.text)).toContain('See your photos & <b>albums</b>');
    expect(textOf(forcedPage.text)).toContain('Upload and edit your photos');
    const forcedAllowed = await agent.submit(forcedPage, { decision: 'allow' });
    expect(forcedAllowed.status).toBe(303);
    expect(responseParams(forcedAllowed.location!)).toMatchObject({ code: expect.any(String), state: forced.state });

    // prompt=login shows the sign-in page despite the session; after it, the flow goes on.
    const relogin = codeRequest(thirdParty, THIRD_CB, { prompt: 'login' });
    const reloginPage = await agent.get(relogin.url);
    expect(reloginPage.status).toBe(200);
    expect(parseForms(reloginPage.text)[0].action).toBe('/authorize/login');
    const oldSession = agent.cookie('apiauth_session')!.value;
    const afterLogin = await agent.submit(reloginPage, { email: 'ada@example.com', password: PASSWORD });
    expect(afterLogin.status).toBe(303);
    // prompt=login is done: not asked again on the way back.
    expect(new URL(afterLogin.location!, server.url).searchParams.get('prompt')).toBeNull();
    // A new session id at each sign-in; the old one ends.
    expect(agent.cookie('apiauth_session')!.value).not.toBe(oldSession);
    const back = await agent.follow(afterLogin);
    expect(back.status).toBe(302);
    expect(responseParams(back.location!)).toMatchObject({ code: expect.any(String), state: relogin.state });
    const sessions = await server.db.query(`SELECT 1 FROM user_sessions WHERE user_id = $1`, [user.id]);
    expect(sessions).toHaveLength(1);
  });

  it('first-party client on an API that allows skipping consent: no consent page', async () => {
    const agent = new BrowserAgent(server.url);
    const { url, verifier, state } = codeRequest(spa, SPA_CB);
    const afterLogin = await signIn(agent, await agent.get(url));
    expect(afterLogin.status).toBe(302);
    expect(afterLogin.location!.startsWith(`${SPA_CB}?`)).toBe(true);
    const response = responseParams(afterLogin.location!);
    expect(response).toEqual({ code: expect.any(String), state, iss: server.config.issuer });
    // No consent was asked, so none is recorded.
    expect(await server.db.query(`SELECT 1 FROM user_grants WHERE client_id = $1`, [uuidOf(spa.id)])).toEqual([]);
    // A public client: no secret, PKCE.
    const token = await exchange(spa, response.code, SPA_CB, verifier);
    expect(token.status).toBe(200);
    expect(decodeJwt(token.body.access_token)).toMatchObject({ sub: user.id, client_id: spa.clientId, scope: 'read:photos write:photos' });
  });

  it('first-party client with a localhost callback: consent is asked (skipping never applies to loopback)', async () => {
    const agent = new BrowserAgent(server.url);
    const { url, verifier, state } = codeRequest(spa, LOCAL_CB);
    const consent = await signIn(agent, await agent.get(url));
    expect(consent.status).toBe(200);
    expect(textOf(consent.text)).toContain('Authorize Photos web app');
    expect(textOf(consent.text)).toContain('See your photos & <b>albums</b>');
    expect(consent.headers.get('content-security-policy')).toContain("form-action 'self' http://localhost:3000");
    const allowed = await agent.submit(consent, { decision: 'allow' });
    expect(allowed.status).toBe(303);
    expect(allowed.location!.startsWith(`${LOCAL_CB}?`)).toBe(true);
    const response = responseParams(allowed.location!);
    expect(response.state).toBe(state);
    expect((await exchange(spa, response.code, LOCAL_CB, verifier)).status).toBe(200);
    // Like a third-party client: the consent is recorded, and scopes consented are not asked again.
    const again = codeRequest(spa, LOCAL_CB);
    const direct = await agent.get(again.url);
    expect(direct.status).toBe(302);
    expect(responseParams(direct.location!).state).toBe(again.state);
    // …but a new scope is.
    expect((await agent.get(codeRequest(spa, LOCAL_CB, { scope: 'delete:photos' }).url)).status).toBe(200);
  });

  it('first-party client on an API that does not allow skipping: consent asked once', async () => {
    const strict = await f.createApi({
      scopes: [{ value: 'read:mail', description: 'Read your mail' }],
      allowSkippingUserConsent: false,
    });
    const agent = new BrowserAgent(server.url);
    const request = (state: string) =>
      authorizeUrl({
        response_type: 'code',
        client_id: spa.clientId,
        redirect_uri: SPA_CB,
        scope: 'read:mail',
        resource: strict.identifier,
        state,
        code_challenge: pkce().challenge,
        code_challenge_method: 'S256',
      });
    const consent = await signIn(agent, await agent.get(request('one')));
    expect(consent.status).toBe(200);
    expect(textOf(consent.text)).toContain('Read your mail');
    expect((await agent.submit(consent, { decision: 'allow' })).status).toBe(303);
    const second = await agent.get(request('two'));
    expect(second.status).toBe(302);
    expect(responseParams(second.location!).state).toBe('two');
  });

  it('response_mode=fragment puts the response in the fragment', async () => {
    const agent = new BrowserAgent(server.url);
    const { url, verifier, state } = codeRequest(spa, SPA_CB, { response_mode: 'fragment' });
    const res = await signIn(agent, await agent.get(url));
    expect(res.status).toBe(302);
    expect(res.location!.startsWith(`${SPA_CB}#`)).toBe(true);
    const response = responseParams(res.location!, 'fragment');
    expect(response).toEqual({ code: expect.any(String), state, iss: server.config.issuer });
    expect((await exchange(spa, response.code, SPA_CB, verifier)).status).toBe(200);
  });

  it('response_mode=form_post answers with a page that posts the response to the redirect URI', async () => {
    const agent = new BrowserAgent(server.url);
    const { url, verifier, state } = codeRequest(spa, SPA_CB, { response_mode: 'form_post' });
    const res = await signIn(agent, await agent.get(url));
    expect(res.status).toBe(200);
    const csp = expectPageHeaders(res);
    const scriptNonce = /script-src 'nonce-([^']+)'/.exec(csp)![1];
    const styleNonce = /style-src 'nonce-([^']+)'/.exec(csp)![1];
    // The form may post to the client's origin only; the one script is the page's own.
    expect(csp).toBe(pageCsp({ styleNonce, scriptNonce, formAction: ['https://spa.example'] }));
    expect(res.text).toContain(`<script nonce="${scriptNonce}">document.getElementById("response").submit();</script>`);
    const [form] = parseForms(res.text);
    expect(form.action).toBe(SPA_CB);
    expect(form.method).toBe('post');
    expect(form.fields).toEqual({ code: expect.any(String), state, iss: server.config.issuer });
    expect((await exchange(spa, form.fields.code, SPA_CB, verifier)).status).toBe(200);
  });

  it('a native app’s loopback IP callback matches with any port (RFC 8252 §7.3); the exchange compares exactly', async () => {
    const native = await f.createClient({
      name: 'Desktop app',
      appType: 'NATIVE',
      grantTypes: ['AUTHORIZATION_CODE'],
      callbacks: ['http://127.0.0.1/callback', 'http://[::1]/callback'],
    });
    const agent = new BrowserAgent(server.url);
    const requested = 'http://127.0.0.1:53117/callback';
    const { url, verifier, state } = codeRequest(native, requested);
    // A loopback redirect: consent is asked (never skipped), and the form may post to that port.
    const consent = await signIn(agent, await agent.get(url));
    expect(consent.status).toBe(200);
    expect(consent.headers.get('content-security-policy')).toContain("form-action 'self' http://127.0.0.1:53117");
    const allowed = await agent.submit(consent, { decision: 'allow' });
    expect(allowed.status).toBe(303);
    expect(allowed.location!.startsWith(`${requested}?`)).toBe(true);
    const { code } = responseParams(allowed.location!);
    expect(responseParams(allowed.location!)).toEqual({ code: expect.any(String), state, iss: server.config.issuer });
    // The token request names the URI of the authorization request, port included: the registered one is not it.
    const withRegistered = await exchange(native, code, 'http://127.0.0.1/callback', verifier);
    expect(withRegistered.status).toBe(400);
    expect(withRegistered.body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/redirect_uri/) });
    const again = codeRequest(native, 'http://[::1]:61000/callback');
    const direct = await agent.get(again.url);
    expect(direct.status).toBe(302);
    expect(direct.location!.startsWith('http://[::1]:61000/callback?')).toBe(true);
    const token = await exchange(native, responseParams(direct.location!).code, 'http://[::1]:61000/callback', again.verifier);
    expect(token.status).toBe(200);

    // Another path, another loopback address, https, or localhost (matched exactly): an error page, never a redirect.
    const localhostNative = await f.createClient({
      appType: 'NATIVE',
      grantTypes: ['AUTHORIZATION_CODE'],
      callbacks: ['http://localhost/callback'],
    });
    for (const [client, wrong] of [
      [native, 'http://127.0.0.1:53117/other'],
      [native, 'http://127.0.0.2:53117/callback'],
      [native, 'https://127.0.0.1:53117/callback'],
      [localhostNative, 'http://localhost:53117/callback'],
    ] as const) {
      const page = await agent.get(codeRequest(client, wrong).url);
      expect({ wrong, status: page.status, location: page.location }).toEqual({ wrong, status: 400, location: null });
      expect(textOf(page.text)).toContain('The redirect_uri is not one of the application’s registered callback URLs.');
    }
  });

  it('any other client’s loopback callback matches exactly, port included', async () => {
    const web = await f.createClient({
      appType: 'REGULAR_WEB',
      grantTypes: ['AUTHORIZATION_CODE'],
      callbacks: ['http://127.0.0.1:4321/cb'],
    });
    const agent = new BrowserAgent(server.url);
    for (const [client, wrong] of [
      [web, 'http://127.0.0.1:4322/cb'],
      [web, 'http://127.0.0.1/cb'],
      [spa, 'http://localhost:3001/cb'],
    ] as const) {
      const page = await agent.get(codeRequest(client, wrong).url);
      expect({ wrong, status: page.status, location: page.location }).toEqual({ wrong, status: 400, location: null });
    }
    expect((await agent.get(codeRequest(web, 'http://127.0.0.1:4321/cb').url)).status).toBe(200);
  });

  it('omitting redirect_uri uses the single registered callback', async () => {
    const agent = new BrowserAgent(server.url);
    const { url, verifier } = codeRequest(thirdParty, THIRD_CB);
    const withoutRedirect = url.replace(/&redirect_uri=[^&]+/, '');
    expect(withoutRedirect).not.toContain('redirect_uri');
    const consentOrCode = await signIn(agent, await agent.get(withoutRedirect));
    // Ada has consented to this client already (first test): straight back.
    expect(consentOrCode.status).toBe(302);
    expect(consentOrCode.location!.startsWith(`${THIRD_CB}?`)).toBe(true);
    // The token request names the redirect URI the code was sent to.
    expect((await exchange(thirdParty, responseParams(consentOrCode.location!).code, THIRD_CB, verifier)).status).toBe(200);
  });
});

describe('GET /authorize with an https issuer', () => {
  let server: TestServer;
  const f = fixtures(() => server, 'authz-https');
  beforeAll(async () => {
    server = await startTestServer({ env: { ISSUER: 'https://auth.example' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('sets Secure __Host- cookies (Path=/, no Domain), reads only those, and answers with iss = the issuer', async () => {
    const api = await f.createApi();
    const client = await f.createClient({ appType: 'REGULAR_WEB', callbacks: ['https://app.example/cb'] });
    await server.app.users.create({ email: 'sec@example.com', password: 'a long enough password' }, SYSTEM_ACTOR);
    const agent = new BrowserAgent(server.url);
    const { verifier, challenge } = pkce();
    const request = `/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      audience: api.identifier,
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })}`;
    const login = await agent.get(request);
    expect(login.status).toBe(200);
    // __Host- (RFC 6265bis §4.1.3.2): Secure, Path=/ and no Domain, so no sibling host or http page can set it.
    expect(agent.setCookieLines).toEqual([
      expect.stringMatching(/^__Host-apiauth_csrf=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Secure$/),
    ]);
    expect(parseForms(login.text)[0].fields.csrf).toBe(agent.cookie('__Host-apiauth_csrf')!.value);
    const posted = await agent.submit(login, { email: 'sec@example.com', password: 'a long enough password' });
    expect(posted.status).toBe(303);
    expect(agent.setCookieLines.at(-1)).toMatch(
      /^__Host-apiauth_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=2592000; Secure$/,
    );
    expect(agent.setCookieLines.filter((l) => !l.startsWith('__Host-') || /;\s*domain=/i.test(l))).toEqual([]);
    const done = await agent.follow(posted);
    expect(done.status).toBe(302);
    const response = responseParams(done.location!);
    expect(response).toEqual({ code: expect.any(String), state: 's', iss: 'https://auth.example' });
    const token = await server.token(
      { grant_type: 'authorization_code', code: response.code, redirect_uri: 'https://app.example/cb', code_verifier: verifier },
      { authorization: basicAuth(client.clientId, client.clientSecret!) },
    );
    expect(token.status).toBe(200);

    // The session is read under its __Host- name only: the same value under the plain name is no session.
    const host = new URL(server.url).host;
    const session = agent.cookie('__Host-apiauth_session')!;
    const plain = new BrowserAgent(server.url);
    plain.jar.set(host, new Map([['apiauth_session', session]]));
    const notSignedIn = await plain.get(request);
    expect(notSignedIn.status).toBe(200);
    expect(parseForms(notSignedIn.text)[0].action).toBe('/authorize/login');
    expect((await agent.get(request)).status).toBe(302);

    // Logout clears the cookie under the same name, and ends the session.
    const loggedOut = await agent.get('/oidc/logout');
    expect(loggedOut.status).toBe(200);
    expect(agent.setCookieLines.at(-1)).toBe('__Host-apiauth_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure');
    expect(agent.cookie('__Host-apiauth_session')).toBeUndefined();
    const again = new BrowserAgent(server.url);
    again.jar.set(host, new Map([['__Host-apiauth_session', session]]));
    const ended = await again.get(request);
    expect(ended.status).toBe(200);
    expect(parseForms(ended.text)[0].action).toBe('/authorize/login');
  });
});
