import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser, Page } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { openLoopbackBrowser } from '../helpers/browser';
import { h1, navTo, OUTPUT_DIR, screenshot, signInAs, tabTo } from '../helpers/console-pages';
import { startTestServer, TestServer } from '../helpers/test-app';
import { basicAuth } from '../helpers/fixtures';
import { CONSOLE_BUNDLE_DIRS, CONSOLE_CSP } from '../../src/http/console';

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
    server = await startTestServer({ config: { bootstrapAdmin: ADMIN } });
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

  describe('in Chromium', () => {
    const seen = { blocked: [] as string[], cspViolations: [] as string[], pageErrors: [] as string[] };
    let browser: Browser;
    let page: Page;

    const shot = (name: string) => screenshot(page, name);
    const heading = (name: string) => h1(page, name);
    const nav = (name: string) => navTo(page, name);
    const tab = (name: string) => tabTo(page, name);
    const signIn = (who: { email: string; password: string }) => signInAs(page, server, who);
    const fitsWidth = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

    beforeAll(async () => {
      ({ browser, page } = await openLoopbackBrowser(DESKTOP, seen));
      page.on('dialog', (dialog) => dialog.accept());
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('an administrator creates an API and an application, authorizes it, tests a token, rotates the secret and finds it all in the audit log', async () => {
      await page.goto(`${server.url}/console/`);
      await page.getByRole('heading', { name: 'apiauth console' }).waitFor();
      await shot('sign-in');
      await signIn(ADMIN);
      await shot('apis');

      // Create API: a rule broken first, shown inline next to its field.
      await page.getByRole('link', { name: 'Create API' }).click();
      await heading('Create API');
      await page.getByLabel('Name').fill('Orders API');
      await page.getByLabel('Identifier').fill('orders');
      await page.getByRole('button', { name: 'Create' }).click();
      await page.getByRole('alert').first().waitFor();
      expect(await page.getByLabel('Identifier').getAttribute('aria-invalid')).toBe('true');
      await shot('api-create');
      await page.getByLabel('Identifier').fill('https://orders.example/');
      await page.getByRole('button', { name: 'Create' }).click();
      await heading('Orders API');
      await page.getByRole('heading', { name: 'Settings' }).waitFor();
      await shot('api-settings');

      // Two permissions.
      await tab('Permissions');
      for (const [value, description] of [
        ['read:orders', 'Read orders'],
        ['write:orders', 'Create and change orders'],
      ]) {
        await page.getByLabel('Permission', { exact: true }).fill(value);
        await page.getByLabel('Description').fill(description);
        await page.getByRole('button', { name: 'Add permission' }).click();
        await page.getByRole('cell', { name: value, exact: true }).waitFor();
      }
      await shot('api-permissions');

      // A machine-to-machine application: its secret shown once.
      await nav('Applications');
      await heading('Applications');
      await shot('applications');
      await page.getByRole('link', { name: 'Create application' }).click();
      await page.getByLabel('Name').fill('Orders worker');
      expect(await page.getByLabel('Application type').inputValue()).toBe('MACHINE_TO_MACHINE');
      await page.getByRole('button', { name: 'Create' }).click();
      await heading('Application created');
      const firstSecret = await page.getByLabel('Client secret', { exact: true }).inputValue();
      expect(firstSecret.length).toBeGreaterThanOrEqual(43);
      await shot('application-created');
      await page.getByRole('link', { name: 'Continue to Orders worker' }).click();
      await heading('Orders worker');
      const clientId = (await page.locator('.page-head .mono').textContent())!;
      await shot('application-settings');

      // Authorized for one permission on the API's Machine to Machine Applications tab.
      await nav('APIs');
      await page.getByRole('link', { name: 'Orders API' }).click();
      await heading('Orders API');
      await tab('Machine to Machine Applications');
      await page.getByRole('switch', { name: 'Authorized: Orders worker' }).click();
      const granted = page.getByRole('group', { name: 'Permissions granted to Orders worker' });
      await granted.waitFor();
      await granted.getByRole('checkbox', { name: 'read:orders' }).click();
      await page.getByText('Saving…').waitFor({ state: 'detached' });
      expect(await granted.getByRole('checkbox', { name: 'read:orders' }).isChecked()).toBe(true);
      expect(await granted.getByRole('checkbox', { name: 'write:orders' }).isChecked()).toBe(false);
      await shot('api-m2m');

      // Test tab: a token, decoded, with this API's audience and the one permission.
      await tab('Test');
      await page.getByLabel('Application').selectOption({ label: `Orders worker (${clientId})` });
      await page.getByRole('button', { name: 'Get token' }).click();
      await page.getByRole('heading', { name: 'Access token' }).waitFor();
      const payload = JSON.parse((await page.getByRole('figure', { name: 'Decoded payload' }).locator('pre').textContent())!);
      expect(payload).toMatchObject({
        aud: 'https://orders.example/',
        scope: 'read:orders',
        client_id: clientId,
        iss: server.config.issuer,
      });
      const header = JSON.parse((await page.getByRole('figure', { name: 'Decoded header' }).locator('pre').textContent())!);
      expect(header).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
      // The token shown is a real one: it verifies with the published keys.
      const shown = await page.getByLabel('Access token', { exact: true }).inputValue();
      const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
      const verified = await jwtVerify(shown, jwks, { issuer: server.config.issuer, audience: 'https://orders.example/' });
      expect(verified.payload.scope).toBe('read:orders');
      expect(await page.getByRole('figure', { name: 'curl: get a token from /oauth/token' }).textContent()).toContain(
        `client_id='${clientId}'`,
      );
      await shot('api-test');

      await tab('Quick Start');
      const snippet = (await page.getByRole('figure', { name: 'Node.js (express-oauth2-jwt-bearer)' }).textContent())!;
      expect(snippet).toContain("audience: 'https://orders.example/'");
      expect(snippet).toContain(`issuerBaseURL: '${server.config.issuer}'`);
      await shot('api-quick-start');

      // Rotate the application's secret: the new one, shown once, works; the old one stops at once.
      await nav('Applications');
      await page.getByRole('link', { name: 'Orders worker' }).click();
      await tab('Credentials');
      await page.getByRole('button', { name: 'Rotate secret' }).click();
      const newSecret = await page.getByLabel('New client secret', { exact: true }).inputValue();
      expect(newSecret).not.toBe(firstSecret);
      await page.getByRole('button', { name: 'Copy new client secret' }).waitFor();
      await shot('application-credentials');
      const params = { grant_type: 'client_credentials', audience: 'https://orders.example/' };
      const withNew = await server.token(params, { authorization: basicAuth(clientId, newSecret) });
      expect({ status: withNew.status, scope: withNew.body.scope }).toEqual({ status: 200, scope: 'read:orders' });
      expect((await server.token(params, { authorization: basicAuth(clientId, firstSecret) })).status).toBe(401);

      await tab('APIs');
      await page.getByRole('cell', { name: 'read:orders' }).waitFor();
      await shot('application-apis');

      // Each action in the audit log.
      await nav('Audit log');
      await heading('Audit log');
      const operations = page.locator('table.events tbody tr td:nth-child(2)');
      await operations.first().waitFor();
      const logged = await operations.allTextContents();
      for (const operation of [
        'resourceServerCreate',
        'resourceServerScopesAdd',
        'clientCreate',
        'clientGrantCreate',
        'clientGrantUpdate',
        'accessTokenIssue',
        'clientSecretRotate',
      ]) {
        expect(logged).toContain(operation);
      }
      await shot('audit-log');
      await page.getByLabel('Operation').fill('clientSecretRotate');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: /^1 event$/ })
        .waitFor();
      expect(await operations.allTextContents()).toEqual(['clientSecretRotate']);

      // The other pages.
      await nav('Signing keys');
      await page.getByRole('heading', { name: 'RS256' }).waitFor();
      await page.getByRole('cell', { name: 'CURRENT' }).first().waitFor();
      await shot('signing-keys');
      await nav('Users');
      await page.getByRole('link', { name: ADMIN.email }).click();
      await heading(ADMIN.email);
      await page.getByRole('heading', { name: 'Effective permissions' }).waitFor();
      await shot('user');
      await nav('Users');
      await heading('Users');
      await shot('users');
      await nav('Roles');
      await page.getByRole('heading', { name: 'Administrator' }).waitFor();
      await shot('roles');

      // 390 px wide: the same pages, without horizontal scrolling.
      await page.setViewportSize(PHONE);
      for (const [name, pathname] of [
        ['apis-390', 'apis'],
        ['audit-log-390', 'audit-log'],
      ]) {
        await page
          .getByRole('navigation', { name: 'Main' })
          .getByRole('link', { name: name.startsWith('apis') ? 'APIs' : 'Audit log', exact: true })
          .click();
        await page.waitForURL(`${server.url}/console/${pathname}`);
        await page.locator('table').first().waitFor();
        expect(await fitsWidth()).toBe(true);
        await shot(name);
      }
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'APIs', exact: true }).click();
      await page.getByRole('link', { name: 'Orders API' }).click();
      await tab('Machine to Machine Applications');
      await page.getByRole('switch', { name: 'Authorized: Orders worker' }).waitFor();
      expect(await fitsWidth()).toBe(true);
      await shot('api-m2m-390');
      await page.setViewportSize(DESKTOP);

      // A deep link (a reload loses the in-memory session): signing in again lands on the page asked for.
      await page.goto(`${server.url}/console/audit-log`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await heading('Audit log');

      // Tokens never reach web storage.
      const stored = await page.evaluate(() => JSON.stringify({ ...window.localStorage, ...window.sessionStorage }));
      expect(stored).not.toMatch(/eyJ|access_token|refresh_token/);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      expect(seen).toEqual({ blocked: [], cspViolations: [], pageErrors: [] });
    }, 180_000);

    it('has no serious or critical accessibility violation (axe) on any page, at 1280 px and 390 px', async () => {
      const api = await server.gql('query($identifier: String!) { resourceServer(identifier: $identifier) { id } }', {
        identifier: 'https://orders.example/',
      });
      const apiId = api.body.data.resourceServer.id;
      const clients = await server.gql('{ clients(first: 100) { nodes { id name } } }');
      const clientId = clients.body.data.clients.nodes.find((c: { name: string }) => c.name === 'Orders worker').id;
      const users = await server.gql('query($email: String!) { users(first: 1, filter: { email: $email }) { nodes { id } } }', {
        email: ADMIN.email,
      });
      const routes = [
        'apis',
        'apis/new',
        ...['settings', 'permissions', 'applications', 'test', 'quick-start'].map((tab) => `apis/${apiId}/${tab}`),
        'applications',
        'applications/new',
        ...['settings', 'credentials', 'apis'].map((tab) => `applications/${clientId}/${tab}`),
        'users',
        `users/${users.body.data.users.nodes[0].id}`,
        'roles',
        'signing-keys',
        'audit-log',
      ];
      const serious = async (where: string) =>
        (await new AxeBuilder({ page }).analyze()).violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => ({ where, rule: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));

      await page.goto(`${server.url}/console/`);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      const found = await serious('sign-in');
      await signIn(ADMIN);
      for (const viewport of [DESKTOP, PHONE]) {
        await page.setViewportSize(viewport);
        for (const route of routes) {
          // Followed as a link inside the app (a reload would sign in again).
          await page.evaluate((href) => {
            window.history.pushState(null, '', href);
            window.dispatchEvent(new PopStateEvent('popstate'));
          }, `/console/${route}`);
          await page.getByRole('heading', { level: 1 }).waitFor();
          await page.waitForFunction(() => document.querySelector('.loading') === null);
          found.push(...(await serious(`${route} at ${viewport.width} px`)));
        }
      }
      expect(found).toEqual([]);
      await page.setViewportSize(DESKTOP);
    }, 180_000);
  });

  describe('a person with a read-only role', () => {
    const seen = { blocked: [] as string[], cspViolations: [] as string[], pageErrors: [] as string[] };
    const READ_SCOPES = ['read:resource_servers', 'read:clients', 'read:client_grants', 'read:audit_events', 'read:users', 'read:roles'];
    let browser: Browser;
    let page: Page;
    let apiId: string;
    /** The bearer token the console sends to /graphql (the person's, from the sign-in). */
    let bearer: string | undefined;

    async function data(query: string, variables: Record<string, unknown> = {}) {
      const res = await server.gql(query, variables);
      if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
      return res.body.data;
    }

    beforeAll(async () => {
      const management = await data('query($identifier: String!) { resourceServer(identifier: $identifier) { id } }', {
        identifier: server.config.managementAudience,
      });
      const role = await data('mutation($input: RoleCreateInput!) { roleCreate(input: $input) { role { id } userErrors { message } } }', {
        input: { name: 'Console reader', description: 'Reads everything, changes nothing' },
      });
      const roleId = role.roleCreate.role.id;
      const added = await data(
        'mutation($id: ID!, $permissions: [PermissionInput!]!) { rolePermissionsAdd(id: $id, permissions: $permissions) { userErrors { code message } } }',
        { id: roleId, permissions: READ_SCOPES.map((scope) => ({ resourceServerId: management.resourceServer.id, scope })) },
      );
      expect(added.rolePermissionsAdd.userErrors).toEqual([]);
      const user = await data('mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id } userErrors { message } } }', {
        input: { email: READER.email, password: READER.password },
      });
      await data('mutation($id: ID!, $roleIds: [ID!]!) { userRolesAssign(id: $id, roleIds: $roleIds) { userErrors { message } } }', {
        id: user.userCreate.user.id,
        roleIds: [roleId],
      });
      const api = await data(
        'mutation($input: ResourceServerCreateInput!) { resourceServerCreate(input: $input) { resourceServer { id } userErrors { message } } }',
        { input: { name: 'Inventory API', identifier: 'https://inventory.example/', scopes: [{ value: 'read:stock' }] } },
      );
      apiId = api.resourceServerCreate.resourceServer.id;

      ({ browser, page } = await openLoopbackBrowser(DESKTOP, seen));
      page.on('request', (request) => {
        if (request.url() === `${server.url}/graphql`) bearer = request.headers().authorization?.replace(/^Bearer /, '');
      });
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('sees every page with its mutations disabled and the missing permission named; the API refuses the token too', async () => {
      await signInAs(page, server, READER);
      await page.getByText('To create APIs, you need the create:resource_servers permission, which your roles do not grant.').waitFor();
      expect(await page.getByRole('link', { name: 'Create API' }).count()).toBe(0);
      await page.getByRole('link', { name: 'Inventory API' }).click();
      await h1(page, 'Inventory API');
      await page.getByText("To change this API's settings, you need the update:resource_servers permission").waitFor();
      expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
      expect(await page.getByLabel('Name', { exact: true }).isDisabled()).toBe(true);
      expect(await page.getByRole('button', { name: 'Delete API' }).isDisabled()).toBe(true);
      await page.getByText("To change this API's token hook, you need the update:resource_servers permission").waitFor();
      expect(await page.getByLabel('Hook URL').isDisabled()).toBe(true);
      expect(await page.getByRole('button', { name: 'Set token hook' }).isDisabled()).toBe(true);
      await screenshot(page, 'read-only');

      await tabTo(page, 'Permissions');
      await page.getByText('To add permissions, you need the update:resource_servers permission').waitFor();
      expect(await page.getByRole('button', { name: 'Add permission' }).isDisabled()).toBe(true);

      await tabTo(page, 'Test');
      await page.getByText('No application is authorized for this API yet').waitFor();

      // A deep link to a form: there, disabled, with the sentence.
      await page.goto(`${server.url}/console/applications/new`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await h1(page, 'Create application');
      await page.getByText('To create applications, you need the create:clients permission').waitFor();
      expect(await page.getByRole('button', { name: 'Create' }).isDisabled()).toBe(true);

      // No raw error anywhere, and no request refused for a missing scope: the console asked only what the token allows.
      expect(await page.getByRole('alert').count()).toBe(0);

      // The same token, called directly: queries answer, mutations are refused.
      expect(bearer).toBeDefined();
      const query = await server.gql('{ resourceServers(first: 1) { totalCount } }', {}, bearer);
      expect(query.body.data.resourceServers.totalCount).toBeGreaterThanOrEqual(1);
      const mutation = await server.gql(
        'mutation($id: ID!, $input: ResourceServerUpdateInput!) { resourceServerUpdate(id: $id, input: $input) { userErrors { message } } }',
        { id: apiId, input: { name: 'Renamed' } },
        bearer,
      );
      expect(mutation.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(mutation.body.data).toBeNull();
      expect((await data('query($id: ID!) { resourceServer(id: $id) { name } }', { id: apiId })).resourceServer.name).toBe('Inventory API');
      expect(seen).toEqual({ blocked: [], cspViolations: [], pageErrors: [] });
    }, 120_000);
  });
});
