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

/**
 * Headless Chromium whose pages may reach loopback only: every other request is refused and
 * pushed to `seen.blocked`. CSP violations and page errors are collected too, so a test can assert
 * the page needs nothing but this server and runs cleanly under its policy.
 */
export async function openLoopbackBrowser(
  viewport: { width: number; height: number },
  seen: { blocked: string[]; cspViolations: string[]; pageErrors: string[] },
): Promise<{ browser: Browser; context: BrowserContext; page: Page }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh (npm test does it in pretest)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const context = await browser.newContext({ viewport });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') return route.continue();
    seen.blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
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
