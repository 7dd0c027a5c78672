import { existsSync } from 'node:fs';
import { chromium, Browser, BrowserContext, Page } from 'playwright-core';

/** Debian's Chromium (installed by scripts/ensure-chromium.sh in pretest; never a browser download). */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags for a closed machine: without the background-networking ones Chromium keeps dialling out. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A proxy nobody listens on (port 1 is privileged): requests sent to it fail. */
const DEAD_PROXY = 'http://127.0.0.1:1';

const isLoopback = (href: string) => ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(href).hostname);

/**
 * Headless Chromium whose pages may reach loopback only: every other request is refused and
 * pushed to `seen.blocked`. CSP violations and page errors are collected too, so a test can assert
 * the page needs nothing but this server and runs cleanly under its policy.
 *
 * How the other requests are refused (`block`):
 * - 'route' (default): Playwright request interception. While it is on, Playwright answers every
 *   CORS preflight itself, allowing any origin, method and header: the server never sees them.
 * - 'proxy': Chromium sends them to a proxy that does not exist (loopback bypasses proxies); no
 *   interception, so preflights reach the server and its answers decide. For tests about CORS.
 */
export async function openLoopbackBrowser(
  viewport: { width: number; height: number },
  seen: { blocked: string[]; cspViolations: string[]; pageErrors: string[] },
  options: { block?: 'route' | 'proxy' } = {},
): Promise<{ browser: Browser; context: BrowserContext; page: Page }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh (npm test does it in pretest)`);
  const proxy = options.block === 'proxy';
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: proxy ? [...ARGS, `--proxy-server=${DEAD_PROXY}`] : ARGS });
  const context = await browser.newContext({ viewport });
  if (proxy) {
    context.on('requestfailed', (request) => {
      if (!isLoopback(request.url())) seen.blocked.push(request.url());
    });
  } else {
    await context.route('**/*', (route) => {
      if (isLoopback(route.request().url())) return route.continue();
      seen.blocked.push(route.request().url());
      return route.abort('blockedbyclient');
    });
  }
  // CSP violations as the page sees them (init scripts are injected by the browser, not by the page).
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) seen.cspViolations.push(message.text());
  });
  page.on('pageerror', (error) => seen.pageErrors.push(error.message));
  return { browser, context, page };
}
