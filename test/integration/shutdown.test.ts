import { spawn, ChildProcess } from 'node:child_process';
import { within } from '../helpers/within';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { BOOTSTRAP, connectionRefused, freePort } from '../helpers/test-app';
import { basicAuth } from '../helpers/fixtures';
import { DATA_ROOT } from '../helpers/data-root';

/**
 * Graceful shutdown of the real process (`node dist/src/main.js`, built by `npm test`'s pretest):
 * SIGTERM stops accepting connections, lets the requests in flight finish, closes the database and
 * exits 0; a shutdown that overruns SHUTDOWN_TIMEOUT_SECONDS, or a second signal, exits 1.
 */
const MAIN = path.resolve(__dirname, '../../dist/src/main.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Instance {
  child: ChildProcess;
  url: string;
  port: number;
  stdout: () => string;
  /** The JSON log lines written so far. */
  logs: () => Record<string, any>[];
  exited: Promise<{ code: number | null; at: number }>;
}

describe('graceful shutdown (the built process)', () => {
  const dataDir = fs.mkdtempSync(path.join(DATA_ROOT, 'apiauth-shutdown-'));
  const masterKey = randomBytes(32).toString('base64');
  let databaseUrl: string | undefined;
  let schema: string | undefined;
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does it in pretest)`);
    const external = process.env.DATABASE_URL;
    if (external) {
      // One fresh schema for the processes of this file, one after the other.
      schema = `t_${randomBytes(6).toString('hex')}`;
      const admin = new Client({ connectionString: external });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.end();
      const url = new URL(external);
      url.searchParams.set('options', `-c search_path=${schema}`);
      databaseUrl = url.toString();
    }
  });

  afterAll(async () => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (schema) {
      const admin = new Client({ connectionString: process.env.DATABASE_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  });

  async function start(env: Record<string, string> = {}): Promise<Instance> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        HOST: '127.0.0.1',
        ISSUER: url,
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATA_DIR: dataDir }),
        MASTER_KEY: masterKey,
        BOOTSTRAP_CLIENT_ID: BOOTSTRAP.clientId,
        BOOTSTRAP_CLIENT_SECRET: BOOTSTRAP.clientSecret,
        LOG_LEVEL: 'info',
        EXPLORER: 'false',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      child.once('exit', (code) => resolve({ code, at: Date.now() })),
    );
    const logs = () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the service exited at start (${child.exitCode}): ${stderr}${stdout}`);
      try {
        if ((await fetch(`${url}/readyz`)).status === 200) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`the service did not become ready: ${stderr}${stdout}`);
      await sleep(100);
    }
    return { child, url, port, stdout: () => stdout, logs, exited };
  }

  async function managementToken(instance: Instance): Promise<string> {
    const response = await fetch(`${instance.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuth(BOOTSTRAP.clientId, BOOTSTRAP.clientSecret),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', audience: `${instance.url}/api/v2/` }).toString(),
    });
    expect(response.status).toBe(200);
    return (await response.json()).access_token;
  }

  /** A request that is not finished: headers sent, body still owed (a slow client). */
  function unfinishedRequest(port: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(
          'POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=',
        );
        resolve(socket);
      });
      socket.on('error', () => undefined);
      socket.once('error', reject);
    });
  }

  it('on SIGTERM: finishes the requests in flight, refuses new connections, closes and exits 0', async () => {
    const instance = await start({ SHUTDOWN_TIMEOUT_SECONDS: '15' });
    const mgmt = await managementToken(instance);

    // A naturally slow request: several RSA key generations in one mutation (run one after the other).
    const slowStarted = Date.now();
    const slow = fetch(`${instance.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${mgmt}` },
      body: JSON.stringify({
        query: `mutation {
          a: signingKeyRotate(algorithm: RS256) { userErrors { code } }
          b: signingKeyRotate(algorithm: RS256) { userErrors { code } }
          c: resourceServerCreate(input: { name: "PS", identifier: "https://ps.shutdown.example/", signingAlgorithm: PS256 }) { resourceServer { id } userErrors { code } }
          d: signingKeyRotate(algorithm: PS256) { userErrors { code } }
          e: signingKeyRotate(algorithm: PS256) { userErrors { code } }
        }`,
      }),
    }).then(async (response) => ({ status: response.status, body: await response.json(), at: Date.now() }));
    // Once a request sent after it has been answered, the server has read the slow one and is at work on it.
    await sleep(50);
    expect((await fetch(`${instance.url}/healthz`)).status).toBe(200);
    const signalledAt = Date.now();
    instance.child.kill('SIGTERM');

    // The listener closes once the process handles the signal (how soon depends on the machine's load);
    // it must do so while the slow request is still being worked on.
    await within(10_000, () => connectionRefused(instance.port));
    const refusedAt = Date.now();

    const slowResult = await slow;
    expect(slowResult.status).toBe(200);
    expect(slowResult.body.errors).toBeUndefined();
    expect(Object.values(slowResult.body.data).map((payload: any) => payload.userErrors)).toEqual([[], [], [], [], []]);
    // It really was in flight when the signal came, and still when new connections were refused.
    expect(slowResult.at).toBeGreaterThan(signalledAt);
    expect(slowResult.at).toBeGreaterThanOrEqual(refusedAt);

    const { code, at } = await instance.exited;
    expect(code).toBe(0);
    expect(at - signalledAt).toBeLessThan(15_000);

    const logs = instance.logs();
    const messages = logs.map((line) => line.msg);
    expect(logs.find((line) => line.msg === 'shutting down')).toMatchObject({ signal: 'SIGTERM', timeoutSeconds: 15, delaySeconds: 0 });
    expect(messages).toContain('shutdown complete');
    expect(messages.slice(messages.indexOf('shutdown complete'))).toEqual(['shutdown complete']);
    // The slow request's access line was written before the end.
    expect(logs.filter((line) => line.msg === 'request' && line.route === '/graphql' && line.status === 200).length).toBeGreaterThan(0);
    expect(Date.now() - slowStarted).toBeLessThan(20_000);
  });

  it('with SHUTDOWN_DELAY_SECONDS: /readyz answers 503 shutting_down while it still serves, then it closes and exits 0', async () => {
    const instance = await start({ SHUTDOWN_DELAY_SECONDS: '1', SHUTDOWN_TIMEOUT_SECONDS: '5' });
    const signalledAt = Date.now();
    instance.child.kill('SIGTERM');
    await sleep(200);
    const ready = await fetch(`${instance.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'shutting_down' });
    expect((await fetch(`${instance.url}/healthz`)).status).toBe(200);
    const { code, at } = await instance.exited;
    expect(code).toBe(0);
    expect(at - signalledAt).toBeGreaterThanOrEqual(1000);
    expect(await connectionRefused(instance.port)).toBe(true);
  });

  it('exits 1 when the shutdown overruns SHUTDOWN_TIMEOUT_SECONDS (a request never finishes)', async () => {
    const instance = await start({ SHUTDOWN_TIMEOUT_SECONDS: '1' });
    const socket = await unfinishedRequest(instance.port);
    await sleep(100);
    const signalledAt = Date.now();
    instance.child.kill('SIGTERM');
    const { code, at } = await instance.exited;
    socket.destroy();
    expect(code).toBe(1);
    expect(at - signalledAt).toBeGreaterThanOrEqual(900);
    expect(at - signalledAt).toBeLessThan(5000);
    expect(instance.logs().find((line) => line.msg === 'shutdown timed out: exiting')).toMatchObject({ level: 50, timeoutSeconds: 1 });
  });

  it('exits at once on a second signal', async () => {
    const instance = await start({ SHUTDOWN_TIMEOUT_SECONDS: '60' });
    const socket = await unfinishedRequest(instance.port);
    await sleep(100);
    instance.child.kill('SIGTERM');
    await sleep(300);
    expect(instance.child.exitCode).toBeNull();
    const secondAt = Date.now();
    instance.child.kill('SIGINT');
    const { code, at } = await instance.exited;
    socket.destroy();
    expect(code).toBe(1);
    expect(at - secondAt).toBeLessThan(2000);
    expect(instance.logs().find((line) => line.msg === 'second signal: exiting now')).toMatchObject({ signal: 'SIGINT' });
  });
});
