import { mkdirSync } from 'node:fs';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { openLoopbackBrowser } from '../helpers/browser';
import { h1, navTo, OUTPUT_DIR, screenshot, signInAs, tabTo } from '../helpers/console-pages';
import { startTestServer, TestServer } from '../helpers/test-app';
import { fixtures } from '../helpers/fixtures';
import { answer, HookServer, signatureValid, startHookServer } from '../helpers/hook-server';

const ADMIN = { email: 'admin@hook-console.example', password: 'hook console admin password 1' };
const API_HOOK = `query($id: ID!) { resourceServer(id: $id) { tokenHook { url timeoutMs failurePolicy } } }`;

describe("Admin console: an API's token hook", () => {
  let server: TestServer;
  let hooks: HookServer;
  let browser: Browser;
  let page: Page;
  const seen = { blocked: [] as string[], cspViolations: [] as string[], pageErrors: [] as string[] };
  const { gqlData, createApi, createClient, createGrant } = fixtures(() => server, 'console-hook');

  beforeAll(async () => {
    mkdirSync(OUTPUT_DIR, { recursive: true });
    hooks = await startHookServer();
    hooks.route('/claims', answer({ claims: { tier: 'gold', region: 'eu' } }));
    server = await startTestServer({ env: { TOKEN_HOOK_ALLOWED_HOSTS: '127.0.0.1' }, config: { bootstrapAdmin: ADMIN } });
    ({ browser, page } = await openLoopbackBrowser({ width: 1280, height: 900 }, seen));
    page.on('dialog', (dialog) => dialog.accept());
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await hooks?.close();
  });

  it('sets a hook (its secret shown once), tests it, finds its claims in a token from the Test tab, rotates its secret and removes it', async () => {
    const api = await createApi({ name: 'Billing API', identifier: 'https://billing.example/' });
    const client = await createClient({ name: 'Billing worker' });
    await createGrant(client, api, ['read:x']);
    const hookUrl = `${hooks.url}/claims`;

    await signInAs(page, server, ADMIN);
    await page.getByRole('link', { name: 'Billing API' }).click();
    await h1(page, 'Billing API');
    await page.getByText('No token hook: tokens of this API carry no custom claims.').waitFor();
    expect(await page.getByLabel('Timeout (milliseconds)').inputValue()).toBe('2000');
    await page.getByText('100 to 10000 ms (default 2000)').waitFor();

    // A timeout out of range: the server's rule, next to its field; nothing set.
    await page.getByLabel('Hook URL').fill(hookUrl);
    await page.getByLabel('Timeout (milliseconds)').fill('50');
    await page.getByRole('button', { name: 'Set token hook' }).click();
    const timeout = page.getByLabel('Timeout (milliseconds)');
    await page.locator('.field-error[role="alert"]').waitFor();
    expect(await timeout.getAttribute('aria-invalid')).toBe('true');
    expect((await gqlData(API_HOOK, { id: api.id })).resourceServer.tokenHook).toBeNull();

    // Set: the secret shown once, labelled, with a copy button.
    await timeout.fill('3000');
    await page.getByLabel('When the hook fails').selectOption('ALLOW_WITHOUT_CLAIMS');
    await page.getByRole('button', { name: 'Set token hook' }).click();
    const secretField = page.getByLabel('Hook secret', { exact: true });
    const secret = await secretField.inputValue();
    expect(secret.length).toBeGreaterThanOrEqual(43);
    expect(await secretField.getAttribute('readonly')).not.toBeNull();
    await page.getByRole('button', { name: 'Copy hook secret' }).waitFor();
    await page.getByText('Token hook set.').waitFor();
    await page.getByText("This API's tokens go through the hook below.").waitFor();
    expect((await gqlData(API_HOOK, { id: api.id })).resourceServer.tokenHook).toEqual({
      url: hookUrl,
      timeoutMs: 3000,
      failurePolicy: 'ALLOW_WITHOUT_CLAIMS',
    });

    // Test: the claims the hook answered, from a call signed with the secret shown.
    await page.getByRole('button', { name: 'Test token hook' }).click();
    const claims = page.getByRole('figure', { name: 'Claims the hook answered' });
    expect(JSON.parse((await claims.locator('pre').textContent())!)).toEqual({ tier: 'gold', region: 'eu' });
    const tested = hooks.callsTo('/claims');
    expect(tested).toHaveLength(1);
    expect(signatureValid(tested[0], secret)).toBe(true);
    await screenshot(page, 'api-token-hook');

    // Never shown again: away and back, the form holds the settings, not the secret.
    await tabTo(page, 'Permissions');
    await tabTo(page, 'Settings');
    expect(await page.getByLabel('Hook URL').inputValue()).toBe(hookUrl);
    expect(await page.getByLabel('When the hook fails').inputValue()).toBe('ALLOW_WITHOUT_CLAIMS');
    expect(await page.getByLabel('Hook secret', { exact: true }).count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    // A token from the Test tab carries the hook's claims, and it verifies.
    await tabTo(page, 'Test');
    await page.getByRole('button', { name: 'Get token' }).click();
    const payload = JSON.parse((await page.getByRole('figure', { name: 'Decoded payload' }).locator('pre').textContent())!);
    expect(payload).toMatchObject({ aud: 'https://billing.example/', client_id: client.clientId, tier: 'gold', region: 'eu' });
    const shown = await page.getByLabel('Access token', { exact: true }).inputValue();
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const verified = await jwtVerify(shown, jwks, { issuer: server.config.issuer, audience: 'https://billing.example/' });
    expect(verified.payload).toMatchObject({ tier: 'gold', region: 'eu' });
    const issued = hooks.callsTo('/claims');
    expect(issued).toHaveLength(2);
    expect(signatureValid(issued[1], secret)).toBe(true);

    // Rotate the secret: a new one, shown once; the next call is signed with it.
    await tabTo(page, 'Settings');
    await page.getByLabel('Rotate the hook secret').check();
    await page.getByRole('button', { name: 'Replace token hook' }).click();
    const rotated = await page.getByLabel('Hook secret', { exact: true }).inputValue();
    expect(rotated).not.toBe(secret);
    await page.getByRole('button', { name: 'Test token hook' }).click();
    await page.getByRole('figure', { name: 'Claims the hook answered' }).waitFor();
    const last = hooks.callsTo('/claims').at(-1)!;
    expect(signatureValid(last, rotated)).toBe(true);
    expect(signatureValid(last, secret)).toBe(false);

    // A hook that fails: the test shows why, as text.
    await page.getByLabel('Hook URL').fill(`${hooks.url}/missing`);
    await page.getByRole('button', { name: 'Replace token hook' }).click();
    await page.getByText('Token hook set.').waitFor();
    expect(await page.getByLabel('Hook secret', { exact: true }).count()).toBe(0);
    await page.getByRole('button', { name: 'Test token hook' }).click();
    await page.getByText('The hook call failed: answered HTTP 404').waitFor();

    // Remove, after the confirmation.
    await page.getByRole('button', { name: 'Remove token hook' }).click();
    await page.getByText('Token hook removed.').waitFor();
    await page.getByText('No token hook: tokens of this API carry no custom claims.').waitFor();
    expect(await page.getByLabel('Hook URL').inputValue()).toBe('');
    expect(await page.getByRole('button', { name: 'Test token hook' }).count()).toBe(0);
    expect((await gqlData(API_HOOK, { id: api.id })).resourceServer.tokenHook).toBeNull();

    // A system API cannot have a hook: no form there.
    await navTo(page, 'APIs');
    await page.getByRole('link', { name: 'Management API', exact: true }).click();
    await page.getByText('This API is built into the service').waitFor();
    expect(await page.getByLabel('Hook URL').count()).toBe(0);

    expect(seen).toEqual({ blocked: [], cspViolations: [], pageErrors: [] });
  }, 180_000);
});
