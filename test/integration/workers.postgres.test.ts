import { spawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { connectionRefused, freePort } from '../helpers/test-app';
import { basicAuth } from '../helpers/fixtures';

/**
 * WORKERS=2: the built process (`node dist/src/main.js`) as a cluster on PostgreSQL, each cluster
 * in a fresh schema. Requests go over a new connection each (the primary hands connections to the
 * workers in turn), and the worker that answered is read from its access line (`worker`, found by
 * the request's x-request-id): nothing in a response tells the workers apart.
 */
const MAIN = path.resolve(__dirname, '../../dist/src/main.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
  /** The x-request-id it was sent with. */
  id: string;
}

interface Cluster {
  child: ChildProcess;
  url: string;
  port: number;
  metricsPort: number;
  stdout: () => string;
  stderr: () => string;
  logs: () => Record<string, any>[];
  exited: Promise<{ code: number | null; at: number }>;
  /** One request on a connection of its own. */
  request(method: string, urlPath: string, options?: { headers?: Record<string, string>; body?: string }): Promise<Answer>;
  /** The worker (its cluster id) that answered the request, from its access line. */
  workerOf(answer: Answer): Promise<number>;
}

describe('WORKERS=2: a cluster of server processes on one port', () => {
  const external = process.env.DATABASE_URL!;
  const schemas: string[] = [];
  const running: ChildProcess[] = [];

  afterAll(async () => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const admin = new Client({ connectionString: external });
    await admin.connect();
    for (const schema of schemas) await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  });

  async function freshSchema(): Promise<string> {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = new Client({ connectionString: external });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    schemas.push(schema);
    const url = new URL(external);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return url.toString();
  }

  /** Spawns the process; `ready` waits for the primary's "workers ready" line. */
  async function spawnCluster(env: Record<string, string | undefined>, { ready = true } = {}): Promise<Cluster> {
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does it in pretest)`);
    const port = await freePort();
    const metricsPort = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const childEnv: Record<string, string> = {
      PATH: process.env.PATH!,
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER: url,
      MASTER_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'info',
      EXPLORER: 'false',
      WORKERS: '2',
      METRICS_PORT: String(metricsPort),
    };
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined) delete childEnv[name];
      else childEnv[name] = value;
    }
    const child = spawn(process.execPath, [MAIN], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      // 'close', not 'exit': by then every line the process wrote has been read (its output pipes are closed).
      child.once('close', (code) => resolve({ code, at: Date.now() })),
    );
    const logs = () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line));

    const request: Cluster['request'] = (method, urlPath, options = {}) =>
      new Promise((resolve, reject) => {
        const id = `wk-${randomBytes(8).toString('hex')}`;
        const req = http.request(
          `${url}${urlPath}`,
          { method, agent: false, headers: { 'x-request-id': id, ...options.headers } },
          (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk) => (text += chunk));
            response.on('end', () => {
              let body: any = text;
              try {
                body = JSON.parse(text);
              } catch {
                /* not JSON */
              }
              resolve({ status: response.statusCode!, headers: response.headers, body, id });
            });
          },
        );
        req.on('error', reject);
        req.end(options.body);
      });
    const workerOf = async (answer: Answer) => {
      // The access line is written once the response is sent: it may trail the response a little.
      for (let i = 0; i < 100; i++) {
        const line = logs().find((entry) => entry.reqId === answer.id && entry.msg === 'request');
        if (line) return line.worker as number;
        await sleep(20);
      }
      throw new Error(`no access line for ${answer.id}`);
    };

    const cluster: Cluster = {
      child,
      url,
      port,
      metricsPort,
      stdout: () => stdout,
      stderr: () => stderr,
      logs,
      exited,
      request,
      workerOf,
    };
    if (!ready) return cluster;
    const deadline = Date.now() + 60_000;
    // The primary's "workers ready" and each worker's own "apiauth ready" come through the shared pipe
    // from different processes, in no set order: wait for all of them.
    const workers = Number(childEnv.WORKERS ?? 1);
    while (!logs().some((line) => line.msg === 'workers ready') || logs().filter((line) => line.msg === 'apiauth ready').length < workers) {
      if (child.exitCode !== null) throw new Error(`the service exited at start (${child.exitCode}): ${stderr}${stdout}`);
      if (Date.now() > deadline) throw new Error(`the workers did not become ready: ${stderr}${stdout}`);
      await sleep(100);
    }
    return cluster;
  }

  /** The token request of a machine client, as a form. */
  const tokenForm = (params: Record<string, string>) => ({
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });

  describe('a running cluster', () => {
    let cluster: Cluster;
    let credentials: { clientId: string; clientSecret: string };
    let mgmt: string;

    const gql = async (query: string, variables: Record<string, unknown> = {}) => {
      const answer = await cluster.request('POST', '/graphql', {
        headers: { 'content-type': 'application/json', authorization: `Bearer ${mgmt}` },
        body: JSON.stringify({ query, variables }),
      });
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      return answer.body.data;
    };

    const scrape = async () => {
      const response = await fetch(`http://127.0.0.1:${cluster.metricsPort}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const text = await response.text();
      return (name: string, labels = '') => {
        const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
        return line === undefined ? 0 : Number(line.split(' ').pop());
      };
    };

    /** Sends `send()` until both workers have answered (each answer goes to `check` with its worker). */
    async function overBothWorkers(send: () => Promise<Answer>, check: (answer: Answer, worker: number) => void, atLeast = 4) {
      const workers = new Set<number>();
      for (let i = 0; i < 40 && (workers.size < 2 || i < atLeast); i++) {
        const answer = await send();
        const worker = await cluster.workerOf(answer);
        check(answer, worker);
        workers.add(worker);
      }
      expect(workers.size).toBe(2);
      return workers;
    }

    beforeAll(async () => {
      cluster = await spawnCluster({
        DATABASE_URL: await freshSchema(),
        // Debug: the probes' access lines too, so a /readyz answer can be told to come from a worker.
        LOG_LEVEL: 'debug',
        SHUTDOWN_DELAY_SECONDS: '1',
        SHUTDOWN_TIMEOUT_SECONDS: '15',
        RATE_LIMIT_GRAPHQL_TOKENLESS: '6/1m',
      });
      // The management client printed at the first start, and its token: every test below uses them.
      const stdout = cluster.stdout();
      credentials = {
        clientId: /client_id: +(\S+)/.exec(stdout)![1],
        clientSecret: /client_secret: +(\S+)/.exec(stdout)![1],
      };
      const granted = await cluster.request('POST', '/oauth/token', {
        ...tokenForm({ grant_type: 'client_credentials', audience: `${cluster.url}/api/v2/` }),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicAuth(credentials.clientId, credentials.clientSecret),
        },
      });
      expect(granted.status).toBe(200);
      mgmt = granted.body.access_token;
    }, 90_000);

    it('starts the first worker alone, then the other; every log line names its process; the credentials are printed once', async () => {
      const logs = cluster.logs();
      for (const line of logs) expect(typeof line.worker).toBe('number');
      const primary = logs.find((line) => line.msg === 'apiauth primary started')!;
      expect(primary).toMatchObject({ worker: 0, workers: 2, rateLimits: 'primary', pid: cluster.child.pid });

      const ready = logs.filter((line) => line.msg === 'apiauth ready');
      expect(ready.map((line) => line.worker).sort()).toEqual([1, 2]);
      expect(new Set(ready.map((line) => line.pid)).size).toBe(2);
      expect(ready.map((line) => line.pid)).not.toContain(cluster.child.pid);
      // Worker 2 was forked once worker 1 listened (so never raced its migrations and bootstrap).
      const primaryLines = logs.filter((line) => line.worker === 0).map((line) => `${line.msg} ${line.workerId ?? ''}`.trim());
      expect(primaryLines).toEqual([
        'metrics listening',
        'apiauth primary started',
        'worker starting 1',
        'worker serving 1',
        'worker starting 2',
        'worker serving 2',
        'workers ready',
      ]);

      expect(cluster.stdout().split('Management API credentials (shown once)').length - 1).toBe(1);
      expect(mgmt).toEqual(expect.any(String));
    });

    it('both workers answer on the one port, and nothing in a response tells them apart', async () => {
      const seen: Answer[] = [];
      await overBothWorkers(
        () => cluster.request('GET', '/.well-known/jwks.json'),
        (answer) => {
          expect(answer.status).toBe(200);
          seen.push(answer);
        },
      );
      // The same keys from both, and no header naming a process.
      expect(new Set(seen.map((answer) => JSON.stringify(answer.body))).size).toBe(1);
      for (const answer of seen) {
        expect(Object.keys(answer.headers).filter((name) => /worker|pid|server|x-powered/i.test(name))).toEqual([]);
      }
    });

    it('a grant deleted through one worker is enforced by both: the change feed reaches every worker', async () => {
      const api = await gql(
        `mutation($input: ResourceServerCreateInput!) { resourceServerCreate(input: $input) { resourceServer { id identifier } } }`,
        { input: { name: 'Workers', identifier: 'https://workers.example/', signingAlgorithm: 'ES256', scopes: [{ value: 'read:x' }] } },
      );
      const server = api.resourceServerCreate.resourceServer;
      const client = await gql(
        `mutation { clientCreate(input: { name: "m2m", appType: MACHINE_TO_MACHINE, tokenEndpointAuthMethod: CLIENT_SECRET_POST }) { client { id clientId } clientSecret } }`,
      );
      const { client: c, clientSecret } = client.clientCreate;
      const grant = await gql(`mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { clientGrant { id } } }`, {
        input: { clientId: c.id, resourceServerId: server.id, scopes: ['read:x'] },
      });
      const grantId = grant.clientGrantCreate.clientGrant.id;
      const send = () =>
        cluster.request(
          'POST',
          '/oauth/token',
          tokenForm({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: clientSecret, audience: server.identifier }),
        );

      // Both workers issue tokens for the grant (and so hold it in their caches).
      await overBothWorkers(send, (answer) => expect(answer.status).toBe(200));

      const deleted = await gql(`mutation($id: ID!) { clientGrantDelete(id: $id) { deletedId } }`, { id: grantId });
      expect(deleted.clientGrantDelete.deletedId).toBe(grantId);

      // Within a second each worker refuses, and once it refused it never issues again.
      const refusedBy = new Set<number>();
      const deadline = Date.now() + 1000;
      let after = 0;
      while (refusedBy.size < 2 || after < 6) {
        expect(Date.now() < deadline || refusedBy.size === 2).toBe(true);
        const answer = await send();
        const worker = await cluster.workerOf(answer);
        if (refusedBy.has(worker)) expect(answer.status).toBe(403);
        if (answer.status === 403) {
          expect(answer.body.error).toBe('access_denied');
          refusedBy.add(worker);
        }
        if (refusedBy.size === 2) after++;
      }
    });

    it('a rate-limit budget is one for the machine, whichever worker counts (no Redis: the primary counts)', async () => {
      const tokenless = () =>
        cluster.request('POST', '/graphql', {
          headers: { 'content-type': 'application/json' },
          body: '{"query":"{ resourceServers(first: 1) { totalCount } }"}',
        });
      const remaining: string[] = [];
      const workers = new Set<number>();
      for (let i = 0; i < 6; i++) {
        const answer = await tokenless();
        expect(answer.status).toBe(401);
        remaining.push(String(answer.headers['ratelimit-remaining']));
        workers.add(await cluster.workerOf(answer));
      }
      // Counted down as one budget although both workers answered.
      expect(workers.size).toBe(2);
      expect(remaining).toEqual(['5', '4', '3', '2', '1', '0']);
      const refusedBy = new Set<number>();
      for (let i = 0; i < 4; i++) {
        const answer = await tokenless();
        expect(answer.status).toBe(429);
        expect(answer.body.errors[0].extensions.code).toBe('RATE_LIMITED');
        expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
        refusedBy.add(await cluster.workerOf(answer));
      }
      expect(refusedBy.size).toBe(2);
    });

    it('the primary serves /metrics with the workers summed (and only the primary: not on the public port)', async () => {
      const before = await scrape();
      const okLabels = '{method="GET",route="/.well-known/openid-configuration",status="200"}';
      await overBothWorkers(
        () => cluster.request('GET', '/.well-known/openid-configuration'),
        (answer) => expect(answer.status).toBe(200),
        6,
      );
      const sent = cluster.logs().filter((line) => line.msg === 'request' && line.route === '/.well-known/openid-configuration').length;
      const after = await scrape();
      expect(
        after('apiauth_http_request_duration_seconds_count', okLabels) - before('apiauth_http_request_duration_seconds_count', okLabels),
      ).toBe(sent);
      expect(after('apiauth_workers')).toBe(2);
      expect(after('apiauth_rate_limited_total', '{limit="graphql-tokenless"}')).toBe(4);
      expect((await cluster.request('GET', '/metrics')).status).toBe(404);
      const listening = cluster.logs().filter((line) => line.msg === 'metrics listening');
      expect(listening.map((line) => line.worker)).toEqual([0]);
    });

    it('a worker that dies is logged and replaced; the credentials are not printed again', async () => {
      const victim = cluster.logs().find((line) => line.msg === 'apiauth ready' && line.worker === 1)!;
      process.kill(victim.pid, 'SIGKILL');
      const deadline = Date.now() + 30_000;
      while (!cluster.logs().some((line) => line.msg === 'apiauth ready' && line.worker === 3)) {
        expect(Date.now()).toBeLessThan(deadline);
        await sleep(100);
      }
      expect(cluster.logs().find((line) => line.msg === 'worker exited unexpectedly: replacing it')).toMatchObject({
        level: 50,
        worker: 0,
        workerId: 1,
        workerPid: victim.pid,
        code: null,
        signal: 'SIGKILL',
        restartInMs: 500,
      });
      const workers = await overBothWorkers(
        () => cluster.request('GET', '/.well-known/jwks.json'),
        (answer) => expect(answer.status).toBe(200),
      );
      expect([...workers].sort()).toEqual([2, 3]);
      expect(cluster.stdout().split('Management API credentials (shown once)').length - 1).toBe(1);
      const metrics = await scrape();
      expect(metrics('apiauth_worker_exits_total')).toBe(1);
      expect(metrics('apiauth_workers')).toBe(2);
    });

    it('on SIGTERM every worker drains (/readyz 503 during the delay) and closes; the primary exits 0', async () => {
      const signalledAt = Date.now();
      cluster.child.kill('SIGTERM');
      await sleep(300);
      await overBothWorkers(
        () => cluster.request('GET', '/readyz'),
        (answer) => {
          expect(answer.status).toBe(503);
          expect(answer.body).toEqual({ status: 'shutting_down' });
        },
      );
      const { code, at } = await cluster.exited;
      expect(code).toBe(0);
      expect(at - signalledAt).toBeGreaterThanOrEqual(1000);
      expect(await connectionRefused(cluster.port)).toBe(true);
      expect(await connectionRefused(cluster.metricsPort)).toBe(true);
      const logs = cluster.logs();
      for (const worker of [2, 3]) {
        expect(logs.find((line) => line.worker === worker && line.msg === 'shutting down')).toMatchObject({
          signal: 'SIGTERM',
          delaySeconds: 1,
        });
        expect(logs.some((line) => line.worker === worker && line.msg === 'shutdown complete')).toBe(true);
        expect(logs.find((line) => line.worker === 0 && line.msg === 'worker exited' && line.workerId === worker)).toMatchObject({
          code: 0,
        });
      }
      // The primary completes (it exits 0 only once every worker exited with 0, logged above). The
      // order of its lines against the workers' in the shared pipe is not asserted: they are written
      // by different processes.
      expect(logs.some((line) => line.worker === 0 && line.msg === 'shutdown complete')).toBe(true);
    });
  });

  describe('refusals and failures', () => {
    /** A request that never finishes: headers sent, body still owed (a slow client). */
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

    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };

    it('refuses WORKERS above 1 without DATABASE_URL (the embedded database serves one process), forking nothing', async () => {
      const cluster = await spawnCluster({ DATA_DIR: '/nonexistent/apiauth-workers' }, { ready: false });
      const { code } = await cluster.exited;
      expect(code).toBe(2);
      expect(cluster.stderr()).toContain('WORKERS above 1 needs DATABASE_URL (PostgreSQL): the embedded database serves one process only');
      expect(cluster.logs()).toEqual([]);
    });

    it('gives up with exit 1 when workers keep failing to start (an unreachable database), after retrying with a backoff', async () => {
      const startedAt = Date.now();
      const cluster = await spawnCluster({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' }, { ready: false });
      const { code } = await cluster.exited;
      expect(code).toBe(1);
      const logs = cluster.logs();
      const retries = logs.filter((line) => line.msg === 'worker failed to start: retrying');
      expect(retries.map((line) => [line.workerId, line.restartInMs])).toEqual([
        [1, 500],
        [2, 1000],
      ]);
      expect(logs.find((line) => line.msg === 'workers keep failing to start: giving up')).toMatchObject({
        worker: 0,
        workerId: 3,
        failures: 3,
      });
      // One at a time: never a second worker while the first has not started.
      expect(logs.filter((line) => line.msg === 'worker starting').map((line) => line.workerId)).toEqual([1, 2, 3]);
      expect(logs.some((line) => line.msg === 'apiauth ready')).toBe(false);
      expect(
        logs.some((line) => line.worker === 0 && line.level === 50 && line.msg === 'shutdown complete, not cleanly: exiting with 1'),
      ).toBe(true);
      expect(Date.now() - startedAt).toBeGreaterThan(1500);
    });

    it('exits 1 when a worker overruns SHUTDOWN_TIMEOUT_SECONDS (a request never finishes)', async () => {
      const cluster = await spawnCluster({ DATABASE_URL: await freshSchema(), SHUTDOWN_TIMEOUT_SECONDS: '1' });
      const socket = await unfinishedRequest(cluster.port);
      await sleep(200);
      const signalledAt = Date.now();
      cluster.child.kill('SIGTERM');
      const { code, at } = await cluster.exited;
      socket.destroy();
      expect(code).toBe(1);
      expect(at - signalledAt).toBeGreaterThanOrEqual(900);
      expect(at - signalledAt).toBeLessThan(6000);
      const logs = cluster.logs();
      // The worker holding the request timed out; the other closed cleanly.
      const timedOut = logs.filter((line) => line.msg === 'shutdown timed out: exiting');
      expect(timedOut).toHaveLength(1);
      expect(timedOut[0].worker).toBeGreaterThan(0);
      expect(logs.find((line) => line.msg === 'worker exited' && line.workerId === timedOut[0].worker)).toMatchObject({
        level: 50,
        code: 1,
      });
      expect(logs.some((line) => line.worker === 0 && line.msg === 'shutdown complete, not cleanly: exiting with 1')).toBe(true);
    });

    it('leaves no worker behind when the primary is killed (node:cluster ends them)', async () => {
      const cluster = await spawnCluster({ DATABASE_URL: await freshSchema() });
      const workerPids = cluster
        .logs()
        .filter((line) => line.msg === 'apiauth ready')
        .map((line) => line.pid as number);
      expect(workerPids).toHaveLength(2);
      cluster.child.kill('SIGKILL');
      await cluster.exited;
      const deadline = Date.now() + 5000;
      while (workerPids.some(alive)) {
        expect(Date.now()).toBeLessThan(deadline);
        await sleep(50);
      }
      expect(await connectionRefused(cluster.port)).toBe(true);
    });

    it('exits 1 at once on a second signal, ending every worker', async () => {
      const cluster = await spawnCluster({ DATABASE_URL: await freshSchema(), SHUTDOWN_TIMEOUT_SECONDS: '60' });
      const workerPids = cluster
        .logs()
        .filter((line) => line.msg === 'apiauth ready')
        .map((line) => line.pid as number);
      expect(workerPids).toHaveLength(2);
      const socket = await unfinishedRequest(cluster.port);
      await sleep(200);
      cluster.child.kill('SIGTERM');
      await sleep(300);
      expect(cluster.child.exitCode).toBeNull();
      const secondAt = Date.now();
      cluster.child.kill('SIGINT');
      const { code, at } = await cluster.exited;
      socket.destroy();
      expect(code).toBe(1);
      expect(at - secondAt).toBeLessThan(2000);
      expect(cluster.logs().find((line) => line.msg === 'second signal: exiting now')).toMatchObject({ worker: 0, signal: 'SIGINT' });
      const deadline = Date.now() + 3000;
      while (workerPids.some(alive)) {
        expect(Date.now()).toBeLessThan(deadline);
        await sleep(50);
      }
    });
  });
});
