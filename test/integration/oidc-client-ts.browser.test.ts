import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import type { UserManager, UserManagerSettings, User } from 'oidc-client-ts';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openLoopbackBrowser } from '../helpers/browser';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, ClientFixture, fixtures } from '../helpers/fixtures';

const ACTOR = { subject: 'test', clientId: null, requestId: null };
const EMAIL = 'grace@spa.example';
const PASSWORD = 'correct horse battery staple';
const NAME = 'Grace Hopper';
const APP_NAME = 'Notes SPA';

/** oidc-client-ts's browser bundle (an IIFE exposing the global `oidc`), served as published. */
const BUNDLE = readFileSync(path.join(path.dirname(require.resolve('oidc-client-ts/package.json')), 'dist/browser/oidc-client-ts.min.js'));

/** What the pages tell the test about a signed-in user (or why the library refused). */
type Summary =
  | { sub: string; email: string; name: string; idToken: string; accessToken: string; refreshToken: string | null; scope: string }
  | { error: string };

/** What the SPA's pages put on `window`: the library's UserManager and the callback's outcome. */
declare global {
  interface Window {
    manager: UserManager;
    outcome: Promise<Summary>;
    summary(user: User | null): Summary;
    failure(error: unknown): Summary;
  }
}

/**
 * The single-page app: a static server whose pages load the library's bundle. `app.js` builds the
 * UserManager from the settings given to `configure` (the client exists only after the origin is known).
 */
