import { randomUUID } from 'node:crypto';
import { startTestServer, TestServer } from '../helpers/test-app';
import { fixtures, globalId, userErrors, uuidOf } from '../helpers/fixtures';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';

const GRANT_FIELDS = `id scopes createdAt updatedAt`;
const GRANTS = `query($first: Int, $after: String, $last: Int, $before: String, $filter: UserGrantFilter) {
  userGrants(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { ${GRANT_FIELDS} }
  }
}`;
const DELETE = `mutation($id: ID!) { userGrantDelete(id: $id) { deletedId userErrors { field message code } } }`;

describe('user grants (consents)', () => {
  let server: TestServer;
  const { gqlData, createApi, createClient } = fixtures(() => server, 'consent');

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  async function createUser(): Promise<{ id: string; email: string }> {
    const data = await gqlData(
      `mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id email } userErrors { code } } }`,
      {
        input: { email: `u.${randomUUID().slice(0, 8)}@example.com`, password: `pw-${randomUUID()}` },
      },
    );
    expect(data.userCreate.userErrors).toEqual([]);
    return data.userCreate.user;
  }

  const webClient = () => createClient({ appType: 'REGULAR_WEB', callbacks: ['https://app.example/callback'] });

  /** A user, a client and an API, with a consent of `scopes` recorded through the service. */
  async function consent(scopes: string[] = ['read:x']) {
    const [user, client, api] = await Promise.all([createUser(), webClient(), createApi()]);
    await server.app.userGrants.recordConsent(uuidOf(user.id), uuidOf(client.id), uuidOf(api.id), scopes);
    const grants = await list({ filter: { user: user.id, client: client.id, resourceServer: api.id } });
    expect(grants.nodes).toHaveLength(1);
    return { user, client, api, grant: grants.nodes[0] as { id: string; scopes: string[]; createdAt: string; updatedAt: string } };
  }

  async function list(variables: Record<string, unknown>, token?: string) {
    const res = await server.gql(GRANTS, variables, token);
    expect(res.body.errors).toBeUndefined();
    return res.body.data.userGrants;
  }

  const consented = (user: { id: string }, client: { id: string }, api: { id: string }) =>
    server.app.userGrants.consentedScopes(uuidOf(user.id), uuidOf(client.id), uuidOf(api.id));

  describe('recordConsent and consentedScopes', () => {
    it('consentedScopes is [] before any consent', async () => {
      const [user, client, api] = await Promise.all([createUser(), webClient(), createApi()]);
      expect(await consented(user, client, api)).toEqual([]);
      expect(await server.app.userGrants.consentedScopes('not-a-uuid', uuidOf(client.id), uuidOf(api.id))).toEqual([]);
    });

    it('adds scopes up: a later consent is a union with the earlier one, never a removal', async () => {
      const { user, client, api, grant } = await consent(['read:x']);
      expect(grant.scopes).toEqual(['read:x']);
      expect(await consented(user, client, api)).toEqual(['read:x']);

      await new Promise((resolve) => setTimeout(resolve, 10));
      await server.app.userGrants.recordConsent(uuidOf(user.id), uuidOf(client.id), uuidOf(api.id), ['write:x', 'read:x']);
      expect((await consented(user, client, api)).sort()).toEqual(['read:x', 'write:x']);

      await server.app.userGrants.recordConsent(uuidOf(user.id), uuidOf(client.id), uuidOf(api.id), ['read:x']);
      expect((await consented(user, client, api)).sort()).toEqual(['read:x', 'write:x']);

      const after = (await list({ filter: { user: user.id } })).nodes;
      expect(after).toHaveLength(1);
      expect(after[0].id).toBe(grant.id);
      expect(after[0].createdAt).toBe(grant.createdAt);
      expect(Date.parse(after[0].updatedAt)).toBeGreaterThan(Date.parse(grant.updatedAt));
    });

    it('removes duplicates within one consent', async () => {
      const { grant } = await consent(['read:x', 'read:x', 'write:x']);
      expect(grant.scopes.sort()).toEqual(['read:x', 'write:x']);
    });

    it('keeps one consent per (user, client, API): another API or client is another grant', async () => {
      const { user, client, api } = await consent(['read:x']);
      const api2 = await createApi();
      const client2 = await webClient();
      await server.app.userGrants.recordConsent(uuidOf(user.id), uuidOf(client.id), uuidOf(api2.id), ['write:x']);
      await server.app.userGrants.recordConsent(uuidOf(user.id), uuidOf(client2.id), uuidOf(api.id), ['write:x']);
      expect(await consented(user, client, api)).toEqual(['read:x']);
      expect(await consented(user, client, api2)).toEqual(['write:x']);
      expect(await consented(user, client2, api)).toEqual(['write:x']);
      expect((await list({ filter: { user: user.id } })).totalCount).toBe(3);
    });

    it('is not a management mutation: no audit event', async () => {
      const [user, client, api] = await Promise.all([createUser(), webClient(), createApi()]);
      const before = await server.db.query<{ n: string }>('SELECT count(*) AS n FROM audit_events');
      await server.app.userGrants.recordConsent(uuidOf(user.id), uuidOf(client.id), uuidOf(api.id), ['read:x']);
      const after = await server.db.query<{ n: string }>('SELECT count(*) AS n FROM audit_events');
      expect(after[0].n).toBe(before[0].n);
    });
  });

  describe('userGrants(...)', () => {
    it('filters by user, client and API (together or alone)', async () => {
      const a = await consent(['read:x']);
      const otherApi = await createApi();
      await server.app.userGrants.recordConsent(uuidOf(a.user.id), uuidOf(a.client.id), uuidOf(otherApi.id), ['write:x']);
      const b = await consent(['write:x']);

      const ids = (page: { nodes: { id: string }[] }) => page.nodes.map((n) => n.id);
      const byUser = await list({ filter: { user: a.user.id } });
      expect(byUser.totalCount).toBe(2);
      expect(ids(byUser)).toContain(a.grant.id);
      expect(ids(await list({ filter: { client: a.client.id } }))).toHaveLength(2);
      expect(ids(await list({ filter: { resourceServer: a.api.id } }))).toEqual([a.grant.id]);
      expect(ids(await list({ filter: { user: a.user.id, resourceServer: otherApi.id } }))).toHaveLength(1);
      expect(ids(await list({ filter: { user: b.user.id } }))).toEqual([b.grant.id]);
      expect(ids(await list({ filter: { user: b.user.id, client: a.client.id } }))).toEqual([]);
    });

    it('a filter ID of the wrong type (or unknown) matches nothing', async () => {
      const { user, client } = await consent();
      for (const filter of [
        { user: client.id },
        { client: user.id },
        { resourceServer: user.id },
        { user: 'garbage' },
        { user: globalId('User', randomUUID()) },
      ]) {
        expect(await list({ filter })).toMatchObject({ totalCount: 0, nodes: [] });
      }
    });

    it('pages with cursors, oldest first', async () => {
      await consent();
      await consent();
      await consent();
      const all = await server.db.query<{ id: string }>('SELECT id FROM user_grants ORDER BY seq');
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await list({ first: 2, after });
        expect(page.totalCount).toBe(all.length);
        seen.push(...page.nodes.map((n: { id: string }) => n.id));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(seen).toEqual(all.map((row) => globalId('UserGrant', row.id)));
      const last = await list({ last: 1 });
      expect(last.nodes.map((n: { id: string }) => n.id)).toEqual([globalId('UserGrant', all[all.length - 1].id)]);
    });

    it('resolves user, client and resourceServer, and node(id) / userGrant(id)', async () => {
      const { user, client, api, grant } = await consent(['read:x']);
      const data = await gqlData(
        `query($filter: UserGrantFilter) { userGrants(filter: $filter) { nodes { id scopes user { id email } client { id clientId } resourceServer { id identifier } } } }`,
        { filter: { user: user.id } },
      );
      expect(data.userGrants.nodes).toEqual([
        {
          id: grant.id,
          scopes: ['read:x'],
          user: { id: user.id, email: user.email },
          client: { id: client.id, clientId: client.clientId },
          resourceServer: { id: api.id, identifier: api.identifier },
        },
      ]);
      const node = await gqlData(`query($id: ID!) { node(id: $id) { __typename ... on UserGrant { id scopes user { id } } } }`, {
        id: grant.id,
      });
      expect(node.node).toEqual({ __typename: 'UserGrant', id: grant.id, scopes: ['read:x'], user: { id: user.id } });
      const one = await gqlData(`query($id: ID!) { userGrant(id: $id) { id } }`, { id: grant.id });
      expect(one.userGrant).toEqual({ id: grant.id });
      const wrongType = await gqlData(`query($id: ID!) { userGrant(id: $id) { id } }`, { id: user.id });
      expect(wrongType.userGrant).toBeNull();
    });
  });

  describe('userGrantDelete', () => {
    it('deletes the consent: consentedScopes is [] afterwards (the next authorization asks again)', async () => {
      const { user, client, api, grant } = await consent(['read:x', 'write:x']);
      const payload = (await gqlData(DELETE, { id: grant.id })).userGrantDelete;
      expect(payload).toEqual({ deletedId: grant.id, userErrors: [] });
      expect(await consented(user, client, api)).toEqual([]);
      expect((await list({ filter: { user: user.id } })).totalCount).toBe(0);
      // The user, client and API stay.
      expect(await server.db.query('SELECT id FROM users WHERE id = $1', [uuidOf(user.id)])).toHaveLength(1);
      // A new consent starts from scratch.
      await server.app.userGrants.recordConsent(uuidOf(user.id), uuidOf(client.id), uuidOf(api.id), ['read:x']);
      expect(await consented(user, client, api)).toEqual(['read:x']);
    });

    it('NOT_FOUND at id for an unknown grant, a deleted one, or an ID of another type', async () => {
      const { user, grant } = await consent();
      await gqlData(DELETE, { id: grant.id });
      for (const id of [grant.id, globalId('UserGrant', randomUUID()), user.id, 'garbage']) {
        const payload = (await gqlData(DELETE, { id })).userGrantDelete;
        expect(payload).toEqual({ deletedId: null, userErrors: userErrors([['id'], 'NOT_FOUND']) });
      }
      await expect(server.app.userGrants.delete(randomUUID(), SYSTEM_ACTOR)).rejects.toMatchObject({
        issues: [expect.objectContaining({ code: 'NOT_FOUND', field: ['id'] })],
      });
    });

    it('is audited with the user, the OAuth client_id, the audience and the scopes', async () => {
      const { user, client, api, grant } = await consent(['read:x']);
      await gqlData(DELETE, { id: grant.id });
      const rows = await server.db.query<any>(`SELECT * FROM audit_events WHERE operation = 'userGrantDelete' AND target_id = $1`, [
        uuidOf(grant.id),
      ]);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ target_type: 'UserGrant', outcome: 'SUCCESS' });
      expect(rows[0].summary).toEqual({
        userId: uuidOf(user.id),
        clientId: client.clientId,
        audience: api.identifier,
        scopes: ['read:x'],
        // The refresh tokens resting on the consent go with it (none here).
        refreshTokenFamiliesRevoked: 0,
      });
    });
  });

  describe('cascades', () => {
    it('deleting the user deletes their consents', async () => {
      const { user, client, api, grant } = await consent();
      await gqlData(`mutation($id: ID!) { userDelete(id: $id) { userErrors { code } } }`, { id: user.id });
      expect(await server.db.query('SELECT id FROM user_grants WHERE id = $1', [uuidOf(grant.id)])).toEqual([]);
      expect(await consented(user, client, api)).toEqual([]);
    });

    it('deleting the client deletes the consents given to it', async () => {
      const { client, grant } = await consent();
      await gqlData(`mutation($id: ID!) { clientDelete(id: $id) { userErrors { code } } }`, { id: client.id });
      expect(await server.db.query('SELECT id FROM user_grants WHERE id = $1', [uuidOf(grant.id)])).toEqual([]);
    });

    it('deleting the API deletes the consents for it', async () => {
      const { api, grant } = await consent();
      const res = await gqlData(`mutation($id: ID!) { resourceServerDelete(id: $id) { userErrors { code } } }`, { id: api.id });
      expect(res.resourceServerDelete.userErrors).toEqual([]);
      expect(await server.db.query('SELECT id FROM user_grants WHERE id = $1', [uuidOf(grant.id)])).toEqual([]);
    });
  });

  describe('scopes', () => {
    it('reading needs read:grants; each related object needs its own read scope', async () => {
      const { user, grant } = await consent();
      const none = await server.managementToken(['read:users', 'delete:grants']);
      const refused = await server.gql(GRANTS, {}, none);
      expect(refused.body.data).toBeNull();
      expect(refused.body.errors).toEqual([
        expect.objectContaining({ path: ['userGrants'], extensions: { code: 'FORBIDDEN', missingScopes: ['read:grants'] } }),
      ]);
      const node = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: grant.id }, none);
      expect(node.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'FORBIDDEN', missingScopes: ['read:grants'] } })]);

      const reader = await server.managementToken(['read:grants']);
      const res = await server.gql(
        `query($filter: UserGrantFilter) { userGrants(filter: $filter) { nodes { id user { id } client { id } resourceServer { id } } } }`,
        { filter: { user: user.id } },
        reader,
      );
      expect(res.body.data.userGrants.nodes).toEqual([{ id: grant.id, user: null, client: null, resourceServer: null }]);
      const missing = (res.body.errors ?? []).map((e: any) => [e.path.slice(-1)[0], e.extensions.missingScopes]).sort();
      expect(missing).toEqual([
        ['client', ['read:clients']],
        ['resourceServer', ['read:resource_servers']],
        ['user', ['read:users']],
      ]);
    });

    it('userGrantDelete needs delete:grants, and a refused one deletes nothing', async () => {
      const { user, client, api, grant } = await consent(['read:x']);
      const reader = await server.managementToken(['read:grants']);
      const refused = await server.gql(DELETE, { id: grant.id }, reader);
      expect(refused.body.data).toBeNull();
      expect(refused.body.errors).toEqual([
        expect.objectContaining({ path: ['userGrantDelete'], extensions: { code: 'FORBIDDEN', missingScopes: ['delete:grants'] } }),
      ]);
      expect(await consented(user, client, api)).toEqual(['read:x']);
      const deleter = await server.managementToken(['delete:grants']);
      const ok = await server.gql(DELETE, { id: grant.id }, deleter);
      expect(ok.body.data.userGrantDelete).toEqual({ deletedId: grant.id, userErrors: [] });
    });
  });
});
