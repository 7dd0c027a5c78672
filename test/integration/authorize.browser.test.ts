import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { decodeJwt } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openLoopbackBrowser } from '../helpers/browser';
import { startTestServer, TestServer } from '../helpers/test-app';
import { basicAuth, ClientFixture, ApiFixture, fixtures } from '../helpers/fixtures';
import { pkce } from '../helpers/browser-agent';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';

const OUTPUT_DIR = path.resolve(__dirname, '../../test-output');

interface Received {
  method: string;
  query: Record<string, string>;
  body: Record<string, string>;
}

/** The client's redirect URI: a tiny HTTP server on 127.0.0.1 that records what arrives. */
async function startCallbackServer(): Promise<{ url: string; received: Received[]; next(): Promise<Received>; close(): Promise<void> }> {
  const received: Received[] = [];
  const waiting: ((r: Received) => void)[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const entry = {
        method: req.method ?? '',
        query: Object.fromEntries(url.searchParams),
        body: Object.fromEntries(new URLSearchParams(body)),
      };
      received.push(entry);
      waiting.shift()?.(entry);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Callback</title><h1>Signed in</h1>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callback`,
    received,
    next: () => new Promise((resolve) => waiting.push(resolve)),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('/authorize in a browser (Debian chromium, no network beyond loopback)', () => {
  let server: TestServer;
  const f = fixtures(() => server, 'authz-browser');
  let api: ApiFixture;
  let client: ClientFixture;
  let callback: Awaited<ReturnType<typeof startCallbackServer>>;
  let userId: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const blocked: string[] = [];
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    callback = await startCallbackServer();
    api = await f.createApi({
      name: 'Photo Library',
      scopes: [
        { value: 'read:photos', description: 'See your photos and albums' },
        { value: 'write:photos', description: 'Upload and edit your photos' },
      ],
    });
    client = await f.createClient({
      name: 'Print Shop',
      appType: 'REGULAR_WEB',
      isFirstParty: false,
      grantTypes: ['AUTHORIZATION_CODE'],
      callbacks: [callback.url],
    });
    userId = (
      await server.app.users.create({ email: 'ada@example.com', password: 'correct horse battery staple', name: 'Ada' }, SYSTEM_ACTOR)
    ).id;

    ({ browser, context, page } = await openLoopbackBrowser({ width: 1024, height: 768 }, { blocked, cspViolations, pageErrors }));
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await callback?.close();
    await server?.close();
  });

  const authorizeUrl = (challenge: string, extra: Record<string, string> = {}) =>
    `${server.url}/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: callback.url,
      scope: 'read:photos write:photos',
      audience: api.identifier,
      state: 'browser-state',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...extra,
    }).toString()}`;

  it('signs in, shows the consent page, and lands on the callback with a code that exchanges for a token', async () => {
    mkdirSync(OUTPUT_DIR, { recursive: true });
    const { verifier, challenge } = pkce();
    const response = await page.goto(authorizeUrl(challenge));
    expect(response?.status()).toBe(200);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByText('to continue to Print Shop').count()).toBe(1);

    // A wrong password first: the generic message, announced.
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor();
    expect(await page.getByLabel('Email').inputValue()).toBe('ada@example.com');
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'authorize-login.png'), fullPage: true });

    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Authorize Print Shop' }).waitFor();
    expect(await page.getByText('Print Shop wants to access Photo Library on your behalf.').count()).toBe(1);
    const permissions = page.getByRole('list', { name: 'Requested permissions' }).getByRole('listitem');
    expect(await permissions.allTextContents()).toEqual([
      'See your photos and albumsread:photos',
      'Upload and edit your photoswrite:photos',
    ]);
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'authorize-consent.png'), fullPage: true });

    // Allow: POST → 303 to the client's origin (the CSP's form-action admits it).
    const arrived = callback.next();
    await page.getByRole('button', { name: 'Allow' }).click();
    const got = await arrived;
    await page.waitForURL((url) => url.href.startsWith(callback.url));
    expect(got.method).toBe('GET');
    expect(got.query).toEqual({ code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), state: 'browser-state', iss: server.config.issuer });

    const token = await server.token(
      { grant_type: 'authorization_code', code: got.query.code, redirect_uri: callback.url, code_verifier: verifier },
      { authorization: basicAuth(client.clientId, client.clientSecret!) },
    );
    expect(token.status).toBe(200);
    expect(decodeJwt(token.body.access_token)).toMatchObject({ sub: userId, scope: 'read:photos write:photos', aud: api.identifier });

    // The session cookie as the browser keeps it.
    const cookies = await context.cookies(`${server.url}/authorize/login`);
    expect(cookies.find((c) => c.name === 'apiauth_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/' });
    expect(cookies.find((c) => c.name === 'apiauth_csrf')).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/' });

    expect(blocked).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('response_mode=form_post: the page posts the response to the callback by itself', async () => {
    const { challenge } = pkce();
    const arrived = callback.next();
    // Signed in and consented: straight to the auto-submitting form.
    await page.goto(authorizeUrl(challenge, { response_mode: 'form_post', state: 'posted' }));
    const got = await arrived;
    expect(got.method).toBe('POST');
    expect(got.body).toEqual({ code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), state: 'posted', iss: server.config.issuer });
    expect(got.query).toEqual({});
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
