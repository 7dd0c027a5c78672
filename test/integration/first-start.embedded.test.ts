import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../helpers/test-app';
import { basicAuth } from '../helpers/fixtures';
import { CLI, MAIN, spawnNode, waitUntilReady, waitUntilStarted } from '../helpers/service-process';
import { DATA_ROOT } from '../helpers/data-root';

/**
 * A first start cannot lose the management credentials (the built process on its embedded
 * database): a start on a port in use creates nothing; the first start that serves prints the
 * generated client's credentials once; later starts say how to recover them; and
 * `apiauth admin reset-credentials` gives the client a new secret (refused while the service runs).
 */
describe('first start and management credentials (the built process)', () => {
  const root = fs.mkdtempSync(path.join(DATA_ROOT, 'apiauth-first-start-'));
  const dataDir = path.join(root, 'data');
  let port: number;
  let url: string;
  const env = () => ({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ISSUER: url, LOG_LEVEL: 'info', EXPLORER: 'true' });

  beforeAll(async () => {
    for (const file of [MAIN, CLI]) if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  /** The credentials a banner printed: client_id and client_secret lines. */
  function credentialsIn(stdout: string): { clientId: string; clientSecret: string } | undefined {
    const clientId = /^client_id:\s+(\S+)$/m.exec(stdout)?.[1];
    const clientSecret = /^client_secret:\s+(\S+)$/m.exec(stdout)?.[1];
    return clientId && clientSecret ? { clientId, clientSecret } : undefined;
  }

  async function tokenStatus(credentials: { clientId: string; clientSecret: string }): Promise<number> {
    const response = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuth(credentials.clientId, credentials.clientSecret),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', audience: `${url}/api/v2/` }).toString(),
    });
    await response.arrayBuffer();
    return response.status;
  }

  /** Starts the service on dataDir, waits for it, runs `during`, stops it (SIGTERM) and returns its output. */
  async function serve(during: (stdout: () => string) => Promise<void> = async () => undefined): Promise<string> {
    const service = spawnNode(MAIN, [], env());
    try {
      await waitUntilStarted(service, url);
      await during(service.stdout);
    } finally {
      service.child.kill('SIGTERM');
      expect(await service.closed).toBe(0);
    }
    return service.stdout();
  }

  const resetCredentials = () => {
    const cli = spawnNode(CLI, ['admin', 'reset-credentials'], env());
    return cli.closed.then((code) => ({ code, stdout: cli.stdout(), stderr: cli.stderr() }));
  };

  let first: { clientId: string; clientSecret: string };

  it('on a port in use: exits 1 with a clear message and creates nothing', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const service = spawnNode(MAIN, [], env());
      expect(await service.closed).toBe(1);
      expect(service.stderr()).toContain(`port ${port} on 127.0.0.1 is in use by another program: stop it, or set PORT`);
      expect(credentialsIn(service.stdout())).toBeUndefined();
      expect(fs.existsSync(path.join(dataDir, 'pgdata'))).toBe(false);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('the first start that serves prints the generated credentials once, and they work', async () => {
    const stdout = await serve(async (out) => {
      const printed = credentialsIn(out());
      expect(printed).toBeDefined();
      first = printed!;
      expect(await tokenStatus(first)).toBe(200);
    });
    expect(stdout).toContain('Management API credentials (shown once)');
  });

  it('later starts print no secret, but where to go next and how to recover the credentials', async () => {
    const stdout = await serve(async () => {
      expect(await tokenStatus(first)).toBe(200);
      // The CLI refuses to open the embedded database the running service holds.
      const refused = await resetCredentials();
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/is in use by process \d+ \(a running apiauth\?\): stop it first/);
      expect(credentialsIn(refused.stdout)).toBeUndefined();
    });
    expect(credentialsIn(stdout)).toBeUndefined();
    expect(stdout).toContain(
      `apiauth: explorer ${url}/explorer · discovery ${url}/.well-known/openid-configuration · lost the management credentials? npx apiauth admin reset-credentials`,
    );
  });

  it('admin reset-credentials gives the same client a new secret, printed once; the old one stops working', async () => {
    const reset = await resetCredentials();
    expect(reset.code).toBe(0);
    const renewed = credentialsIn(reset.stdout);
    expect(renewed).toMatchObject({ clientId: first.clientId });
    expect(renewed!.clientSecret).not.toBe(first.clientSecret);
    await serve(async () => {
      expect(await tokenStatus(renewed!)).toBe(200);
      expect(await tokenStatus(first)).toBe(401);
    });
  });

  it('the CLI explains itself and refuses what it does not know (exit 2)', async () => {
    const help = spawnNode(CLI, ['--help'], {});
    expect(await help.closed).toBe(0);
    expect(help.stdout()).toContain('admin reset-credentials');
    const unknown = spawnNode(CLI, ['admin', 'frobnicate'], {});
    expect(await unknown.closed).toBe(2);
    expect(unknown.stderr()).toContain('unknown command "admin frobnicate"');
  });

  it('a SIGTERM as soon as a first start is ready waits for the credentials to be made and printed, then exits 0', async () => {
    const fresh = path.join(root, 'stopped-at-once');
    const service = spawnNode(MAIN, [], { ...env(), DATA_DIR: fresh });
    // /readyz answers 200 as the listener opens, while the first client is still being made.
    await waitUntilReady(service, url);
    service.child.kill('SIGTERM');
    expect(await service.closed).toBe(0);
    expect(service.stderr()).not.toContain('failed to start');
    const printed = credentialsIn(service.stdout());
    expect(printed).toBeDefined();
    // What was printed is what was stored: the next start on the directory serves that client.
    const again = spawnNode(MAIN, [], { ...env(), DATA_DIR: fresh });
    try {
      await waitUntilStarted(again, url);
      expect(await tokenStatus(printed!)).toBe(200);
    } finally {
      again.child.kill('SIGTERM');
      expect(await again.closed).toBe(0);
    }
  });
});
