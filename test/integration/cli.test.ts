import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createOrganizerApi } from '../../examples/organizer-api/src/app';
import { basicAuth } from '../helpers/fixtures';
import { CLI, spawnNode } from '../helpers/service-process';
import { BOOTSTRAP, freePort, startTestServer, TestServer } from '../helpers/test-app';
import { CONSOLE_CLIENT_NAME } from '../../src/domain/management/console-client';

/**
 * The `apiauth` binary (bin/apiauth.js → dist/src/cli.js, built by `npm test`'s pretest), driven as
 * a user drives it against a running service: every command, its `--json` output parsed, its exit
 * code (0 done, 1 refused, 2 usage, 3 not signed in), and `apiauth demo` followed by the tour.
 */
describe('apiauth CLI (the built binary against a running service)', () => {
  let server: TestServer;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'apiauth-cli-'));
  /** XDG_CONFIG_HOME of the signed-in user; other tests use directories of their own. */
  const configHome = path.join(root, 'config');
  const sessionFile = path.join(configHome, 'apiauth', 'session.json');

  interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
    json<T = any>(): T;
  }

  /** `apiauth ...args` with exactly `env` (plus PATH): the stored session of `configHome` unless told otherwise. */
  async function apiauth(args: string[], env: Record<string, string> = {}): Promise<Run> {
    const child = spawnNode(CLI, args, { XDG_CONFIG_HOME: configHome, ...env });
    const code = await child.closed;
    const stdout = child.stdout();
    return { code, stdout, stderr: child.stderr(), json: () => JSON.parse(stdout) };
  }

  /** Runs a command that must succeed, and returns its parsed `--json` output. */
  async function json<T = any>(args: string[], env?: Record<string, string>): Promise<T> {
    const run = await apiauth([...args, '--json'], env);
    if (run.code !== 0) throw new Error(`apiauth ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return run.json<T>();
  }

  /** `apiauth ...args` on a pseudo-terminal (util-linux `script`), as a person at a terminal sees it. */
  async function onTerminal(args: string[], env: Record<string, string> = {}): Promise<string> {
    const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, CLI, ...args].map(quote).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      // A terminal that shows colours (styleText also reads TERM).
      env: { PATH: process.env.PATH, TERM: 'xterm-256color', XDG_CONFIG_HOME: configHome, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    if (code !== 0) throw new Error(`apiauth ${args.join(' ')} on a terminal exited ${code}: ${output}`);
    return output;
  }

  async function clientCredentials(clientId: string, clientSecret: string, audience: string) {
    const response = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(clientId, clientSecret) },
      body: new URLSearchParams({ grant_type: 'client_credentials', audience }).toString(),
    });
    return { status: response.status, body: await response.json() };
  }

  const verify = (token: string, audience: string) =>
    jwtVerify(token, createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)), { issuer: server.url, audience });

  beforeAll(async () => {
    if (!fs.existsSync(CLI.replace(/bin\/apiauth\.js$/, 'dist/src/cli.js'))) throw new Error('run `npm run build` first');
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  describe('usage', () => {
    it('--help lists every command and the exit codes; each command has its own --help (exit 0)', async () => {
      const help = await apiauth(['--help']);
      expect(help.code).toBe(0);
      for (const command of [
        'login',
        'logout',
        'demo',
        'apis list',
        'apis create',
        'apis show',
        'apis delete',
        'apis scopes add',
        'apis scopes remove',
        'clients list',
        'clients create',
        'clients show',
        'clients rotate-secret',
        'grants create',
        'grants update',
        'grants delete',
        'token get',
        'keys list',
        'keys rotate',
        'keys revoke',
        'audit tail',
        'admin reset-credentials',
      ]) {
        expect(help.stdout).toMatch(new RegExp(`^  ${command}  `, 'm'));
      }
      expect(help.stdout).toContain('3  not signed in, session expired, or credentials refused');

      const create = await apiauth(['apis', 'create', '--help']);
      expect(create.code).toBe(0);
      expect(create.stdout).toContain('Usage: apiauth apis create <identifier> [options]');
      expect(create.stdout).toMatch(/--name <name>\s+Display name \(required\)/);
      expect(create.stdout).toContain('--json');
      expect(create.stdout).toContain('Exit codes:');

      const group = await apiauth(['grants', '--help']);
      expect(group.code).toBe(0);
      expect(group.stdout).toMatch(/^ {2}grants update {2}/m);
    });

    it('bad usage exits 2 with what is wrong and the usage, before asking the server anything', async () => {
      const none = await apiauth([]);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('apiauth: which command?');

      const unknownCommand = await apiauth(['apis', 'frobnicate']);
      expect(unknownCommand.code).toBe(2);
      expect(unknownCommand.stderr).toContain('unknown command "apis frobnicate"');
      expect(unknownCommand.stderr).toContain('apis scopes add');

      const unknownOption = await apiauth(['apis', 'list', '--colour']);
      expect(unknownOption.code).toBe(2);
      expect(unknownOption.stderr).toContain("Unknown option '--colour'");
      expect(unknownOption.stderr).toContain('Usage: apiauth apis list [options]');

      const missingOption = await apiauth(['apis', 'create', 'https://x.example/']);
      expect(missingOption.code).toBe(2);
      expect(missingOption.stderr).toContain('apiauth: missing option --name');

      const badNumber = await apiauth(['clients', 'rotate-secret', 'x', '--grace', 'soon']);
      expect(badNumber.code).toBe(2);
      expect(badNumber.stderr).toContain('--grace must be a whole number, at least 0 (got "soon")');

      const extra = await apiauth(['apis', 'show', 'a', 'b']);
      expect(extra.code).toBe(2);
      expect(extra.stderr).toContain('unexpected argument "b"');
    });
  });

  describe('signing in', () => {
    it('without a session or credentials every command exits 3 and says how to sign in', async () => {
      const run = await apiauth(['apis', 'list']);
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('apiauth: not signed in: run `apiauth login');
      expect(run.stdout).toBe('');
    });

    it("login with a wrong secret exits 3 with the server's error, and stores nothing", async () => {
      const run = await apiauth(['login', '--url', server.url, '--client-id', BOOTSTRAP.clientId, '--client-secret', 'wrong']);
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/^apiauth: invalid_client: /m);
      expect(fs.existsSync(sessionFile)).toBe(false);
    });

    it('login (credentials from the environment) keeps the token, not the secret, in a 0600 file', async () => {
      const login = await json(['login'], {
        APIAUTH_URL: server.url,
        APIAUTH_CLIENT_ID: BOOTSTRAP.clientId,
        APIAUTH_CLIENT_SECRET: BOOTSTRAP.clientSecret,
      });
      expect(login).toMatchObject({ url: server.url, clientId: BOOTSTRAP.clientId, audience: `${server.url}/api/v2/`, sessionFile });
      expect(login.scopes).toContain('create:resource_servers');
      expect(fs.statSync(sessionFile).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.dirname(sessionFile)).mode & 0o777).toBe(0o700);
      const stored = fs.readFileSync(sessionFile, 'utf8');
      expect(stored).not.toContain(BOOTSTRAP.clientSecret);
      const { payload } = await verify(JSON.parse(stored).accessToken, `${server.url}/api/v2/`);
      expect(payload.client_id).toBe(BOOTSTRAP.clientId);
    });

    it('with APIAUTH_CLIENT_ID/SECRET set, a command gets its own token in memory and writes no file', async () => {
      const home = path.join(root, 'env-only');
      const apis = await json(['apis', 'list'], {
        XDG_CONFIG_HOME: home,
        APIAUTH_URL: server.url,
        APIAUTH_CLIENT_ID: BOOTSTRAP.clientId,
        APIAUTH_CLIENT_SECRET: BOOTSTRAP.clientSecret,
      });
      expect(apis.map((api: { identifier: string }) => api.identifier)).toContain(`${server.url}/api/v2/`);
      expect(fs.existsSync(home)).toBe(false);
    });

    it('an expired or refused stored token exits 3; an unreachable service exits 1 naming it', async () => {
      const stored = JSON.parse(fs.readFileSync(sessionFile, 'utf8'));
      const write = (dir: string, session: object) => {
        fs.mkdirSync(path.join(dir, 'apiauth'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'apiauth', 'session.json'), JSON.stringify(session));
      };
      write(path.join(root, 'expired'), { ...stored, expiresAt: '2020-01-01T00:00:00.000Z' });
      const expired = await apiauth(['apis', 'list'], { XDG_CONFIG_HOME: path.join(root, 'expired') });
      expect(expired.code).toBe(3);
      expect(expired.stderr).toContain(
        `apiauth: the session for ${server.url} expired at 2020-01-01T00:00:00.000Z: run \`apiauth login\` again`,
      );

      write(path.join(root, 'forged'), { ...stored, accessToken: `${stored.accessToken.slice(0, -4)}AAAA` });
      const forged = await apiauth(['apis', 'list'], { XDG_CONFIG_HOME: path.join(root, 'forged') });
      expect(forged.code).toBe(3);
      expect(forged.stderr).toContain('[UNAUTHENTICATED]');
      expect(forged.stderr).toContain('Sign in again');

      const closedPort = await freePort();
      write(path.join(root, 'unreachable'), { ...stored, url: `http://127.0.0.1:${closedPort}` });
      const unreachable = await apiauth(['apis', 'list'], { XDG_CONFIG_HOME: path.join(root, 'unreachable') });
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toContain(`cannot reach http://127.0.0.1:${closedPort} (ECONNREFUSED)`);
    });
  });

  describe('managing (signed in)', () => {
    const IDENTIFIER = 'https://cli.example/';
    let client: { id: string; clientId: string };
    let secret: string;
    let grantId: string;

    it("apis create / list / show / scopes add / scopes remove, and refusals exit 1 with the server's message", async () => {
      const created = await json([
        'apis',
        'create',
        IDENTIFIER,
        '--name',
        'CLI API',
        '--scope',
        'read:x=Read x',
        '--scope',
        'write:x',
        '--token-lifetime',
        '600',
      ]);
      expect(created.signingSecret).toBeNull();
      expect(created.resourceServer).toMatchObject({ identifier: IDENTIFIER, name: 'CLI API', tokenLifetime: 600 });
      expect(created.resourceServer.scopes).toEqual([
        { value: 'read:x', description: 'Read x' },
        { value: 'write:x', description: '' },
      ]);

      const taken = await apiauth(['apis', 'create', IDENTIFIER, '--name', 'Again']);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toBe('apiauth: TAKEN: an API with this identifier already exists\n');

      const listed = await json(['apis', 'list']);
      expect(listed.map((api: { identifier: string }) => api.identifier)).toContain(IDENTIFIER);

      // By identifier and by ID.
      expect(await json(['apis', 'show', IDENTIFIER])).toMatchObject({ id: created.resourceServer.id });
      expect(await json(['apis', 'show', created.resourceServer.id])).toMatchObject({ identifier: IDENTIFIER });
      const missing = await apiauth(['apis', 'show', 'https://nothing.example/']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('NOT_FOUND: no API has the identifier or ID "https://nothing.example/"');
      // Scripts read failures as JSON too.
      const missingJson = await apiauth(['apis', 'show', 'https://nothing.example/', '--json']);
      expect(missingJson).toMatchObject({ code: 1, stdout: '' });
      expect(JSON.parse(missingJson.stderr)).toEqual({
        error: { exitCode: 1, messages: ['NOT_FOUND: no API has the identifier or ID "https://nothing.example/"'] },
      });

      const added = await json(['apis', 'scopes', 'add', IDENTIFIER, 'admin:x=Administer x']);
      expect(added.scopes.map((s: { value: string }) => s.value)).toEqual(['read:x', 'write:x', 'admin:x']);
      const removed = await json(['apis', 'scopes', 'remove', IDENTIFIER, 'write:x']);
      expect(removed.scopes.map((s: { value: string }) => s.value)).toEqual(['read:x', 'admin:x']);
    });

    it('people get aligned tables, coloured only on a terminal without NO_COLOR', async () => {
      const run = await apiauth(['apis', 'show', IDENTIFIER]);
      expect(run.code).toBe(0);
      expect(run.stdout).not.toContain('\x1b[');
      expect(run.stdout).toMatch(/^identifier: +https:\/\/cli\.example\/$/m);
      const lines = run.stdout.split('\n');
      const header = lines.findIndex((line) => line.startsWith('SCOPE'));
      // Each value starts under its column's header.
      const column = lines[header].indexOf('DESCRIPTION');
      expect(lines[header + 1]).toBe(`${'read:x'.padEnd(column)}Read x`);
      expect(lines[header + 2]).toBe(`${'admin:x'.padEnd(column)}Administer x`);

      // On a terminal: bold headers, unless NO_COLOR says otherwise.
      const BOLD = '\x1b[1m';
      expect(await onTerminal(['apis', 'show', IDENTIFIER])).toContain(`${BOLD}SCOPE`);
      expect(await onTerminal(['apis', 'show', IDENTIFIER], { NO_COLOR: '1' })).not.toContain('\x1b[');
    });

    it('clients create / list / show / rotate-secret', async () => {
      const created = await json(['clients', 'create', '--name', 'CLI worker']);
      client = created.client;
      secret = created.clientSecret;
      expect(created.client).toMatchObject({ name: 'CLI worker', appType: 'MACHINE_TO_MACHINE' });
      expect(secret).toEqual(expect.any(String));

      const listed = await json(['clients', 'list', '--type', 'machine-to-machine']);
      expect(listed.map((c: { clientId: string }) => c.clientId)).toEqual(expect.arrayContaining([BOOTSTRAP.clientId, client.clientId]));
      // The only single-page application is the built-in console.
      expect((await json(['clients', 'list', '--type', 'spa'])).map((c: { name: string }) => c.name)).toEqual([CONSOLE_CLIENT_NAME]);
      const badType = await apiauth(['clients', 'list', '--type', 'robot']);
      expect(badType.code).toBe(1);
      expect(badType.stderr).toContain('"ROBOT" does not exist in "ApplicationType" enum');

      const shown = await json(['clients', 'show', client.clientId]);
      expect(shown).toMatchObject({ id: client.id, secrets: [{ lastFour: secret.slice(-4) }] });
      expect(JSON.stringify(shown)).not.toContain(secret);
      expect(await json(['clients', 'show', client.id])).toMatchObject({ clientId: client.clientId });
    });

    it('grants create / update, tokens from the token endpoint and from `token get`, grants delete', async () => {
      const granted = await json(['grants', 'create', '--client', client.clientId, '--api', IDENTIFIER, '--scope', 'read:x']);
      grantId = granted.id;
      expect(granted).toMatchObject({
        scopes: ['read:x'],
        client: { clientId: client.clientId },
        resourceServer: { identifier: IDENTIFIER },
      });
      const unknownScope = await apiauth(['grants', 'create', '--client', client.clientId, '--api', IDENTIFIER, '--scope', 'nope']);
      expect(unknownScope.code).toBe(1);
      expect(unknownScope.stderr).toMatch(/^apiauth: [A-Z_]+: /m);

      expect((await clientCredentials(client.clientId, secret, IDENTIFIER)).body.scope).toBe('read:x');
      expect(await json(['grants', 'update', grantId, '--scope', 'read:x', '--scope', 'admin:x'])).toMatchObject({
        scopes: ['read:x', 'admin:x'],
      });
      expect((await clientCredentials(client.clientId, secret, IDENTIFIER)).body.scope).toBe('read:x admin:x');

      const issued = await json(['token', 'get', '--client', client.clientId, '--audience', IDENTIFIER, '--scope', 'admin:x', '--decode']);
      expect(issued).toMatchObject({ tokenType: 'Bearer', expiresIn: 600, scope: 'admin:x' });
      const { payload, protectedHeader } = await verify(issued.accessToken, IDENTIFIER);
      expect(issued.header).toEqual(protectedHeader);
      expect(issued.claims).toEqual(payload);
      expect(payload).toMatchObject({ client_id: client.clientId, scope: 'admin:x' });
      const human = await apiauth(['token', 'get', '--client', client.clientId, '--audience', IDENTIFIER]);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);

      expect(await json(['grants', 'delete', grantId, '--revoke-tokens'])).toEqual({ deletedId: grantId });
      expect((await clientCredentials(client.clientId, secret, IDENTIFIER)).status).not.toBe(200);
      const again = await apiauth(['grants', 'delete', grantId]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('apiauth: NOT_FOUND: ');
    });

    it('clients rotate-secret: the new secret works, the old one stops', async () => {
      await json(['grants', 'create', '--client', client.clientId, '--api', IDENTIFIER, '--scope', 'read:x']);
      const rotated = await json(['clients', 'rotate-secret', client.clientId]);
      expect(rotated.clientSecret).not.toBe(secret);
      expect((await clientCredentials(client.clientId, rotated.clientSecret, IDENTIFIER)).status).toBe(200);
      expect((await clientCredentials(client.clientId, secret, IDENTIFIER)).status).toBe(401);
    });

    it('apis delete', async () => {
      expect(await json(['apis', 'delete', IDENTIFIER])).toEqual({ deletedId: expect.any(String) });
      expect((await apiauth(['apis', 'show', IDENTIFIER])).code).toBe(1);
    });

    it('audit tail shows the newest events; --follow prints new ones as they happen', async () => {
      const events = await json(['audit', 'tail', '-n', '3', '--operation', 'clientCreate']);
      expect(events.at(-1)).toMatchObject({ operation: 'clientCreate', outcome: 'SUCCESS', actor: { clientId: BOOTSTRAP.clientId } });

      const follow = spawnNode(
        CLI,
        ['audit', 'tail', '-n', '1', '--follow', '--interval', '1', '--json', '--operation', 'resourceServerCreate'],
        {
          XDG_CONFIG_HOME: configHome,
        },
      );
      try {
        const lines = () =>
          follow
            .stdout()
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line));
        await until(() => lines().length === 1);
        const created = await server.gql(
          `mutation { resourceServerCreate(input: { name: "Followed", identifier: "https://followed.example/" }) { resourceServer { id } } }`,
        );
        const id = created.body.data.resourceServerCreate.resourceServer.id;
        await until(() => lines().length === 2);
        expect(lines()[1]).toMatchObject({ operation: 'resourceServerCreate', targetId: id });
      } finally {
        follow.child.kill('SIGTERM');
        await follow.closed;
      }
    });
  });

  describe('apiauth demo, then the tour', () => {
    let organizer: Server;
    let organizerUrl: string;
    beforeAll(async () => {
      const app = createOrganizerApi({ issuerBaseURL: server.url, audience: 'https://organizer.example/' });
      organizer = await new Promise<Server>((resolve, reject) => {
        const listening = app.listen(0, '127.0.0.1', () => resolve(listening)).on('error', reject);
      });
      organizerUrl = `http://127.0.0.1:${(organizer.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      organizer?.closeAllConnections();
      await new Promise<void>((resolve) => (organizer ? organizer.close(() => resolve()) : resolve()));
    });

    async function appointments(token: string, body?: object) {
      const response = await fetch(`${organizerUrl}/appointments`, {
        method: body ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body && JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    }

    it("sets up the Organizer API, client and grant; the tour's token request and API calls work; a second run changes nothing", async () => {
      const demo = await json(['demo']);
      expect(demo).toMatchObject({
        issuer: server.url,
        api: { identifier: 'https://organizer.example/', scopes: ['read:appointments', 'write:appointments'], created: true },
        client: { name: 'Calendar sync', created: true },
        grant: { scopes: ['read:appointments'], created: true },
      });

      // The tour's step 5: a token as the application, then the Organizer.
      const token = await clientCredentials(demo.client.clientId, demo.clientSecret, 'https://organizer.example/');
      expect(token).toMatchObject({ status: 200, body: { token_type: 'Bearer', scope: 'read:appointments' } });
      expect(await appointments(token.body.access_token)).toEqual({ status: 200, body: { appointments: [] } });
      expect((await appointments(token.body.access_token, { title: 'Dentist', startsAt: '2030-01-31T09:30:00Z' })).status).toBe(403);

      // Again: everything exists, nothing is duplicated, the secret is not shown (and still works).
      const again = await apiauth(['demo']);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/^exists +API Organizer https:\/\/organizer\.example\//m);
      expect(again.stdout).toContain('What to try next:');
      expect(again.stdout).toContain(`apiauth grants update ${demo.grant.id} --scope read:appointments --scope write:appointments`);
      expect(again.stdout).toContain(`apiauth clients rotate-secret ${demo.client.clientId}`);
      const third = await json(['demo']);
      expect(third).toMatchObject({
        api: { id: demo.api.id, created: false },
        client: { id: demo.client.id, created: false },
        clientSecret: null,
      });
      expect(third.grant).toMatchObject({ id: demo.grant.id, created: false });
      const named = (await json(['clients', 'list'])).filter((c: { name: string }) => c.name === 'Calendar sync');
      expect(named).toHaveLength(1);

      // The tour's step 6, as the demo prints it.
      await json(['grants', 'update', demo.grant.id, '--scope', 'read:appointments', '--scope', 'write:appointments']);
      const writer = await clientCredentials(demo.client.clientId, demo.clientSecret, 'https://organizer.example/');
      const made = await appointments(writer.body.access_token, { title: 'Dentist', startsAt: '2030-01-31T09:30:00Z' });
      expect(made).toMatchObject({ status: 201, body: { title: 'Dentist' } });
    });
  });

  describe('signing keys (last: revoking a key ends the sessions it signed)', () => {
    it('keys list / rotate / revoke', async () => {
      const keys = await json(['keys', 'list', '--algorithm', 'RS256']);
      const next = keys.find((k: { state: string }) => k.state === 'NEXT');
      const current = keys.find((k: { state: string }) => k.state === 'CURRENT');
      expect(next && current).toBeTruthy();

      const rotated = await json(['keys', 'rotate', 'RS256']);
      expect(rotated.current.kid).toBe(next.kid);
      expect(rotated.previous).toMatchObject({ kid: current.kid, state: 'PREVIOUS' });
      expect(await json(['keys', 'list', '--algorithm', 'RS256', '--state', 'previous'])).toEqual([
        expect.objectContaining({ kid: current.kid }),
      ]);

      // Revoking the key that signed the stored session's token ends the session: exit 3.
      const revoked = await json(['keys', 'revoke', current.kid]);
      expect(revoked).toMatchObject({ kid: current.kid, state: 'REVOKED' });
      const signedOut = await apiauth(['keys', 'list']);
      expect(signedOut.code).toBe(3);
      const login = await apiauth([
        'login',
        '--url',
        server.url,
        '--client-id',
        BOOTSTRAP.clientId,
        '--client-secret',
        BOOTSTRAP.clientSecret,
      ]);
      expect(login.code).toBe(0);
      expect(login.stdout).toContain(`Signed in to ${server.url} as ${BOOTSTRAP.clientId}`);

      const twice = await apiauth(['keys', 'revoke', current.kid]);
      expect(twice.code).toBe(1);
      expect(twice.stderr).toMatch(/^apiauth: [A-Z_]+: /m);
    });
  });

  it('logout forgets the session: commands exit 3 again', async () => {
    expect(await json(['logout'])).toEqual({ signedOut: true });
    expect(fs.existsSync(sessionFile)).toBe(false);
    expect((await apiauth(['clients', 'list'])).code).toBe(3);
  });
});

async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
