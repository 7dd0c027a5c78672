import { randomBytes } from 'node:crypto';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { within } from '../helpers/within';
import { freePort, startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, ClientFixture, fixtures } from '../helpers/fixtures';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';

/**
 * The token endpoint's caches drop exactly what a change touches, on every instance: changes are
 * made through instance B and observed on instance A, whose cache statistics
 * (`apiauth_registry_lookups_total`, read from its /metrics) show that entries the change did not
 * touch were still answered from memory.
 */

type Lookups = Record<string, number>;

describe('targeted cache invalidation across two instances', () => {
  // (A client's grants are read with it: a grant lookup of a cached client is a grants hit.)
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let metricsPort: number;
  let api1: ApiFixture;
  let api2: ApiFixture;
  let c1: ClientFixture;
  let c2: ClientFixture;
  const masterKey = randomBytes(32).toString('base64');
  const issuer = 'https://auth.invalidation.test';

  beforeAll(async () => {
    db = await createTestDatabase();
    metricsPort = await freePort();
    a = await startTestServer({ db, masterKey, env: { ISSUER: issuer, METRICS_PORT: String(metricsPort) } });
    b = await startTestServer({ db, masterKey, env: { ISSUER: issuer } });
    const f = fixtures(() => b, 'invalidation');
    api1 = await f.createApi();
    api2 = await f.createApi();
    c1 = await f.createClient();
    c2 = await f.createClient();
    await f.createGrant(c1, api1, ['read:x', 'write:x']);
    await f.createGrant(c1, api2, ['read:x', 'write:x']);
    await f.createGrant(c2, api1, ['read:x']);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  const token = (server: TestServer, client: ClientFixture, api: ApiFixture, scope?: string) =>
    server.token(
      { grant_type: 'client_credentials', audience: api.identifier, ...(scope ? { scope } : {}) },
      { authorization: basicAuth(client.clientId, client.clientSecret!) },
    );

  /** A's lookups so far, `<cache>|<hit|miss>` → count, from its Prometheus endpoint. */
  async function lookups(): Promise<Lookups> {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const counts: Lookups = {};
    for (const match of text.matchAll(/^apiauth_registry_lookups_total\{cache="(\w+)",result="(\w+)"\} (\d+)$/gm)) {
      counts[`${match[1]}|${match[2]}`] = Number(match[3]);
    }
    return counts;
  }
  const missesSince = (before: Lookups, after: Lookups) =>
    Object.fromEntries(
      Object.keys(after)
        .filter((key) => key.endsWith('|miss') && after[key] !== (before[key] ?? 0))
        .map((key) => [key.split('|')[0], after[key] - (before[key] ?? 0)]),
    );

  /** Every warm pair on A: each answers 200. */
  async function warmAll(): Promise<void> {
    for (const [client, api] of [
      [c1, api1],
      [c1, api2],
      [c2, api1],
    ] as const) {
      expect((await token(a, client, api)).status).toBe(200);
    }
  }

  /** Requests on A for the pairs the change did not touch: all from memory. */
  async function expectUntouchedFromMemory(pairs: [ClientFixture, ApiFixture][]): Promise<void> {
    const before = await lookups();
    for (const [client, api] of pairs) expect((await token(a, client, api)).status).toBe(200);
    expect(missesSince(before, await lookups())).toEqual({});
  }

  it('answers repeated requests from memory: hits grow, misses do not', async () => {
    await warmAll();
    const before = await lookups();
    await warmAll();
    const after = await lookups();
    expect(missesSince(before, after)).toEqual({});
    expect(after['clients|hit']).toBeGreaterThan(before['clients|hit']);
  });

  it('a client renamed: only that client reloads; the other client and every API and grant stay in memory', async () => {
    await warmAll();
    const res = await b.gql(`mutation($id: ID!) { clientUpdate(id: $id, input: { name: "renamed" }) { userErrors { code } } }`, {
      id: c2.id,
    });
    expect(res.body.data.clientUpdate.userErrors).toEqual([]);
    await new Promise((r) => setTimeout(r, 200)); // the notice reaches A
    await expectUntouchedFromMemory([
      [c1, api1],
      [c1, api2],
    ]);
    const before = await lookups();
    expect((await token(a, c2, api1)).status).toBe(200);
    // The client reloads (its grants with it, in the same statement); the API does not.
    expect(missesSince(before, await lookups())).toEqual({ clients: 1 });
  });

  it('a grant deleted: refused on A within a second; the client reloads once (its grants come with it), the other client stays in memory', async () => {
    await warmAll();
    const grants = await b.gql(
      `query($id: ID!) { node(id: $id) { ... on Client { clientGrants(first: 10) { nodes { id resourceServer { id } } } } } }`,
      {
        id: c1.id,
      },
    );
    const grant = grants.body.data.node.clientGrants.nodes.find((g: any) => g.resourceServer.id === api2.id);
    const deleted = await b.gql(`mutation($id: ID!) { clientGrantDelete(id: $id) { userErrors { code } } }`, { id: grant.id });
    expect(deleted.body.data.clientGrantDelete.userErrors).toEqual([]);
    const beforeRefusal = await lookups();
    await within(1000, async () => (await token(a, c1, api2)).status === 403);
    expect(missesSince(beforeRefusal, await lookups())).toEqual({ clients: 1 });
    await expectUntouchedFromMemory([
      [c1, api1],
      [c2, api1],
    ]);
    // Granted again: the refusal (a remembered "no grant") is dropped too.
    await fixtures(() => b, 'invalidation').createGrant(c1, api2, ['read:x']);
    await within(1000, async () => (await token(a, c1, api2)).status === 200);
  });

  it('a secret rotated without grace: the old one is refused on A at once, other clients unaffected', async () => {
    await warmAll();
    const rotated = await b.gql(
      `mutation($id: ID!) { clientSecretRotate(id: $id, input: { previousSecretExpiresIn: 0 }) { clientSecret userErrors { code message } } }`,
      { id: c2.id },
    );
    expect(rotated.body.data.clientSecretRotate.userErrors).toEqual([]);
    await within(1000, async () => (await token(a, c2, api1)).status === 401);
    await expectUntouchedFromMemory([
      [c1, api1],
      [c1, api2],
    ]);
    c2 = { ...c2, clientSecret: rotated.body.data.clientSecretRotate.clientSecret };
    expect((await token(a, c2, api1)).status).toBe(200);
  });

  it('a scope removed from an API: its grants reload on A (the scope is gone from tokens), the other API stays in memory', async () => {
    await warmAll();
    expect((await token(a, c1, api1, 'write:x')).status).toBe(200);
    const removed = await b.gql(`mutation($id: ID!) { resourceServerScopesRemove(id: $id, values: ["write:x"]) { userErrors { code } } }`, {
      id: api1.id,
    });
    expect(removed.body.data.resourceServerScopesRemove.userErrors).toEqual([]);
    await within(1000, async () => (await token(a, c1, api1, 'write:x')).status !== 200);
    await expectUntouchedFromMemory([[c1, api2]]);
  });

  it('users, roles and signing keys changed: nothing in the token endpoint’s caches is dropped', async () => {
    await warmAll();
    await b.app.users.create({ email: 'someone@invalidation.test', password: 'correct horse battery staple' }, SYSTEM_ACTOR);
    const role = await b.gql(`mutation { roleCreate(input: { name: "auditors" }) { role { id } userErrors { code } } }`);
    expect(role.body.data.roleCreate.userErrors).toEqual([]);
    const rotated = await b.gql(`mutation { signingKeyRotate(algorithm: RS256) { userErrors { code } } }`);
    expect(rotated.body.data.signingKeyRotate.userErrors).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    await expectUntouchedFromMemory([
      [c1, api1],
      [c1, api2],
      [c2, api1],
    ]);
  });

  it('a client’s allowed origins changed on B: A’s CORS preflight follows within a second', async () => {
    const origin = 'https://invalidation-spa.example';
    const allowed = async () => {
      const res = await fetch(`${a.url}/oauth/token`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(res.status).toBe(204);
      return res.headers.get('access-control-allow-origin') === origin;
    };
    const setOrigins = async (allowedOrigins: string[]) => {
      const res = await b.gql(
        `mutation($id: ID!, $input: ClientUpdateInput!) { clientUpdate(id: $id, input: $input) { userErrors { code } } }`,
        {
          id: c2.id,
          input: { allowedOrigins },
        },
      );
      expect(res.body.data.clientUpdate.userErrors).toEqual([]);
    };
    expect(await allowed()).toBe(false);
    await setOrigins([origin]);
    await within(1000, allowed);
    // Another client renamed: A still allows the origin.
    const res = await b.gql(`mutation($id: ID!) { clientUpdate(id: $id, input: { name: "renamed again" }) { userErrors { code } } }`, {
      id: c1.id,
    });
    expect(res.body.data.clientUpdate.userErrors).toEqual([]);
    await new Promise((r) => setTimeout(r, 200)); // the notice reaches A
    expect(await allowed()).toBe(true);
    await setOrigins([]);
    await within(1000, async () => !(await allowed()));
  });

  it('remembers an unknown client_id, and forgets it when a client is created', async () => {
    const unknown = () =>
      a.token({ grant_type: 'client_credentials', client_id: 'not-yet-a-client', client_secret: 'x', audience: api1.identifier });
    expect((await unknown()).status).toBe(401);
    let before = await lookups();
    expect((await unknown()).status).toBe(401);
    expect(missesSince(before, await lookups())).toEqual({});
    await fixtures(() => b, 'invalidation').createClient();
    await new Promise((r) => setTimeout(r, 200));
    before = await lookups();
    expect((await unknown()).status).toBe(401);
    expect(missesSince(before, await lookups())).toEqual({ clients: 1 });
  });
  it('hears only its own schema: a deployment in another schema of the same database drops nothing here', async () => {
    const otherDb = await createTestDatabase();
    const other = await startTestServer({ db: otherDb });
    try {
      await warmAll();
      const unknown = () =>
        a.token({ grant_type: 'client_credentials', client_id: 'not-in-this-schema', client_secret: 'x', audience: api1.identifier });
      expect((await unknown()).status).toBe(401);
      // A client created in the other schema (a notice that would make A forget every unknown client_id) …
      await fixtures(() => other, 'elsewhere').createClient();
      // … then a change A must hear, committed after it and keeping unknown client_ids: once A has
      // dropped api2, the earlier notice would have arrived too, had it been sent to A.
      const renamed = await b.gql(
        `mutation($id: ID!) { resourceServerUpdate(id: $id, input: { name: "marker" }) { userErrors { code } } }`,
        { id: api2.id },
      );
      expect(renamed.body.data.resourceServerUpdate.userErrors).toEqual([]);
      await within(5000, async () => {
        const before = await lookups();
        expect((await token(a, c1, api2)).status).toBe(200);
        return missesSince(before, await lookups()).apis === 1;
      });
      const before = await lookups();
      expect((await unknown()).status).toBe(401);
      expect(missesSince(before, await lookups())).toEqual({});
    } finally {
      await other.close();
      await otherDb.drop();
    }
  });
});