async function startSpaServer(host: 'localhost' | '127.0.0.1') {
  let settings: UserManagerSettings | undefined;
  const appJs = () => `
window.manager = new oidc.UserManager(${JSON.stringify(settings)});
window.summary = (user) => user ? {
  sub: user.profile.sub, email: user.profile.email, name: user.profile.name, idToken: user.id_token,
  accessToken: user.access_token, refreshToken: user.refresh_token ?? null, scope: user.scope,
} : { error: 'no user' };
window.failure = (error) => ({ error: String(error) });`;
  const html = (title: string, script = '') =>
    `<!doctype html><title>${title}</title><script src="/oidc-client-ts.min.js"></script><script src="/app.js"></script><script>${script}</script>`;
  const server = http.createServer((request, response) => {
    const send = (type: string, body: string | Buffer) =>
      response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    switch (new URL(request.url ?? '/', 'http://x').pathname) {
      case '/oidc-client-ts.min.js':
        return send('text/javascript', BUNDLE);
      case '/app.js':
        return send('text/javascript', appJs());
      case '/app.html':
        return send('text/html; charset=utf-8', html('app'));
      case '/callback.html':
        return send(
          'text/html; charset=utf-8',
          html('callback', 'window.outcome = manager.signinRedirectCallback().then(summary, failure);'),
        );
      case '/':
        return send('text/html; charset=utf-8', '<!doctype html><title>elsewhere</title>');
      default:
        response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    configure: (value: UserManagerSettings) => (settings = value),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A request a page sent with fetch: where to, from the page of which origin, and its form body. */
interface Sent {
  method: string;
  url: string;
  from: string;
  form: Record<string, string>;
}

/**
 * The "single-page app" done-when of OpenID Connect: oidc-client-ts, unchanged, in Debian's
 * Chromium, on an origin other than the service's. Discovery, the token endpoint, userinfo and the
 * JWKS are read cross-origin by the browser; the refresh token renews silently; a page on an
 * origin no client allows cannot read the token endpoint's answer, but can read discovery.
 */
describe('oidc-client-ts in Chromium: a single-page app signs users in', () => {
  let server: TestServer;
  const f = fixtures(() => server, 'oidc-spa');
  let spa: Awaited<ReturnType<typeof startSpaServer>>;
  let foreign: Awaited<ReturnType<typeof startSpaServer>>;
  let client: ClientFixture;
  let api: ApiFixture;
  let userId: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const blocked: string[] = [];
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  let sent: Sent[] = [];

  beforeAll(async () => {
    spa = await startSpaServer('localhost');
    foreign = await startSpaServer('127.0.0.1');
    server = await startTestServer();
    client = await f.createClient({
      name: APP_NAME,
      appType: 'SPA',
      grantTypes: ['AUTHORIZATION_CODE', 'REFRESH_TOKEN'],
      callbacks: [`${spa.origin}/callback.html`],
      allowedOrigins: [spa.origin],
    });
    api = await f.createApi({
      name: 'Notes API',
      allowSkippingUserConsent: false,
      allowOfflineAccess: true,
      scopes: [{ value: 'read:notes', description: 'Read your notes' }],
    });
    spa.configure({
      authority: server.url,
      client_id: client.clientId,
      redirect_uri: `${spa.origin}/callback.html`,
      scope: 'openid profile email offline_access',
      response_type: 'code',
      loadUserInfo: true,
      // Renewal only when the test asks (signinSilent), so the requests seen are the test's.
      automaticSilentRenew: false,
    });
    userId = (await server.app.users.create({ email: EMAIL, password: PASSWORD, name: NAME }, ACTOR)).id;
    // No request interception: with it, Playwright would answer the CORS preflights (userinfo's) itself.
    ({ browser, context, page } = await openLoopbackBrowser(
      { width: 1024, height: 768 },
      { blocked, cspViolations, pageErrors },
      { block: 'proxy' },
    ));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    // The page's origin when it sends the request (the Origin header is not seen for an answer
    // from the HTTP cache: discovery's is cacheable).
    page.on('request', (request) => {
      if (request.resourceType() !== 'fetch') return;
      sent.push({
        method: request.method(),
        url: request.url(),
        from: new URL(request.frame().url()).origin,
        form: Object.fromEntries(new URLSearchParams(request.postData() ?? '')),
      });
    });
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    await spa?.close();
    await foreign?.close();
  });

  /** The fetches the pages sent since the last call. */
  function takeSent(): Sent[] {
    const taken = sent;
    sent = [];
    return taken;
  }

  /**
   * From the app page, `signinRedirect(args)`; the service's sign-in page (filled in and submitted);
   * then the consent page, which the test checks with `onConsent` before clicking Allow; back at the
   * callback page, the outcome of its `signinRedirectCallback()`.
   */
  async function signIn(args: Parameters<UserManager['signinRedirect']>[0], onConsent: () => Promise<void>): Promise<Summary> {
    await context.clearCookies();
    await page.goto(`${spa.origin}/app.html`);
    // Not awaited in the page: the redirect replaces it.
    await page.evaluate((args) => {
      void window.manager.signinRedirect(args).catch((error) => console.error(`signinRedirect: ${error}`));
    }, args);
    await page.waitForURL((url) => url.origin === server.url);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // A loopback redirect URI never skips consent (any local program could listen there).
    await page.getByRole('heading', { name: `Authorize ${APP_NAME}` }).waitFor();
    await onConsent();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${spa.origin}/callback.html?`));
    return page.evaluate(() => window.outcome);
  }

  const signedIn = (outcome: Summary) => {
    if ('error' in outcome) throw new Error(`oidc-client-ts refused: ${outcome.error} (console: ${consoleErrors.join(' | ')})`);
    return outcome;
  };

  it('code flow with PKCE through the real pages, then a silent renewal with the refresh token', async () => {
    const permissions = page.getByRole('list', { name: 'Requested permissions' }).getByRole('listitem');
    takeSent();
    const user = signedIn(
      await signIn(undefined, async () => {
        expect(await permissions.allTextContents()).toEqual([
          'Sign you in with your accountopenid',
          'Your profile (your name)profile',
          'Your email addressemail',
          'Stay signed in: access your data when you are not using the appoffline_access',
        ]);
      }),
    );
    expect(user).toEqual({
      sub: userId,
      email: EMAIL,
      name: NAME,
      idToken: expect.any(String),
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      scope: 'openid profile email',
    });

    // Every request the library made went from the SPA's origin to the service's: discovery (on
    // both pages), then the code exchange and userinfo on the callback page.
    const flow = takeSent();
    expect(flow.map(({ method, url, from }) => ({ method, url: url.split('?')[0], from }))).toEqual([
      { method: 'GET', url: `${server.url}/.well-known/openid-configuration`, from: spa.origin },
      { method: 'GET', url: `${server.url}/.well-known/openid-configuration`, from: spa.origin },
      { method: 'POST', url: `${server.url}/oauth/token`, from: spa.origin },
      { method: 'GET', url: `${server.url}/userinfo`, from: spa.origin },
    ]);
    expect(flow[2].form).toMatchObject({
      grant_type: 'authorization_code',
      client_id: client.clientId,
      redirect_uri: `${spa.origin}/callback.html`,
      code_verifier: expect.stringMatching(/^[A-Za-z0-9_-]{43,128}$/),
    });
    expect(flow[2].form.client_secret).toBeUndefined();

    // The userinfo request (Authorization header) was preflighted, and the server's answer decided:
    // the same request with a header the server does not allow is refused by the browser.
    const readUserinfo = (headers: Record<string, string>) =>
      page.evaluate(
        async ({ url, headers }) =>
          fetch(url, { headers }).then(
            (response) => response.status,
            (error) => String(error),
          ),
        { url: `${server.url}/userinfo`, headers },
      );
    expect(await readUserinfo({ authorization: `Bearer ${user.accessToken}` })).toBe(200);
    expect(await readUserinfo({ authorization: `Bearer ${user.accessToken}`, 'x-unlisted': '1' })).toBe('TypeError: Failed to fetch');
    takeSent();

    // The library verifies no signature itself: its MetadataService reads the JWKS (cross-origin,
    // application/jwk-set+json), and those keys verify the ID token.
    const keys = await page.evaluate(() => window.manager.metadataService.getSigningKeys());
    expect(takeSent()).toEqual([{ method: 'GET', url: `${server.url}/.well-known/jwks.json`, from: spa.origin, form: {} }]);
    const { payload } = await jwtVerify(user.idToken, createLocalJWKSet({ keys } as JSONWebKeySet), {
      issuer: server.url,
      audience: client.clientId,
    });
    expect(payload).toMatchObject({ sub: userId, azp: client.clientId, email: EMAIL, name: NAME });
    expect(keys!.map((k) => k.kid)).toContain(decodeProtectedHeader(user.idToken).kid);
    // No API named: the access token is for the userinfo endpoint.
    expect(decodeJwt(user.accessToken).aud).toBe(`${server.url}/userinfo`);

    // signinSilent: with a refresh token the library renews at the token endpoint, no iframe.
    const renewed = signedIn(await page.evaluate(() => window.manager.signinSilent().then(window.summary, window.failure)));
    expect(renewed.sub).toBe(userId);
    expect(renewed.accessToken).not.toBe(user.accessToken);
    // SPAs' refresh tokens rotate (no leeway by default: presenting a rotated-out one revokes its family).
    expect(renewed.refreshToken).toEqual(expect.any(String));
    expect(renewed.refreshToken).not.toBe(user.refreshToken);
    const renewal = takeSent();
    expect(renewal.map(({ method, url, from }) => ({ method, url, from }))).toEqual([
      { method: 'POST', url: `${server.url}/oauth/token`, from: spa.origin },
      { method: 'GET', url: `${server.url}/userinfo`, from: spa.origin },
    ]);
    expect(renewal[0].form).toMatchObject({ grant_type: 'refresh_token', client_id: client.clientId, refresh_token: user.refreshToken });
    expect(page.url().startsWith(`${spa.origin}/callback.html`)).toBe(true);

    // A page on an origin no client allows, holding the current refresh token, cannot read the
    // token endpoint's answer (a form POST: a simple request, sent without preflight); it can read discovery.
    await page.goto(`${foreign.origin}/`);
    const stolen = await page.evaluate(
      async ({ url, body }) => {
        try {
          const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
          return { status: response.status, body: await response.text() };
        } catch (error) {
          return { failed: `${(error as Error).name}: ${(error as Error).message}` };
        }
      },
      {
        url: `${server.url}/oauth/token`,
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: client.clientId,
          refresh_token: renewed.refreshToken!,
        }).toString(),
      },
    );
    expect(stolen).toEqual({ failed: 'TypeError: Failed to fetch' });
    const issuer = await page.evaluate(
      async (url) => (await (await fetch(url)).json()).issuer,
      `${server.url}/.well-known/openid-configuration`,
    );
    expect(issuer).toBe(server.url);
    takeSent();

    // The refused request was not served: back on the SPA, the same refresh token still renews.
    await page.goto(`${spa.origin}/app.html`);
    const again = signedIn(await page.evaluate(() => window.manager.signinSilent().then(window.summary, window.failure)));
    expect(again.sub).toBe(userId);
    expect(again.accessToken).not.toBe(renewed.accessToken);
    expect(takeSent().find((s) => s.form.grant_type === 'refresh_token')?.form.refresh_token).toBe(renewed.refreshToken);

    expect(blocked).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('naming an API (extraQueryParams.audience): the consent page lists the standard scopes in plain words', async () => {
    takeSent();
    let consentText = '';
    const user = signedIn(
      await signIn(
        { scope: 'openid profile email offline_access read:notes', extraQueryParams: { audience: api.identifier } },
        async () => {
          consentText = await page.locator('body').innerText();
        },
      ),
    );
    expect(consentText).toContain('wants to access Notes API on your behalf');
    expect(consentText).toContain('Your email address');
    expect(consentText).toContain('Your profile');
    expect(consentText).toContain('Read your notes');

    expect(user).toMatchObject({ sub: userId, email: EMAIL, name: NAME, refreshToken: expect.any(String) });
    expect(user.scope.split(' ').sort()).toEqual(['email', 'openid', 'profile', 'read:notes']);
    // For the API, and for the userinfo endpoint (the library read userinfo with it).
    expect(decodeJwt(user.accessToken).aud).toEqual([api.identifier, `${server.url}/userinfo`]);
    const flow = takeSent();
    expect(flow.filter((s) => s.url === `${server.url}/userinfo`)).toEqual([
      { method: 'GET', url: `${server.url}/userinfo`, from: spa.origin, form: {} },
    ]);
    expect(flow.find((s) => s.form.grant_type === 'authorization_code')?.from).toBe(spa.origin);

    expect(blocked).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
