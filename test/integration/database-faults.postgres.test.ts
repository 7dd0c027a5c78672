import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { startTestServer, TestServer } from '../helpers/test-app';
import { TcpProxy } from '../helpers/tcp-proxy';
import { basicAuth } from '../helpers/fixtures';

/** Polls `check` until it returns true or `ms` passes. */
async function within(ms: number, check: () => Promise<boolean>): Promise<void> {
  const start = Date.now();
  while (Date.now() - start <= ms) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not within ${ms} ms`);
}

/**
 * Database faults on PostgreSQL: every connection killed while tokens are issued, and the database
 * unreachable for a while (a TCP proxy the test cuts). The process survives, the hot path keeps
 * answering from its caches, what needs the database answers 503 quickly, and everything recovers.
 */
describe('database faults (PostgreSQL)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let a: TestServer;
  let b: TestServer;
  let machine: { params: Record<string, string>; auth: string; grantId: string };

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = TcpProxy.for(db.url);
    await proxy.up();
    // Instances behind one load balancer share the issuer (and so the Management API audience).
    const env = { DATABASE_URL: proxy.url(db.url), ISSUER: 'https://auth.faults.test', DATABASE_STATEMENT_TIMEOUT_MS: '2000' };
    const masterKey = randomBytes(32).toString('base64');
    a = await startTestServer({ db, env, masterKey });
    b = await startTestServer({ db, env, masterKey });
    const api = await a.gql(
      `mutation { resourceServerCreate(input: { name: "Faults", identifier: "https://faults.example/", scopes: [{ value: "read:x" }] }) { resourceServer { id identifier } } }`,
    );
    const server = api.body.data.resourceServerCreate.resourceServer;
    const client = await a.gql(
      `mutation { clientCreate(input: { name: "m2m", appType: MACHINE_TO_MACHINE }) { client { id clientId } clientSecret } }`,
    );
    const { client: c, clientSecret } = client.body.data.clientCreate;
    const grant = await a.gql(`mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { clientGrant { id } } }`, {
      input: { clientId: c.id, resourceServerId: server.id, scopes: ['read:x'] },
    });
    machine = {
      params: { grant_type: 'client_credentials', audience: server.identifier },
      auth: basicAuth(c.clientId, clientSecret),
      grantId: grant.body.data.clientGrantCreate.clientGrant.id,
    };
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await proxy?.down();
    await db?.drop();
  });

  const clientCredentials = (server: TestServer) => server.token(machine.params, { authorization: machine.auth });
  const readyz = async (server: TestServer) => (await fetch(`${server.url}/readyz`)).status;

  it('every connection killed while tokens are issued: no crash, no 5xx on warm client credentials', async () => {
    // Warm once the change notices of the set-up's writes have come back (each clears the caches,
    // and what a cache never held cannot be served without the database).
    await new Promise((r) => setTimeout(r, 500));
    for (const server of [a, b]) expect((await clientCredentials(server)).status).toBe(200);
    const statuses: number[] = [];
    let running = true;
    const load = (async () => {
      while (running) statuses.push(...(await Promise.all([clientCredentials(a), clientCredentials(b)])).map((r) => r.status));
    })();
    const admin = new Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    let terminated = 0;
    for (let i = 0; i < 3; i++) {
      // The sessions of this test's instances only (those through the proxy), never other runs' on this server.
      const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE client_port = ANY($1::int[])`, [
        proxy.clientPorts(),
      ]);
      terminated += killed.rowCount ?? 0;
      await new Promise((r) => setTimeout(r, 200));
    }
    await admin.end();
    running = false;
    await load;
    // The pool's and the change listener's sessions (the warm path opens none again).
    expect(terminated).toBeGreaterThan(0);
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    // Both instances still serve what needs the database.
    await within(5000, async () => (await readyz(a)) === 200 && (await readyz(b)) === 200);
    expect((await a.gql(`{ resourceServers(first: 1) { edges { node { id } } } }`)).status).toBe(200);
  });

  it('database unreachable: warm client credentials still 200, readiness 503, the rest 503 quickly; then recovery', async () => {
    // Warm: the machine client's token and a Management API token on each instance (their clients and APIs cached).
    for (const server of [a, b]) {
      expect((await clientCredentials(server)).status).toBe(200);
      expect((await server.gql(`{ resourceServers(first: 1) { edges { node { id } } } }`)).status).toBe(200);
    }
    await proxy.down();
    try {
      for (const server of [a, b]) {
        expect((await clientCredentials(server)).status).toBe(200);
        await within(5000, async () => (await readyz(server)) === 503);
        const started = Date.now();
        const gql = await server.gql(`{ resourceServers(first: 1) { edges { node { id } } } }`);
        expect(gql.status).toBe(503);
        expect(gql.body.errors?.[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
        // A request that needs the database: refused, not left hanging (statement and connection timeouts).
        const unknown = await server.token({ ...machine.params, audience: 'https://not-cached.example/' }, { authorization: machine.auth });
        expect(unknown.status).toBe(503);
        expect(unknown.body).toMatchObject({ error: 'temporarily_unavailable' });
        expect(Date.now() - started).toBeLessThan(30_000);
      }
    } finally {
      await proxy.up();
    }
    for (const server of [a, b]) await within(5000, async () => (await readyz(server)) === 200);
    // Changes made after recovery reach both instances (the change listener reconnected).
    const deleted = await a.gql(`mutation($id: ID!) { clientGrantDelete(id: $id) { userErrors { code } } }`, { id: machine.grantId });
    expect(deleted.body.data.clientGrantDelete.userErrors).toEqual([]);
    for (const server of [a, b]) {
      await within(1000, async () => (await clientCredentials(server)).status === 403);
    }
  });

  it('a change seen before the outage is never undone by it: a grant deleted, then the database down, gives no token', async () => {
    const api = await a.gql(
      `mutation { resourceServerCreate(input: { name: "Faults 2", identifier: "https://faults-2.example/", scopes: [{ value: "read:x" }] }) { resourceServer { id identifier } } }`,
    );
    const server = api.body.data.resourceServerCreate.resourceServer;
    const created = await a.gql(
      `mutation { clientCreate(input: { name: "m2m 2", appType: MACHINE_TO_MACHINE }) { client { id clientId } clientSecret } }`,
    );
    const { client, clientSecret } = created.body.data.clientCreate;
    const grant = await a.gql(`mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { clientGrant { id } } }`, {
      input: { clientId: client.id, resourceServerId: server.id, scopes: ['read:x'] },
    });
    const request = () =>
      b.token(
        { grant_type: 'client_credentials', audience: server.identifier },
        { authorization: basicAuth(client.clientId, clientSecret) },
      );
    await within(1000, async () => (await request()).status === 200);
    await a.gql(`mutation($id: ID!) { clientGrantDelete(id: $id) { userErrors { code } } }`, {
      id: grant.body.data.clientGrantCreate.clientGrant.id,
    });
    await within(1000, async () => (await request()).status === 403);
    await proxy.down();
    try {
      // Refused: from the cache (403, the deletion is known) or, once the cache was reset, for want of the database (503).
      const during = await request();
      expect([403, 503]).toContain(during.status);
      expect(during.body.access_token).toBeUndefined();
    } finally {
      await proxy.up();
    }
    await within(5000, async () => (await readyz(b)) === 200);
    expect((await request()).status).toBe(403);
  });
});
