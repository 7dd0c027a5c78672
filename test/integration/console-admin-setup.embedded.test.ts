import { BrowserAgent, AgentResponse, parseForms, textOf } from '../helpers/browser-agent';
import { consoleAuthorize, consoleSignIn } from '../helpers/console-sign-in';
import { FakeClock, freePort, startTestServer, TestServer } from '../helpers/test-app';
import fs from 'node:fs';
import path from 'node:path';
import { MAIN, spawnNode, waitUntilStarted } from '../helpers/service-process';
import { fixtures } from '../helpers/fixtures';
import { DATA_ROOT } from '../helpers/data-root';

const ADMIN_EMAIL = 'first@setup.example';
const PASSWORD = 'the first administrator';

/** Opens the setup page and posts its form with the link's token (what the page's script copies from the fragment). */
async function submitSetup(agent: BrowserAgent, token: string, values: Record<string, string>): Promise<AgentResponse> {
  const page = await agent.get('/console/setup');
  expect(page.status).toBe(200);
  return agent.submit(page, { token, ...values });
}

describe('the one-time link that sets the first administrator', () => {
  const clock = new FakeClock();
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ clock });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves a strict, uncached form whose script reads the token from the fragment', async () => {
    const page = await new BrowserAgent(server.url).get('/console/setup');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'nonce-[^']+'/);
    expect(csp).toContain("form-action 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const [form] = parseForms(page.text);
    expect(form.action).toBe('/console/setup');
    expect(Object.keys(form.fields).sort()).toEqual(['csrf', 'email', 'password', 'token', 'tx']);
    expect(page.text).toContain('location.hash');
  });

  it('a later link voids the earlier one; a link expires after 24 hours', async () => {
    const first = (await server.app.createAdminSetupToken())!;
    const second = (await server.app.createAdminSetupToken())!;
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second).not.toBe(first);
    // Only the digest is stored.
    const rows = await server.app.database.dataSource.query(`SELECT token_hash FROM admin_setup_tokens`);
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).not.toContain(second);

    const agent = new BrowserAgent(server.url);
    const voided = await submitSetup(agent, first, { email: ADMIN_EMAIL, password: PASSWORD });
    expect(voided.status).toBe(400);
    expect(textOf(voided.text)).toContain('This setup link is not valid');

    clock.advance(24 * 3600 + 1);
    const expired = await submitSetup(agent, second, { email: ADMIN_EMAIL, password: PASSWORD });
    expect(expired.status).toBe(400);
    expect(textOf(expired.text)).toContain('This setup link is not valid');
    expect(await server.app.database.dataSource.query(`SELECT 1 FROM users WHERE email = $1`, [ADMIN_EMAIL])).toEqual([]);
  });

  it('refuses a form without its CSRF token', async () => {
    const token = (await server.app.createAdminSetupToken())!;
    const page = await new BrowserAgent(server.url).get('/console/setup');
    // Another browser (no CSRF cookie) posting the form's fields.
    const form = parseForms(page.text)[0];
    const response = await new BrowserAgent(server.url).request('/console/setup', {
      method: 'POST',
      form: { ...form.fields, token, email: ADMIN_EMAIL, password: PASSWORD },
    });
    expect(response.status).toBe(400);
    expect(textOf(response.text)).toContain('This form has expired or is not valid');
  });

  it('works once: shows the password rules, creates the administrator, then refuses the link and stops printing one', async () => {
    const token = (await server.app.createAdminSetupToken())!;
    const agent = new BrowserAgent(server.url);
    const weak = await submitSetup(agent, token, { email: ADMIN_EMAIL, password: 'short' });
    expect(weak.status).toBe(400);
    expect(textOf(weak.text)).toContain('Password must be at least 8 characters.');
    // The form keeps the token and the email for the next try.
    expect(parseForms(weak.text)[0].fields).toMatchObject({ token, email: ADMIN_EMAIL });

    const done = await agent.submit(weak, { password: PASSWORD });
    expect(done.status).toBe(200);
    expect(textOf(done.text)).toContain(`${ADMIN_EMAIL} now holds the Administrator role`);

    // The administrator signs in to the console with every management scope.
    const tokens = await consoleSignIn(server, ADMIN_EMAIL, PASSWORD);
    expect(tokens.scope.split(' ')).toContain('delete:resource_servers');

    // The same form and link again, for another person: refused, as is the page itself.
    const replay = await agent.submit(weak, { email: 'second@setup.example', password: PASSWORD });
    expect(replay.status).toBe(410);
    expect(textOf(replay.text)).toContain('An administrator already exists');
    const page = await agent.get('/console/setup');
    expect(page.status).toBe(410);
    expect(parseForms(page.text)).toEqual([]);
    expect(await server.app.database.dataSource.query(`SELECT 1 FROM users WHERE email = 'second@setup.example'`)).toEqual([]);
    expect(await server.app.createAdminSetupToken()).toBeUndefined();
    expect(await server.app.database.dataSource.query(`SELECT 1 FROM admin_setup_tokens`)).toEqual([]);

    const events = await fixtures(() => server, 'setup').gqlData(
      `{ auditEvents(last: 1, filter: { operation: "administratorSetup" }) { nodes { actor { subject clientId } summary } } }`,
    );
    expect(events.auditEvents.nodes).toEqual([
      { actor: { subject: 'system', clientId: null }, summary: { email: ADMIN_EMAIL, created: true, role: 'Administrator' } },
    ]);
  });
});

