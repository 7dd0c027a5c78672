import { randomUUID } from 'node:crypto';
import { startTestServer, TestServer } from '../helpers/test-app';
import { globalId, userErrors, uuidOf } from '../helpers/fixtures';

const GRANT_FIELDS = `id scopes client { name } resourceServer { identifier } createdAt updatedAt`;
const CREATE = `mutation($input: ClientGrantCreateInput!) {
  clientGrantCreate(input: $input) { clientGrant { ${GRANT_FIELDS} } userErrors { field message code } }
}`;
const UPDATE = `mutation($id: ID!, $input: ClientGrantUpdateInput!) {
  clientGrantUpdate(id: $id, input: $input) { clientGrant { ${GRANT_FIELDS} } userErrors { field message code } }
}`;
const DELETE = `mutation($id: ID!) { clientGrantDelete(id: $id) { deletedId userErrors { field message code } } }`;

describe('client grants', () => {
  let server: TestServer;
  let seq = 0;
  const unique = (prefix: string) => `${prefix} ${++seq} ${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  async function createClient(input: Record<string, unknown> = {}) {
    const res = await server.gql(
      `mutation($input: ClientCreateInput!) { clientCreate(input: $input) { client { id clientId name } clientSecret userErrors { field code message } } }`,
      { input: { name: unique('client'), appType: 'MACHINE_TO_MACHINE', ...input } },
    );
    expect(res.body.data.clientCreate.userErrors).toEqual([]);
    return { ...res.body.data.clientCreate.client, secret: res.body.data.clientCreate.clientSecret } as {
      id: string;
      clientId: string;
      name: string;
      secret: string | null;
    };
  }

  async function createApi(scopes: string[] = ['read:x', 'write:x', 'delete:x']) {
    const identifier = `https://${randomUUID().slice(0, 8)}.example/`;
    const res = await server.gql(
      `mutation($input: ResourceServerCreateInput!) { resourceServerCreate(input: $input) { resourceServer { id identifier } userErrors { code } } }`,
      { input: { name: unique('api'), identifier, scopes: scopes.map((value) => ({ value, description: `can ${value}` })) } },
    );
    expect(res.body.data.resourceServerCreate.userErrors).toEqual([]);
    return res.body.data.resourceServerCreate.resourceServer as { id: string; identifier: string };
  }

  async function create(clientId: string, resourceServerId: string, scopes: string[], token?: string) {
    const res = await server.gql(CREATE, { input: { clientId, resourceServerId, scopes } }, token);
    expect(res.status).toBe(200);
    return res;
  }

  async function createOk(clientId: string, resourceServerId: string, scopes: string[]) {
    const res = await create(clientId, resourceServerId, scopes);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.clientGrantCreate.userErrors).toEqual([]);
    return res.body.data.clientGrantCreate.clientGrant as { id: string; scopes: string[]; createdAt: string; updatedAt: string };
  }

  const grantRows = (clientId: string, apiId: string) =>
    server.db.query<any>('SELECT id, scopes FROM client_grants WHERE client_id = $1 AND resource_server_id = $2', [
      uuidOf(clientId),
      uuidOf(apiId),
    ]);

  describe('clientGrantCreate', () => {
    it('authorizes a machine client for an API with some of its scopes', async () => {
      const client = await createClient();
      const api = await createApi();
      const res = await create(client.id, api.id, ['read:x', 'write:x']);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.clientGrantCreate).toEqual({
        clientGrant: {
          id: expect.any(String),
          scopes: ['read:x', 'write:x'],
          client: { name: client.name },
          resourceServer: { identifier: api.identifier },
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
          updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        },
        userErrors: [],
      });
      const rows = await grantRows(client.id, api.id);
      expect(rows).toEqual([{ id: uuidOf(res.body.data.clientGrantCreate.clientGrant.id), scopes: ['read:x', 'write:x'] }]);
    });

    it('lets the granted client get a token for the API', async () => {
      const client = await createClient();
      const api = await createApi();
      await createOk(client.id, api.id, ['read:x']);
      const basic = Buffer.from(`${client.clientId}:${client.secret}`).toString('base64');
      const res = await server.token({ grant_type: 'client_credentials', audience: api.identifier }, { authorization: `Basic ${basic}` });
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe('read:x');
    });

    it('accepts a REGULAR_WEB client allowed CLIENT_CREDENTIALS', async () => {
      const client = await createClient({ appType: 'REGULAR_WEB', grantTypes: ['AUTHORIZATION_CODE', 'CLIENT_CREDENTIALS'] });
      const api = await createApi();
      expect((await createOk(client.id, api.id, ['read:x'])).scopes).toEqual(['read:x']);
    });

    it('allows one grant per client and API: the second is TAKEN and stores nothing', async () => {
      const client = await createClient();
      const api = await createApi();
      await createOk(client.id, api.id, ['read:x']);
      const res = await create(client.id, api.id, ['write:x']);
      expect(res.body.data.clientGrantCreate.clientGrant).toBeNull();
      expect(res.body.data.clientGrantCreate.userErrors).toEqual(userErrors([['input', 'resourceServerId'], 'TAKEN']));
      expect(await grantRows(client.id, api.id)).toEqual([{ id: expect.any(String), scopes: ['read:x'] }]);
    });

    it('allows the same client on another API and another client on the same API', async () => {
      const [c1, c2] = [await createClient(), await createClient()];
      const [a1, a2] = [await createApi(), await createApi()];
      await createOk(c1.id, a1.id, ['read:x']);
      await createOk(c1.id, a2.id, ['read:x']);
      await createOk(c2.id, a1.id, ['read:x']);
    });

    it('refuses a scope the API does not define: INVALID at its index, no grant row', async () => {
      const client = await createClient();
      const api = await createApi();
      const other = await createApi(['other:x']);
      const res = await create(client.id, api.id, ['read:x', 'nope:x', 'write:x', 'other:x']);
      expect(res.body.data.clientGrantCreate.clientGrant).toBeNull();
      expect(res.body.data.clientGrantCreate.userErrors).toEqual(
        userErrors([['input', 'scopes', '1'], 'INVALID'], [['input', 'scopes', '3'], 'INVALID']),
      );
      expect(await grantRows(client.id, api.id)).toEqual([]);
      expect(other.id).toBeDefined();
    });

    it('refuses repeated scopes: INVALID at the repeated index', async () => {
      const client = await createClient();
      const api = await createApi();
      const res = await create(client.id, api.id, ['read:x', 'read:x']);
      expect(res.body.data.clientGrantCreate.userErrors).toEqual(userErrors([['input', 'scopes', '1'], 'INVALID']));
      expect(await grantRows(client.id, api.id)).toEqual([]);
    });

    it.each([
      ['a REGULAR_WEB client without CLIENT_CREDENTIALS', { appType: 'REGULAR_WEB' }],
      ['a SPA client', { appType: 'SPA' }],
      ['a NATIVE client', { appType: 'NATIVE' }],
    ])('refuses %s: INVALID at input.clientId', async (_label, input) => {
      const client = await createClient(input);
      const api = await createApi();
      const res = await create(client.id, api.id, ['read:x']);
      expect(res.body.data.clientGrantCreate.clientGrant).toBeNull();
      expect(res.body.data.clientGrantCreate.userErrors).toEqual(userErrors([['input', 'clientId'], 'INVALID']));
      expect(await grantRows(client.id, api.id)).toEqual([]);
    });

    it('answers NOT_FOUND for an unknown client or API', async () => {
      const client = await createClient();
      const api = await createApi();
      const unknownClient = await create(globalId('Client', randomUUID()), api.id, ['read:x']);
      expect(unknownClient.body.data.clientGrantCreate).toEqual({
        clientGrant: null,
        userErrors: userErrors([['input', 'clientId'], 'NOT_FOUND']),
      });
      const unknownApi = await create(client.id, globalId('ResourceServer', randomUUID()), ['read:x']);
      expect(unknownApi.body.data.clientGrantCreate).toEqual({
        clientGrant: null,
        userErrors: userErrors([['input', 'resourceServerId'], 'NOT_FOUND']),
      });
      // An ID of the wrong type does not name a client (or an API).
      const swapped = await create(api.id, client.id, ['read:x']);
      expect(swapped.body.data.clientGrantCreate.userErrors).toEqual(
        userErrors([['input', 'clientId'], 'NOT_FOUND'], [['input', 'resourceServerId'], 'NOT_FOUND']),
      );
      const garbage = await create('garbage', 'garbage', ['read:x']);
      expect(garbage.body.data.clientGrantCreate.userErrors).toEqual(
        userErrors([['input', 'clientId'], 'NOT_FOUND'], [['input', 'resourceServerId'], 'NOT_FOUND']),
      );
      const [{ n }] = await server.db.query<any>('SELECT count(*)::int AS n FROM client_grants WHERE resource_server_id = $1', [
        uuidOf(api.id),
      ]);
      expect(n).toBe(0);
    });

    it('creates exactly one grant out of 20 concurrent requests for the same client and API', async () => {
      const client = await createClient();
      const api = await createApi();
      const token = await server.managementToken();
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          server.gql(
            `mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { clientGrant { id scopes client { name } resourceServer { identifier } } userErrors { field message code } } }`,
            { input: { clientId: client.id, resourceServerId: api.id, scopes: ['read:x'] } },
            token,
          ),
        ),
      );
      for (const r of results) expect(r.body.errors).toBeUndefined();
      const payloads = results.map((r) => r.body.data.clientGrantCreate);
      const successes = payloads.filter((p) => p.clientGrant !== null);
      const failures = payloads.filter((p) => p.clientGrant === null);
      expect(successes).toHaveLength(1);
      expect(successes[0].userErrors).toEqual([]);
      expect(successes[0].clientGrant.client.name).toEqual(expect.any(String));
      expect(successes[0].clientGrant.resourceServer.identifier).toEqual(expect.any(String));
      expect(failures).toHaveLength(19);
      for (const f of failures) expect(f.userErrors).toEqual(userErrors([['input', 'resourceServerId'], 'TAKEN']));
      const rows = await grantRows(client.id, api.id);
      expect(rows).toEqual([{ id: uuidOf(successes[0].clientGrant.id), scopes: ['read:x'] }]);
    });
  });

  describe('clientGrantUpdate', () => {
    it('replaces the scopes and moves updatedAt', async () => {
      const client = await createClient();
      const api = await createApi();
      const grant = await createOk(client.id, api.id, ['read:x']);
      await new Promise((r) => setTimeout(r, 10));
      const res = await server.gql(UPDATE, { id: grant.id, input: { scopes: ['write:x', 'delete:x'] } });
      expect(res.body.errors).toBeUndefined();
      const payload = res.body.data.clientGrantUpdate;
      expect(payload.userErrors).toEqual([]);
      expect(payload.clientGrant).toEqual({
        ...grant,
        scopes: ['write:x', 'delete:x'],
        client: { name: client.name },
        resourceServer: { identifier: api.identifier },
        updatedAt: expect.any(String),
      });
      expect(Date.parse(payload.clientGrant.updatedAt)).toBeGreaterThan(Date.parse(grant.updatedAt));
      expect(await grantRows(client.id, api.id)).toEqual([{ id: uuidOf(grant.id), scopes: ['write:x', 'delete:x'] }]);
    });

    it('refuses an undefined scope: INVALID at its index, scopes unchanged', async () => {
      const client = await createClient();
      const api = await createApi();
      const grant = await createOk(client.id, api.id, ['read:x']);
      const res = await server.gql(UPDATE, { id: grant.id, input: { scopes: ['unknown:x', 'write:x'] } });
      expect(res.body.data.clientGrantUpdate).toEqual({
        clientGrant: null,
        userErrors: userErrors([['input', 'scopes', '0'], 'INVALID']),
      });
      const dup = await server.gql(UPDATE, { id: grant.id, input: { scopes: ['write:x', 'write:x'] } });
      expect(dup.body.data.clientGrantUpdate.userErrors).toEqual(userErrors([['input', 'scopes', '1'], 'INVALID']));
      expect(await grantRows(client.id, api.id)).toEqual([{ id: uuidOf(grant.id), scopes: ['read:x'] }]);
    });

    it('answers NOT_FOUND at id for an unknown grant', async () => {
      for (const id of [globalId('ClientGrant', randomUUID()), 'garbage']) {
        const res = await server.gql(UPDATE, { id, input: { scopes: ['read:x'] } });
        expect(res.body.data.clientGrantUpdate).toEqual({ clientGrant: null, userErrors: userErrors([['id'], 'NOT_FOUND']) });
      }
    });
  });

  describe('clientGrantDelete', () => {
    it('deletes the grant, then answers NOT_FOUND at id', async () => {
      const client = await createClient();
      const api = await createApi();
      const grant = await createOk(client.id, api.id, ['read:x']);
      const res = await server.gql(DELETE, { id: grant.id });
      expect(res.body.data.clientGrantDelete).toEqual({ deletedId: grant.id, userErrors: [] });
      expect(await grantRows(client.id, api.id)).toEqual([]);
      const lookup = await server.gql(`query($id: ID!) { clientGrant(id: $id) { id } }`, { id: grant.id });
      expect(lookup.body.data.clientGrant).toBeNull();
      const again = await server.gql(DELETE, { id: grant.id });
      expect(again.body.data.clientGrantDelete).toEqual({ deletedId: null, userErrors: userErrors([['id'], 'NOT_FOUND']) });
      // Client and API are untouched, and a new grant may be made.
      await createOk(client.id, api.id, ['write:x']);
    });

    it('deleting a client deletes its grants', async () => {
      const client = await createClient();
      const api = await createApi();
      const grant = await createOk(client.id, api.id, ['read:x']);
      const res = await server.gql(`mutation($id: ID!) { clientDelete(id: $id) { deletedId userErrors { code } } }`, { id: client.id });
      expect(res.body.data.clientDelete.userErrors).toEqual([]);
      expect(await server.db.query('SELECT id FROM client_grants WHERE id = $1', [uuidOf(grant.id)])).toEqual([]);
      const listed = await server.gql(`query($rs: ID!) { clientGrants(filter: { resourceServer: $rs }) { totalCount nodes { id } } }`, {
        rs: api.id,
      });
      expect(listed.body.data.clientGrants).toEqual({ totalCount: 0, nodes: [] });
    });

    it('deleting an API deletes its grants', async () => {
      const client = await createClient();
      const api = await createApi();
      const keep = await createApi();
      const grant = await createOk(client.id, api.id, ['read:x']);
      const kept = await createOk(client.id, keep.id, ['read:x']);
      const res = await server.gql(`mutation($id: ID!) { resourceServerDelete(id: $id) { deletedId userErrors { code } } }`, {
        id: api.id,
      });
      expect(res.body.data.resourceServerDelete.userErrors).toEqual([]);
      expect(await server.db.query('SELECT id FROM client_grants WHERE id = $1', [uuidOf(grant.id)])).toEqual([]);
      const listed = await server.gql(`query($c: ID!) { clientGrants(filter: { client: $c }) { totalCount nodes { id } } }`, {
        c: client.id,
      });
      expect(listed.body.data.clientGrants).toEqual({ totalCount: 1, nodes: [{ id: kept.id }] });
    });
  });

  describe('queries', () => {
    it('reads one grant by id', async () => {
      const client = await createClient();
      const api = await createApi();
      const grant = await createOk(client.id, api.id, ['read:x', 'delete:x']);
      const res = await server.gql(`query($id: ID!) { clientGrant(id: $id) { ${GRANT_FIELDS} } }`, { id: grant.id });
      expect(res.body).toEqual({ data: { clientGrant: grant } });
      const unknown = await server.gql(`query($id: ID!) { clientGrant(id: $id) { id } }`, { id: globalId('ClientGrant', randomUUID()) });
      expect(unknown.body.data.clientGrant).toBeNull();
      const wrongType = await server.gql(`query($id: ID!) { clientGrant(id: $id) { id } }`, { id: client.id });
      expect(wrongType.body.data.clientGrant).toBeNull();
    });

    it('filters clientGrants by client and by API with matching totalCount', async () => {
      const [c1, c2] = [await createClient(), await createClient()];
      const [a1, a2] = [await createApi(), await createApi()];
      const g11 = await createOk(c1.id, a1.id, ['read:x']);
      const g12 = await createOk(c1.id, a2.id, ['write:x']);
      const g21 = await createOk(c2.id, a1.id, ['delete:x']);
      const q = `query($c: ID, $rs: ID) { clientGrants(first: 100, filter: { client: $c, resourceServer: $rs }) { totalCount nodes { id } } }`;
      const ids = async (vars: Record<string, string>) => (await server.gql(q, vars)).body.data.clientGrants;
      expect(await ids({ c: c1.id })).toEqual({ totalCount: 2, nodes: [{ id: g11.id }, { id: g12.id }] });
      expect(await ids({ rs: a1.id })).toEqual({ totalCount: 2, nodes: [{ id: g11.id }, { id: g21.id }] });
      expect(await ids({ c: c2.id, rs: a1.id })).toEqual({ totalCount: 1, nodes: [{ id: g21.id }] });
      expect(await ids({ c: c2.id, rs: a2.id })).toEqual({ totalCount: 0, nodes: [] });
      expect(await ids({ c: globalId('Client', randomUUID()) })).toEqual({ totalCount: 0, nodes: [] });
      expect(await ids({ c: a1.id })).toEqual({ totalCount: 0, nodes: [] });

      const all = (await server.gql(`{ clientGrants(first: 100) { totalCount nodes { id } } }`)).body.data.clientGrants;
      const [{ n }] = await server.db.query<any>('SELECT count(*)::int AS n FROM client_grants');
      expect(all.totalCount).toBe(n);
      expect(all.nodes).toHaveLength(n);
    });

    it('pages clientGrants forward and backward, oldest first', async () => {
      const client = await createClient();
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push((await createOk(client.id, (await createApi()).id, ['read:x'])).id);
      const q = `query($c: ID!, $first: Int, $after: String, $last: Int, $before: String) {
        clientGrants(first: $first, after: $after, last: $last, before: $before, filter: { client: $c }) {
          nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount
        }
      }`;
      const p1 = (await server.gql(q, { c: client.id, first: 2 })).body.data.clientGrants;
      expect(p1.nodes.map((n: any) => n.id)).toEqual(made.slice(0, 2));
      expect(p1.pageInfo.hasNextPage).toBe(true);
      expect(p1.totalCount).toBe(5);
      const p2 = (await server.gql(q, { c: client.id, first: 2, after: p1.pageInfo.endCursor })).body.data.clientGrants;
      expect(p2.nodes.map((n: any) => n.id)).toEqual(made.slice(2, 4));
      const p3 = (await server.gql(q, { c: client.id, first: 2, after: p2.pageInfo.endCursor })).body.data.clientGrants;
      expect(p3.nodes.map((n: any) => n.id)).toEqual(made.slice(4));
      expect(p3.pageInfo.hasNextPage).toBe(false);
      const last = (await server.gql(q, { c: client.id, last: 2 })).body.data.clientGrants;
      expect(last.nodes.map((n: any) => n.id)).toEqual(made.slice(3));
      expect(last.pageInfo.hasPreviousPage).toBe(true);
      const prev = (await server.gql(q, { c: client.id, last: 2, before: last.pageInfo.startCursor })).body.data.clientGrants;
      expect(prev.nodes.map((n: any) => n.id)).toEqual(made.slice(1, 3));
    });

    it('lists grants through Client.clientGrants and ResourceServer.clientGrants', async () => {
      const [c1, c2] = [await createClient(), await createClient()];
      const api = await createApi();
      const g1 = await createOk(c1.id, api.id, ['read:x']);
      const g2 = await createOk(c2.id, api.id, ['write:x']);
      const rs = await server.gql(
        `query($id: ID!) { resourceServer(id: $id) { clientGrants(first: 10) { totalCount nodes { id scopes client { name } } } } }`,
        { id: api.id },
      );
      expect(rs.body.errors).toBeUndefined();
      expect(rs.body.data.resourceServer.clientGrants).toEqual({
        totalCount: 2,
        nodes: [
          { id: g1.id, scopes: ['read:x'], client: { name: c1.name } },
          { id: g2.id, scopes: ['write:x'], client: { name: c2.name } },
        ],
      });
      const rsFirst = await server.gql(`query($id: ID!) { resourceServer(id: $id) { clientGrants(first: 1) { nodes { id } } } }`, {
        id: api.id,
      });
      expect(rsFirst.body.data.resourceServer.clientGrants.nodes).toEqual([{ id: g1.id }]);
      const cl = await server.gql(
        `query($id: ID!) { client(id: $id) { clientGrants { totalCount nodes { id resourceServer { identifier } } } } }`,
        { id: c2.id },
      );
      expect(cl.body.data.client.clientGrants).toEqual({
        totalCount: 1,
        nodes: [{ id: g2.id, resourceServer: { identifier: api.identifier } }],
      });
    });
  });

  describe('authorization', () => {
    it('refuses clientGrantCreate without create:client_grants: FORBIDDEN naming the scope', async () => {
      const client = await createClient();
      const api = await createApi();
      const token = await server.managementToken(['read:client_grants']);
      const res = await create(client.id, api.id, ['read:x'], token);
      expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(res.body.errors?.[0].message).toContain('create:client_grants');
      expect(await grantRows(client.id, api.id)).toEqual([]);
    });

    it('refuses update and delete without their scopes', async () => {
      const client = await createClient();
      const api = await createApi();
      const grant = await createOk(client.id, api.id, ['read:x']);
      const token = await server.managementToken(['read:client_grants']);
      const upd = await server.gql(UPDATE, { id: grant.id, input: { scopes: ['write:x'] } }, token);
      expect(upd.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(upd.body.errors?.[0].message).toContain('update:client_grants');
      const del = await server.gql(DELETE, { id: grant.id }, token);
      expect(del.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(del.body.errors?.[0].message).toContain('delete:client_grants');
      expect(await grantRows(client.id, api.id)).toEqual([{ id: uuidOf(grant.id), scopes: ['read:x'] }]);
    });

    it('with only read:client_grants, returns the scopes but FORBIDDEN for the client field', async () => {
      const client = await createClient();
      const api = await createApi();
      await createOk(client.id, api.id, ['read:x', 'write:x']);
      const token = await server.managementToken(['read:client_grants']);
      const res = await server.gql(
        `query($c: ID!) { clientGrants(filter: { client: $c }) { nodes { scopes client { name } } } }`,
        { c: client.id },
        token,
      );
      expect(res.status).toBe(200);
      expect(res.body.data.clientGrants.nodes).toEqual([{ scopes: ['read:x', 'write:x'], client: null }]);
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors![0].extensions?.code).toBe('FORBIDDEN');
      expect(res.body.errors![0].message).toContain('read:clients');
      expect(res.body.errors![0].path).toEqual(['clientGrants', 'nodes', 0, 'client']);
    });

    it('refuses listing grants without read:client_grants', async () => {
      const token = await server.managementToken(['read:clients']);
      const res = await server.gql(`{ clientGrants { totalCount } }`, undefined, token);
      expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(res.body.errors?.[0].message).toContain('read:client_grants');
    });
  });
});
