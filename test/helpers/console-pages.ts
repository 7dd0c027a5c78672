import path from 'node:path';
import type { Page } from 'playwright-core';
import type { TestServer } from './test-app';

/** Steps through the admin console in a browser, shared by its browser tests. */

export const OUTPUT_DIR = path.resolve(__dirname, '../../test-output');

/** test-output/console-<name>.png, the whole page. */
export const screenshot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(OUTPUT_DIR, `console-${name}.png`), fullPage: true });
export const h1 = (page: Page, name: string) => page.getByRole('heading', { name, level: 1 }).waitFor();
export const navTo = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
export const tabTo = (page: Page, name: string) =>
  page
    .getByRole('navigation', { name: /sections/ })
    .getByRole('link', { name, exact: true })
    .click();

/** Through the console's Sign in button, the service's sign-in page, and back to the APIs page. */
export async function signInAs(page: Page, server: TestServer, who: { email: string; password: string }) {
  await page.goto(`${server.url}/console/`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await h1(page, 'APIs');
}