/**
 * The built process: the link printed at start (stdout, after listening), a fresh one at each start
 * while no one is administrator, none after; BOOTSTRAP_ADMIN_* read from the environment.
 */
describe('the setup link and BOOTSTRAP_ADMIN_* (the built process)', () => {
  const root = fs.mkdtempSync(path.join(DATA_ROOT, 'apiauth-console-setup-'));
  const linkDir = path.join(root, 'link');
  let url: string;
  let port: number;
  const service = {
    get url() {
      return url;
    },
    token: async (params: Record<string, string>) => {
      const response = await fetch(`${url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(params).toString(),
      });
      return { status: response.status, headers: response.headers, body: await response.json() };
    },
  };

  beforeAll(async () => {
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const linkIn = (stdout: string) => new RegExp(`^${url}/console/setup#([A-Za-z0-9_-]{43})$`, 'm').exec(stdout)?.[1];

  /** Starts the service on `dataDir` with `env`, runs `during` (given its stdout so far), stops it; its whole stdout. */
  async function serve(
    dataDir: string,
    env: Record<string, string>,
    during: (stdout: () => string) => Promise<void> = async () => undefined,
  ) {
    const child = spawnNode(MAIN, [], { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ISSUER: url, LOG_LEVEL: 'warn', ...env });
    try {
      await waitUntilStarted(child, url);
      await during(child.stdout);
    } finally {
      child.child.kill('SIGTERM');
      expect(await child.closed).toBe(0);
    }
    return child.stdout();
  }

  /** The link's token, once the start has printed it (just after it listens). */
  async function printedLink(stdout: () => string): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const token = linkIn(stdout());
      if (token) return token;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no setup link printed: ${stdout()}`);
  }

  it('prints a link at each start until it is used (the previous one voided), then none', async () => {
    let first = '';
    await serve(linkDir, {}, async (stdout) => {
      first = await printedLink(stdout);
    });
    await serve(linkDir, {}, async (stdout) => {
      const second = await printedLink(stdout);
      expect(second).not.toBe(first);
      const agent = new BrowserAgent(url);
      expect((await submitSetup(agent, first, { email: ADMIN_EMAIL, password: PASSWORD })).status).toBe(400);
      expect((await submitSetup(agent, second, { email: ADMIN_EMAIL, password: PASSWORD })).status).toBe(200);
      expect((await consoleSignIn(service, ADMIN_EMAIL, PASSWORD)).scope.split(' ')).toContain('delete:users');
    });
    const later = await serve(linkDir, {});
    expect(later).not.toContain('/console/setup');
  });

  it('BOOTSTRAP_ADMIN_* reset an administrator (password, block) and print no link', async () => {
    const env = { BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL, BOOTSTRAP_ADMIN_PASSWORD: 'a brand new password' };
    const stdout = await serve(linkDir, env, async () => {
      await expect(consoleAuthorize(service, { email: ADMIN_EMAIL, password: PASSWORD })).rejects.toThrow();
      expect((await consoleSignIn(service, ADMIN_EMAIL, 'a brand new password')).scope.split(' ')).toContain('delete:users');
    });
    expect(stdout).not.toContain('/console/setup');
  });

  it('BOOTSTRAP_ADMIN_* create the administrator on a first start, which then prints no link', async () => {
    const env = { BOOTSTRAP_ADMIN_EMAIL: 'Boot@Setup.example', BOOTSTRAP_ADMIN_PASSWORD: 'the boot password' };
    const stdout = await serve(path.join(root, 'boot'), env, async () => {
      expect((await consoleSignIn(service, 'boot@setup.example', 'the boot password')).scope.split(' ')).toContain('update:users');
    });
    expect(stdout).not.toContain('/console/setup');
  });

  it.each([
    [{ BOOTSTRAP_ADMIN_EMAIL: 'a@setup.example' }, 'Set both BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD, or neither'],
    [
      { BOOTSTRAP_ADMIN_EMAIL: 'a@setup.example', BOOTSTRAP_ADMIN_PASSWORD: 'short' },
      'BOOTSTRAP_ADMIN_PASSWORD must be at least 8 characters',
    ],
    [
      { BOOTSTRAP_ADMIN_EMAIL: 'a@setup.example', BOOTSTRAP_ADMIN_PASSWORD: 'A@setup.example' },
      'BOOTSTRAP_ADMIN_PASSWORD must not be the email address',
    ],
    [
      { BOOTSTRAP_ADMIN_EMAIL: 'nobody', BOOTSTRAP_ADMIN_PASSWORD: 'long enough' },
      'BOOTSTRAP_ADMIN_EMAIL must be an email address with exactly one @',
    ],
  ])('refuses to start with %j', async (env, message) => {
    const child = spawnNode(MAIN, [], { DATA_DIR: path.join(root, 'bad'), PORT: String(port), ISSUER: url, ...env });
    expect(await child.closed).toBe(2);
    expect(child.stderr()).toContain(message);
    expect(child.stderr()).not.toContain('A@setup.example');
  });
});
