import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openLoopbackBrowser } from '../helpers/browser';
import { startTestServer, TestServer } from '../helpers/test-app';
import { basicAuth } from '../helpers/fixtures';
import { CONSOLE_BUNDLE_DIRS, CONSOLE_CSP } from '../../src/http/console';

const OUTPUT_DIR = path.resolve(__dirname, '../../test-output');
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const ADMIN = { email: 'admin@console.example', password: 'console admin password 1' };
const READER = { email: 'reader@console.example', password: 'console reader password 1' };
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

if (!CONSOLE_BUNDLE_DIRS.some((dir) => existsSync(path.join(dir, 'console.js')))) {
  throw new Error('The console bundle is missing: run `npm run build` first (npm test does it in pretest).');
}

async function getPage(server: TestServer, pathname: string) {
  const response = await fetch(`${server.url}${pathname}`, { headers: { accept: BROWSER_ACCEPT } });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const assetUrls = (html: string) => [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]).filter((u) => u !== 'data:,');

describe('Admin console', () => {
  let server: TestServer;
  beforeAll(async () => {
    mkdirSync(OUTPUT_DIR, { recursive: true });
    server = await startTestServer({ env: { BOOTSTRAP_ADMIN_EMAIL: ADMIN.email, BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password } });
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('over HTTP', () => {
    it('serves the same page at /console and at every deep link, under the strict CSP', async () => {
      const root = await getPage(server, '/console');
      expect(root.status).toBe(200);
      for (const pathname of [
        '/console/',
        '/console/apis',
        '/console/apis/UmVzb3VyY2VTZXJ2ZXI6eA/permissions',
        '/console/callback',
        '/console/no/such/page',
      ]) {
        const res = await getPage(server, pathname);
        expect({ pathname, status: res.status }).toEqual({ pathname, status: 200 });
        expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.text).toBe(root.text);
      }
      const csp = CONSOLE_CSP.split('; ');
      expect(csp).toEqual(
        expect.arrayContaining([
          "default-src 'self'",
          "script-src 'self'",
          "style-src 'self'",
          "connect-src 'self'",
          "frame-ancestors 'none'",
        ]),
      );
      expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);

      // No inline script (only JSON data), no URL to another host; assets by absolute path, so a
      // deep link resolves them alike.
      for (const m of root.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
        if (m[2].trim() !== '') expect(m[1]).toContain('type="application/json"');
      }
      expect(root.text).not.toMatch(/(https?:)?\/\/[a-z0-9]/i);
      expect(root.text).toContain('<script type="application/json" id="console-config">{"basePath":"/console/"}</script>');
      expect(assetUrls(root.text)).toEqual([
        expect.stringMatching(/^\/console\/assets\/console\.[0-9a-f]{16}\.css$/),
        expect.stringMatching(/^\/console\/assets\/console\.[0-9a-f]{16}\.js$/),
      ]);
    });

    it('serves the assets gzipped with long cache lifetimes, and 404 for an unknown one', async () => {
      const [css, js] = assetUrls((await getPage(server, '/console/apis')).text);
      for (const [url, type] of [
        [js, 'text/javascript; charset=utf-8'],
        [css, 'text/css; charset=utf-8'],
      ]) {
        const res = await fetch(`${server.url}${url}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe(type);
        expect(res.headers.get('content-encoding')).toBe('gzip');
        expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expect(res.headers.get('etag')).toBe(`"${url.split('.')[1]}-gzip"`);
        expect((await res.text()).length).toBeGreaterThan(1000);
      }
      const missing = await fetch(`${server.url}/console/assets/console.0000000000000000.js`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('cache-control')).toBe('no-store');
    });
  });
});
