import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openLoopbackBrowser } from '../helpers/browser';
import { BOOTSTRAP, startTestServer, TestServer } from '../helpers/test-app';
import { ConfigError, loadConfig } from '../../src/config';
import { acceptsGzip, EXPLORER_BUNDLE_DIRS, explorerCsp, prefersHtml, registerExplorer } from '../../src/http/explorer';

// A browser navigation's Accept header (Chromium's).
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const OUTPUT_DIR = path.resolve(__dirname, '../../test-output');

if (!EXPLORER_BUNDLE_DIRS.some((dir) => existsSync(path.join(dir, 'explorer.js')))) {
  throw new Error('The explorer bundle is missing: run `npm run build` first (npm test does it in pretest).');
}

async function getPage(server: TestServer, pathname: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${pathname}`, { headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const configOf = (html: string) => /<script type="application\/json" id="explorer-config">([^<]*)<\/script>/.exec(html)![1];

/** The same-origin asset URLs of the page (stylesheet and script). */
function assetUrls(html: string): string[] {
  return [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]).filter((u) => u !== 'data:,');
}

describe('GraphQL explorer', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('over HTTP', () => {
    it('serves the page at GET /graphql to a browser, with a strict CSP and only same-origin assets', async () => {
      const res = await getPage(server, '/graphql', { accept: BROWSER_ACCEPT });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const configJson = configOf(res.text);
      const { styleNonce } = JSON.parse(configJson);
      expect(styleNonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toBe(explorerCsp(styleNonce));
      expect(csp.split('; ')).toEqual(
        expect.arrayContaining([
          "default-src 'self'",
          "script-src 'self'",
          `style-src 'self' 'nonce-${styleNonce}'`,
          "connect-src 'self'",
          "img-src 'self' data:",
          "frame-ancestors 'none'",
        ]),
      );
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('vary')).toContain('Accept');
      expect(res.headers.get('www-authenticate')).toBeNull();

      // No URL to another host (the config's audience is data, not a resource), no inline script:
      // scripts are external files or JSON data.
      expect(res.text.replace(configJson, '')).not.toMatch(/(https?:)?\/\/[a-z0-9]/i);
      for (const m of res.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
        if (m[2].trim() !== '') expect(m[1]).toContain('type="application/json"');
        else expect(m[1]).toMatch(/src="explorer\/assets\/explorer\.[0-9a-f]{16}\.js"/);
      }
      const urls = assetUrls(res.text);
      expect(urls).toEqual([
        expect.stringMatching(/^explorer\/assets\/explorer\.[0-9a-f]{16}\.css$/),
        expect.stringMatching(/^explorer\/assets\/explorer\.[0-9a-f]{16}\.js$/),
      ]);
      expect(JSON.parse(configJson)).toEqual({
        graphqlPath: 'graphql',
        tokenPath: 'oauth/token',
        schemaPath: 'graphql/schema.graphql',
        audience: server.config.managementAudience,
        styleNonce,
      });
    });

    it('serves the same page at GET /explorer, whatever the Accept header', async () => {
      const fromGraphql = await getPage(server, '/graphql', { accept: BROWSER_ACCEPT });
      const res = await getPage(server, '/explorer', { accept: '*/*' });
      expect(res.status).toBe(200);
      const { styleNonce } = JSON.parse(configOf(res.text));
      expect(res.headers.get('content-security-policy')).toBe(explorerCsp(styleNonce));
      // A fresh nonce for every response; otherwise the same page.
      const other = JSON.parse(configOf(fromGraphql.text)).styleNonce;
      expect(styleNonce).not.toBe(other);
      expect(res.text.replace(styleNonce, 'N')).toBe(fromGraphql.text.replace(other, 'N'));
    });

    it('leaves every GraphQL request to the token check and Apollo', async () => {
      // JSON (or no preference): the API, which needs a token.
      for (const accept of ['application/json', '*/*', 'application/json, text/html;q=0.5']) {
        const res = await getPage(server, '/graphql', { accept });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
        expect(JSON.parse(res.text).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      }
      // A query in the URL is an API request even from a browser.
      const withQuery = await getPage(server, `/graphql?query=${encodeURIComponent('{ resourceServers(first: 1) { totalCount } }')}`, {
        accept: BROWSER_ACCEPT,
      });
      expect(withQuery.status).toBe(401);
      // POST is never the page.
      const post = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { accept: BROWSER_ACCEPT, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ resourceServers(first: 1) { totalCount } }' }),
      });
      expect(post.status).toBe(401);
      // A token still works on GET with a query.
      const token = await server.managementToken();
      const ok = await getPage(server, `/graphql?query=${encodeURIComponent('{ resourceServers(first: 1) { totalCount } }')}`, {
        accept: 'application/json',
        authorization: `Bearer ${token}`,
        'apollo-require-preflight': 'true',
      });
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.text).data.resourceServers.totalCount).toBeGreaterThanOrEqual(1);
    });

    it('serves the assets with their content types, long cache lifetimes, ETags and gzip', async () => {
      const page = await getPage(server, '/explorer');
      const [cssUrl, jsUrl] = assetUrls(page.text);
      for (const [url, type] of [
        [jsUrl, 'text/javascript; charset=utf-8'],
        [cssUrl, 'text/css; charset=utf-8'],
      ]) {
        // fetch asks for gzip and decodes it.
        const res = await fetch(`${server.url}/${url}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe(type);
        expect(res.headers.get('content-encoding')).toBe('gzip');
        expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        const etag = res.headers.get('etag')!;
        expect(etag).toMatch(/^"[0-9a-f]{16}-gzip"$/);
        expect(url).toContain(etag.slice(1, 17));
        expect((await res.text()).length).toBeGreaterThan(10_000);

        const identity = await fetch(`${server.url}/${url}`, { headers: { 'accept-encoding': 'identity' } });
        expect(identity.headers.get('content-encoding')).toBeNull();
        expect(identity.headers.get('etag')).toBe(etag.replace('-gzip', ''));
        await identity.arrayBuffer();

        const again = await fetch(`${server.url}/${url}`, { headers: { 'if-none-match': etag } });
        expect(again.status).toBe(304);
      }
      expect((await getPage(server, '/explorer/assets/explorer.0000000000000000.js')).status).toBe(404);
      expect((await getPage(server, '/explorer/assets/..%2F..%2Fpackage.json')).status).toBe(404);
    });
  });

  describe('EXPLORER=false', () => {
    let off: TestServer;
    beforeAll(async () => {
      off = await startTestServer({ env: { EXPLORER: 'false' } });
    });
    afterAll(async () => {
      await off?.close();
    });

    it('has no /explorer, and a browser at /graphql meets the API (401 without a token)', async () => {
      expect(off.config.explorer).toBe(false);
      expect((await getPage(off, '/explorer', { accept: BROWSER_ACCEPT })).status).toBe(404);
      const page = await getPage(server, '/explorer');
      expect((await getPage(off, `/${assetUrls(page.text)[1]}`)).status).toBe(404);
      const res = await getPage(off, '/graphql', { accept: BROWSER_ACCEPT });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(res.headers.get('content-security-policy')).toBeNull();
    });
  });

  describe('without a bundle (tsc run alone)', () => {
    it('answers 503 saying to run npm run build, and serves the bundle once it is built', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'explorer-missing-'));
      const app = Fastify();
      try {
        const explorer = registerExplorer(app, { audience: 'https://mgmt.example/', bundleDirs: [dir] });
        const base = await app.listen({ port: 0, host: '127.0.0.1' });
        const res = await fetch(`${base}/explorer`);
        expect(res.status).toBe(503);
        expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(await res.text()).toContain('npm run build');

        // Built later (npm run build while the server runs): served without a restart.
        const built = EXPLORER_BUNDLE_DIRS.find((d) => existsSync(path.join(d, 'explorer.js')))!;
        for (const file of ['explorer.js', 'explorer.css']) copyFileSync(path.join(built, file), path.join(dir, file));
        const now = await fetch(`${base}/explorer`);
        expect(now.status).toBe(200);
        const [cssUrl, jsUrl] = assetUrls(await now.text());
        const js = await fetch(`${base}/${jsUrl}`);
        expect(js.status).toBe(200);
        // No .gz beside this copy: served uncompressed.
        expect(js.headers.get('content-encoding')).toBeNull();
        expect((await js.arrayBuffer()).byteLength).toBe(statSync(path.join(dir, 'explorer.js')).size);
        expect((await fetch(`${base}/${cssUrl}`)).status).toBe(200);
        expect(typeof explorer.wantsPage).toBe('function');
      } finally {
        await app.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('is on unless EXPLORER=false', () => {
    expect(loadConfig({}).explorer).toBe(true);
    expect(loadConfig({ EXPLORER: 'true' }).explorer).toBe(true);
    expect(loadConfig({ EXPLORER: 'FALSE' }).explorer).toBe(false);
    expect(() => loadConfig({ EXPLORER: 'off' })).toThrow(ConfigError);
    expect(() => loadConfig({ EXPLORER: 'off' })).toThrow('EXPLORER must be true or false (got "off")');
  });

  it('negotiates from the Accept and Accept-Encoding headers', () => {
    expect(prefersHtml(BROWSER_ACCEPT)).toBe(true);
    expect(prefersHtml('text/html')).toBe(true);
    expect(prefersHtml(undefined)).toBe(false);
    expect(prefersHtml('*/*')).toBe(false);
    expect(prefersHtml('application/json')).toBe(false);
    expect(prefersHtml('application/graphql-response+json, application/json;q=0.9')).toBe(false);
    expect(prefersHtml('application/json, text/html;q=0.9')).toBe(false);
    expect(prefersHtml('text/html;q=0')).toBe(false);

    expect(acceptsGzip('gzip, deflate, br, zstd')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip(undefined)).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip('gzip;q=0, br')).toBe(false);
    expect(acceptsGzip('*;q=0.5, gzip;q=0')).toBe(false);
  });

  /** Types `query` into GraphiQL's editor and runs it (Ctrl-Enter). */
  async function typeAndRun(page: Page, query: string) {
    await page.locator('.graphiql-query-editor .CodeMirror').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(query);
    expect(await page.evaluate(() => (document.querySelector('.graphiql-query-editor .CodeMirror') as any).CodeMirror.getValue())).toBe(
      query,
    );
    // GraphiQL parses the edited query (operation name) after a 100 ms debounce: a person never
    // beats it, a script does. Wait until it has seen the anonymous query.
    await page.waitForFunction(() => {
      const editor = (document.querySelector('.graphiql-query-editor .CodeMirror') as any).CodeMirror;
      return editor.operations?.length === 1 && !editor.operations[0].name && !editor.operationName;
    });
    await page.keyboard.press('Control+Enter');
  }

  /** The documentation explorer shows the Query type and its fields. */
  async function expectDocsShowQuery(page: Page) {
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByText('Query', { exact: true }).first().click();
    await docs.locator('.graphiql-doc-explorer-title', { hasText: 'Query' }).waitFor();
    await docs.getByText('resourceServers', { exact: true }).first().waitFor();
  }

  /** The GraphQL operations the page sent to /graphql (POST bodies), to tell whether it introspected. */
  function recordOperations(page: Page): string[] {
    const sent: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/graphql' && request.method() === 'POST') sent.push(request.postData() ?? '');
    });
    return sent;
  }

  describe('in a browser (Debian chromium, no network beyond loopback)', () => {
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    const blocked: string[] = [];
    const cspViolations: string[] = [];
    const pageErrors: string[] = [];

    beforeAll(async () => {
      ({ browser, context, page } = await openLoopbackBrowser({ width: 1440, height: 900 }, { blocked, cspViolations, pageErrors }));
    });
    afterAll(async () => {
      await context?.close();
      await browser?.close();
    });

    it('gets a token with the helper, runs a query, shows the result and the docs', async () => {
      const operations = recordOperations(page);
      const schemaResponse = page.waitForResponse((r) => new URL(r.url()).pathname === '/graphql/schema.graphql');
      const response = await page.goto(`${server.url}/graphql`);
      expect(response?.status()).toBe(200);
      await page.locator('.graphiql-container').waitFor();
      // The schema is loaded from the server's SDL, without a token while introspection is on.
      expect((await schemaResponse).status()).toBe(200);
      await page.locator('.graphiql-query-editor .CodeMirror').waitFor();

      // A wrong secret: the OAuth error is shown, no token is set.
      await page.getByLabel('Client ID').fill(BOOTSTRAP.clientId);
      await page.getByLabel('Client secret').fill('not-the-secret');
      await page.getByRole('button', { name: 'Get token' }).click();
      await page.getByRole('status').filter({ hasText: 'Token request failed' }).waitFor();
      expect(await page.getByRole('status').textContent()).toMatch(/^Token request failed: .+/);

      // The right one: the token goes into the Headers editor.
      await page.getByLabel('Client secret').fill(BOOTSTRAP.clientSecret);
      await page.getByRole('button', { name: 'Get token' }).click();
      await page.getByRole('status').filter({ hasText: 'Token set in Headers' }).waitFor();
      expect(await page.getByLabel('Client secret').inputValue()).toBe('');
      // The expiry as a date and a time, and how far off (the Management API's tokens live 86400 s).
      const expiresAt = new Date(Date.now() + 86_400_000);
      const shownDate = await page.evaluate(
        (ms) => new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }).format(new Date(ms)),
        expiresAt.getTime(),
      );
      expect(await page.getByRole('status').textContent()).toMatch(
        new RegExp(`^Token set in Headers, valid until ${shownDate.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.+ \\(in 24 hours\\)\\.$`),
      );
      const headersText = await page.evaluate(
        () =>
          (
            document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror') as any
          ).CodeMirror.getValue() as string,
      );
      expect(JSON.parse(headersText)).toEqual({ Authorization: expect.stringMatching(/^Bearer eyJ[\w-]+\.[\w-]+\.[\w-]+$/) });

      // Type a query and run it.
      await typeAndRun(page, '{ resourceServers(first: 5) { nodes { identifier } } }');

      const audience = server.config.managementAudience;
      await page.waitForFunction((expected) => document.querySelector('.graphiql-response')?.textContent?.includes(expected), audience);
      const shown = await page.evaluate(
        () => (document.querySelector('.graphiql-response .CodeMirror') as any).CodeMirror.getValue() as string,
      );
      expect(JSON.parse(shown)).toEqual({ data: { resourceServers: { nodes: expect.arrayContaining([{ identifier: audience }]) } } });

      await expectDocsShowQuery(page);
      // The page never introspected: the one operation it sent is the query above.
      expect(operations.map((body) => JSON.parse(body).query)).toEqual(['{ resourceServers(first: 5) { nodes { identifier } } }']);

      // GraphiQL's settings dialog (it adds a <style> element, admitted by the CSP nonce) offers no
      // "persist headers" switch: headers are never stored.
      await page.getByRole('button', { name: 'Open settings dialog' }).click();
      await page.getByRole('dialog').getByText('Theme').waitFor();
      expect(await page.getByRole('dialog').textContent()).not.toContain('Persist headers');
      await page.keyboard.press('Escape');
      await page.getByRole('dialog').waitFor({ state: 'detached' });

      mkdirSync(OUTPUT_DIR, { recursive: true });
      await page.screenshot({ path: path.join(OUTPUT_DIR, 'explorer.png') });

      // Tokens stay in memory: nothing in localStorage holds one (GraphiQL's tab state is written
      // after a 500 ms debounce; the history right after the run).
      await page.waitForTimeout(700);
      const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
      expect(stored).toContain('resourceServers');
      expect(stored).not.toMatch(/Bearer|eyJ/);

      expect(blocked).toEqual([]);
      expect(cspViolations).toEqual([]);
      expect(pageErrors).toEqual([]);
    });

    describe('INTROSPECTION=off', () => {
      let off: TestServer;
      beforeAll(async () => {
        off = await startTestServer({ env: { INTROSPECTION: 'off' } });
      });
      afterAll(async () => {
        await off?.close();
      });

      it('loads the schema with the token it gets, then documents and runs queries as before', async () => {
        const offPage = await context.newPage();
        const offErrors: string[] = [];
        offPage.on('pageerror', (error) => offErrors.push(error.message));
        offPage.on('console', (message) => {
          if (/Content Security Policy/i.test(message.text())) offErrors.push(message.text());
        });
        const operations = recordOperations(offPage);
        const isSchema = (r: { url(): string }) => new URL(r.url()).pathname === '/graphql/schema.graphql';

        // Without a token the server keeps the schema to itself; the page says a token brings it.
        const refused = offPage.waitForResponse(isSchema);
        expect((await offPage.goto(`${off.url}/graphql`))?.status()).toBe(200);
        await offPage.locator('.graphiql-container').waitFor();
        expect((await refused).status()).toBe(401);
        await offPage.getByRole('status').filter({ hasText: 'The schema (documentation, completion) loads with it.' }).waitFor();

        // The helper's token also fetches the schema.
        const loaded = offPage.waitForResponse((r) => isSchema(r) && r.status() === 200);
        await offPage.getByLabel('Client ID').fill(BOOTSTRAP.clientId);
        await offPage.getByLabel('Client secret').fill(BOOTSTRAP.clientSecret);
        await offPage.getByRole('button', { name: 'Get token' }).click();
        await offPage.getByRole('status').filter({ hasText: 'Token set in Headers' }).waitFor();
        expect((await loaded).request().headers().authorization).toMatch(/^Bearer eyJ/);
        await expectDocsShowQuery(offPage);

        const query = '{ resourceServers(first: 5) { nodes { identifier } } }';
        await typeAndRun(offPage, query);
        const audience = off.config.managementAudience;
        await offPage.waitForFunction(
          (expected) => document.querySelector('.graphiql-response')?.textContent?.includes(expected),
          audience,
        );
        // Nothing but the query went to /graphql: no introspection, which this server refuses.
        expect(operations.map((body) => JSON.parse(body).query)).toEqual([query]);

        mkdirSync(OUTPUT_DIR, { recursive: true });
        await offPage.screenshot({ path: path.join(OUTPUT_DIR, 'explorer-introspection-off.png') });
        await offPage.close();
        expect(blocked).toEqual([]);
        expect(offErrors).toEqual([]);
      });

      it('loads the schema with a token pasted into Headers', async () => {
        const token = await off.managementToken();
        const pastePage = await context.newPage();
        const pasteErrors: string[] = [];
        pastePage.on('pageerror', (error) => pasteErrors.push(error.message));
        const isSchema = (r: { url(): string }) => new URL(r.url()).pathname === '/graphql/schema.graphql';
        const refused = pastePage.waitForResponse(isSchema);
        await pastePage.goto(`${off.url}/graphql`);
        await pastePage.locator('.graphiql-container').waitFor();
        expect((await refused).status()).toBe(401);

        const loaded = pastePage.waitForResponse((r) => isSchema(r) && r.status() === 200);
        await pastePage.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').click();
        await pastePage.keyboard.press('Control+A');
        await pastePage.keyboard.press('Delete');
        await pastePage.keyboard.insertText(JSON.stringify({ authorization: `Bearer ${token}` }));
        expect((await loaded).request().headers().authorization).toBe(`Bearer ${token}`);
        await expectDocsShowQuery(pastePage);
        await pastePage.close();
        expect(pasteErrors).toEqual([]);
      });
    });
  });
});
