import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openLoopbackBrowser } from '../helpers/browser';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, ClientFixture, fixtures } from '../helpers/fixtures';

/** What a page's fetch could read: the answer, or the browser's refusal to show it. */
type Outcome = { status: number; body: string } | { failed: string };

/** A static page server on 127.0.0.1: each one is an origin of its own (another port). */
async function startPageServer(): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>app</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * Issue 11's done-when, in a real browser: a page on an origin no client allows cannot read the
 * token endpoint's answer; it can read discovery. A page on the client's allowed origin can.
 */
describe('CORS in Chromium', () => {
  let server: TestServer;
  const { createApi, createClient, createGrant } = fixtures(() => server, 'cors-browser');
  let api: ApiFixture;
  let machine: ClientFixture; // client_secret_basic: its requests are preflighted (authorization header)
  let poster: ClientFixture; // client_secret_post: a form POST is a "simple" request, sent without preflight
  let allowedPage: Awaited<ReturnType<typeof startPageServer>>;
  let foreignPage: Awaited<ReturnType<typeof startPageServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const blocked: string[] = [];
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    allowedPage = await startPageServer();
    foreignPage = await startPageServer();
    server = await startTestServer();
    api = await createApi();
    machine = await createClient({ allowedOrigins: [allowedPage.origin] });
    poster = await createClient({ allowedOrigins: [allowedPage.origin], tokenEndpointAuthMethod: 'CLIENT_SECRET_POST' });
    await createGrant(machine, api, ['read:x']);
    await createGrant(poster, api, ['read:x']);
    ({ browser, context, page } = await openLoopbackBrowser(
      { width: 800, height: 600 },
      { blocked, cspViolations, pageErrors },
      // The server answers the preflights itself (the route mode lets Playwright answer them).
      { block: 'proxy' },
    ));
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    await allowedPage?.close();
    await foreignPage?.close();
  });

  /** Runs `fetch` in a page served from `origin`. */
  async function fetchFrom(
    origin: string,
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Outcome> {
    await page.goto(`${origin}/`);
    return page.evaluate(
      async ({ url, init }) => {
        try {
          const response = await fetch(url, init);
          return { status: response.status, body: await response.text() };
        } catch (error) {
          return { failed: String(error) };
        }
      },
      { url, init },
    );
  }

  const basicRequest = () => ({
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', audience: api.identifier }).toString(),
  });
  const simpleRequest = () => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      audience: api.identifier,
      client_id: poster.clientId,
      client_secret: poster.clientSecret!,
    }).toString(),
  });

  it('lets any page read discovery and the JWKS', async () => {
    for (const origin of [allowedPage.origin, foreignPage.origin]) {
      const discovery = await fetchFrom(origin, `${server.url}/.well-known/openid-configuration`);
      expect(discovery).toMatchObject({ status: 200 });
      expect(JSON.parse((discovery as { body: string }).body).issuer).toBe(server.url);
      expect(await fetchFrom(origin, `${server.url}/.well-known/jwks.json`)).toMatchObject({ status: 200 });
    }
  });

  it('lets a page on the client’s allowed origin read the token endpoint’s answer', async () => {
    for (const init of [basicRequest(), simpleRequest()]) {
      const outcome = await fetchFrom(allowedPage.origin, `${server.url}/oauth/token`, init);
      expect(outcome).toMatchObject({ status: 200 });
      expect(JSON.parse((outcome as { body: string }).body).access_token).toEqual(expect.any(String));
    }
  });

  it('keeps the token endpoint’s answer from a page on an origin no client allows, preflighted or not', async () => {
    for (const init of [basicRequest(), simpleRequest()]) {
      const outcome = await fetchFrom(foreignPage.origin, `${server.url}/oauth/token`, init);
      expect(outcome).toEqual({ failed: expect.stringMatching(/Failed to fetch/) });
    }
    expect(blocked).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
