import { createHash, randomUUID } from 'node:crypto';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, ClientFixture, fixtures, globalId, userErrors, uuidOf } from '../helpers/fixtures';
import { authorize, exchangeCode, refresh } from '../helpers/refresh-flow';

const ACTOR = { subject: 'test', clientId: null, requestId: null };
const PASSWORD = 'correct horse battery staple';
const CALLBACK = 'https://web.example/callback';

const TOKEN_FIELDS = `id scopes createdAt expiresAt idleExpiresAt lastUsedAt rotated revokedAt`;
const LIST = `query($first: Int, $after: String, $last: Int, $before: String, $filter: RefreshTokenFilter) {
  refreshTokens(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { ${TOKEN_FIELDS} }
  }
}`;
const REVOKE = `mutation($id: ID!) { refreshTokenRevoke(id: $id) { refreshToken { ${TOKEN_FIELDS} } userErrors { field message code } } }`;
const CLIENT_SETTINGS = `refreshToken { rotation leeway absoluteLifetime idleLifetime }`;

const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

describe('refresh tokens in the management API', () => {
  let server: TestServer;
  const { gqlData, createApi, createClient } = fixtures(() => server, 'rtm');

  let api: ApiFixture;
  let otherApi: ApiFixture;
  let web: ClientFixture;
  let other: ClientFixture;

  beforeAll(async () => {
    server = await startTestServer();
    api = await createApi({ allowOfflineAccess: true });
    otherApi = await createApi({ allowOfflineAccess: true });
    web = await createClient({ appType: 'REGULAR_WEB', callbacks: [CALLBACK] });
    other = await createClient({ appType: 'REGULAR_WEB', callbacks: [CALLBACK] });
  });
  afterAll(async () => {
    await server.close();
  });

  async function createUser(): Promise<{ id: string; email: string }> {
    const email = `u.${randomUUID().slice(0, 8)}@example.com`;
    const user = await server.app.users.create({ email, password: PASSWORD }, ACTOR);
    return { id: globalId('User', user.id), email };
  }

  async function issue(client: ClientFixture, user: { id: string }, target: ApiFixture = api, scopes = ['read:x']): Promise<string> {
    return server.app.refreshTokens.issue({
      client: (await server.app.registry.client(client.clientId))!.client,
      userId: uuidOf(user.id),
      resourceServerId: uuidOf(target.id),
      scopes,
    });
  }

  async function list(variables: Record<string, unknown>, token?: string) {
    const res = await server.gql(LIST, variables, token);
    expect(res.body.errors).toBeUndefined();
    return res.body.data.refreshTokens;
  }

  const idOf = async (token: string) => {
    const [row] = await server.db.query<{ id: string }>(`SELECT id FROM refresh_tokens WHERE token_hash = $1`, [sha256Hex(token)]);
    return globalId('RefreshToken', row.id);
  };

  describe('refreshTokens', () => {
    it('lists the tokens of a user and/or a client, every family member, without their values', async () => {
      const user = await createUser();
      const first = await issue(web, user);
      const rotated = await refresh(server, web, first);
      expect(rotated.status).toBe(200);
      await issue(other, user, otherApi, ['write:x']);
      await issue(web, await createUser());

      const byUser = await list({ filter: { user: user.id } });
      expect(byUser.totalCount).toBe(3);
      expect(byUser.nodes).toEqual([
        {
          id: await idOf(first),
          scopes: ['read:x'],
          createdAt: expect.any(String),
          expiresAt: expect.any(String),
          idleExpiresAt: expect.any(String),
          lastUsedAt: expect.any(String),
          rotated: true,
          revokedAt: null,
        },
        expect.objectContaining({ id: await idOf(rotated.body.refresh_token), rotated: false, lastUsedAt: null, revokedAt: null }),
        expect.objectContaining({ scopes: ['write:x'], rotated: false }),
      ]);
      expect(Date.parse(byUser.nodes[0].expiresAt) - Date.parse(byUser.nodes[0].createdAt)).toBe(2_592_000_000);

      const byBoth = await list({ filter: { user: user.id, client: other.id } });
      expect(byBoth.nodes.map((n: { scopes: string[] }) => n.scopes)).toEqual([['write:x']]);
      expect((await list({ filter: { client: web.id } })).totalCount).toBeGreaterThanOrEqual(3);
      // An ID of another type, or of nothing, matches nothing.
      expect((await list({ filter: { user: web.id } })).totalCount).toBe(0);
      expect((await list({ filter: { client: globalId('Client', randomUUID()) } })).totalCount).toBe(0);

      // Pages (keyset cursors).
      const page1 = await list({ first: 2, filter: { user: user.id } });
      expect(page1.nodes).toHaveLength(2);
      expect(page1.pageInfo.hasNextPage).toBe(true);
      const page2 = await list({ first: 2, after: page1.pageInfo.endCursor, filter: { user: user.id } });
      expect(page2.nodes.map((n: { id: string }) => n.id)).toEqual([byUser.nodes[2].id]);
      expect((await list({ last: 1, filter: { user: user.id } })).nodes.map((n: { id: string }) => n.id)).toEqual([byUser.nodes[2].id]);

      // The schema has no field that could carry a token value or its digest.
      const type = await gqlData(`{ __type(name: "RefreshToken") { fields { name } } }`);
      expect(type.__type.fields.map((f: { name: string }) => f.name).sort()).toEqual(
        [
          'client',
          'createdAt',
          'expiresAt',
          'id',
          'idleExpiresAt',
          'lastUsedAt',
          'resourceServer',
          'revokedAt',
          'rotated',
          'scopes',
          'user',
        ].sort(),
      );
    });

    it('needs read:refresh_tokens; user, client and resourceServer need their own read scopes', async () => {
      const user = await createUser();
      const token = await issue(web, user);
      const none = await server.managementToken(['read:users']);
      const refused = await server.gql(LIST, {}, none);
      expect(refused.body.data).toBeNull();
      expect(refused.body.errors).toEqual([
        expect.objectContaining({ path: ['refreshTokens'], extensions: { code: 'FORBIDDEN', missingScopes: ['read:refresh_tokens'] } }),
      ]);
      const node = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: await idOf(token) }, none);
      expect(node.body.errors).toEqual([
        expect.objectContaining({ extensions: { code: 'FORBIDDEN', missingScopes: ['read:refresh_tokens'] } }),
      ]);

      const reader = await server.managementToken(['read:refresh_tokens']);
      const res = await server.gql(
        `query($filter: RefreshTokenFilter) { refreshTokens(filter: $filter) { nodes { id user { id } client { id } resourceServer { id } } } }`,
        { filter: { user: user.id } },
        reader,
      );
      expect(res.body.data.refreshTokens.nodes).toEqual([{ id: await idOf(token), user: null, client: null, resourceServer: null }]);
      const missing = (res.body.errors ?? []).map((e: any) => [e.path.slice(-1)[0], e.extensions.missingScopes]).sort();
      expect(missing).toEqual([
        ['client', ['read:clients']],
        ['resourceServer', ['read:resource_servers']],
        ['user', ['read:users']],
      ]);

      const full = await server.gql(
        `query($id: ID!) { node(id: $id) { ... on RefreshToken { id user { id email } client { id } resourceServer { id } } } }`,
        { id: await idOf(token) },
      );
      expect(full.body.data.node).toEqual({ id: await idOf(token), user, client: { id: web.id }, resourceServer: { id: api.id } });
    });
  });

  describe('refreshTokenRevoke', () => {
    it("revokes the token's family: the client can no longer refresh", async () => {
      const user = await createUser();
      const first = await issue(web, user);
      const second = (await refresh(server, web, first)).body.refresh_token as string;
      const res = await server.gql(REVOKE, { id: await idOf(first) });
      expect(res.body.data.refreshTokenRevoke).toEqual({
        refreshToken: expect.objectContaining({ id: await idOf(first), rotated: true, revokedAt: expect.any(String) }),
        userErrors: [],
      });
      const nodes = (await list({ filter: { user: user.id } })).nodes;
      expect(nodes.map((n: { revokedAt: string | null }) => n.revokedAt !== null)).toEqual([true, true]);
      const refused = await refresh(server, web, second);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_grant');
      // Again: still answered with the token.
      const again = await server.gql(REVOKE, { id: await idOf(second) });
      expect(again.body.data.refreshTokenRevoke.userErrors).toEqual([]);
    });

    it('needs delete:refresh_tokens; an unknown id is NOT_FOUND', async () => {
      const user = await createUser();
      const token = await issue(web, user);
      const reader = await server.managementToken(['read:refresh_tokens']);
      const refused = await server.gql(REVOKE, { id: await idOf(token) }, reader);
      expect(refused.body.data).toBeNull();
      expect(refused.body.errors).toEqual([
        expect.objectContaining({
          path: ['refreshTokenRevoke'],
          extensions: { code: 'FORBIDDEN', missingScopes: ['delete:refresh_tokens'] },
        }),
      ]);
      expect((await refresh(server, web, token)).status).toBe(200);

      for (const id of [globalId('RefreshToken', randomUUID()), web.id, 'garbage']) {
        const res = await server.gql(REVOKE, { id });
        expect(res.body.data.refreshTokenRevoke).toEqual({ refreshToken: null, userErrors: userErrors([['id'], 'NOT_FOUND']) });
      }
    });
  });

  describe('consents and users', () => {
    it('userGrantDelete revokes the refresh tokens of that user, client and API, and only those', async () => {
      const user = await createUser();
      const result = await authorize(server, {
        clientId: web.clientId,
        redirectUri: CALLBACK,
        audience: api.identifier,
        scope: 'read:x offline_access',
        email: user.email,
        password: PASSWORD,
        extra: { prompt: 'consent' },
      });
      const tokens = await exchangeCode(server, web, result.params.code, result.verifier, CALLBACK);
      const kept = [await issue(web, user, otherApi), await issue(other, user), await issue(web, await createUser())];

      const grants = await gqlData(`query($user: ID!) { userGrants(filter: { user: $user }) { nodes { id scopes } } }`, { user: user.id });
      expect(grants.userGrants.nodes).toEqual([{ id: expect.any(String), scopes: ['offline_access', 'read:x'] }]);
      const deleted = await gqlData(`mutation($id: ID!) { userGrantDelete(id: $id) { deletedId userErrors { code } } }`, {
        id: grants.userGrants.nodes[0].id,
      });
      expect(deleted.userGrantDelete.userErrors).toEqual([]);

      const refused = await refresh(server, web, tokens.body.refresh_token);
      expect(refused.body.error).toBe('invalid_grant');
      expect((await refresh(server, web, kept[0])).status).toBe(200);
      expect((await refresh(server, other, kept[1])).status).toBe(200);
      expect((await refresh(server, web, kept[2])).status).toBe(200);

      const events = await gqlData(`{ auditEvents(last: 1, filter: { operation: "userGrantDelete" }) { nodes { summary } } }`);
      expect(events.auditEvents.nodes[0].summary).toMatchObject({ refreshTokenFamiliesRevoked: 1 });
    });

    it("userDelete removes the user's refresh tokens", async () => {
      const user = await createUser();
      const token = await issue(web, user);
      const deleted = await gqlData(`mutation($id: ID!) { userDelete(id: $id) { deletedId userErrors { code } } }`, { id: user.id });
      expect(deleted.userDelete.userErrors).toEqual([]);
      expect((await list({ filter: { user: user.id } })).totalCount).toBe(0);
      expect(await server.db.query(`SELECT 1 FROM refresh_tokens WHERE token_hash = $1`, [sha256Hex(token)])).toEqual([]);
      expect((await refresh(server, web, token)).body.error).toBe('invalid_grant');
    });
  });

  describe('client refresh-token settings', () => {
    const CREATE = `mutation($input: ClientCreateInput!) { clientCreate(input: $input) { client { id appType ${CLIENT_SETTINGS} } userErrors { field code message } } }`;
    const UPDATE = `mutation($id: ID!, $input: ClientUpdateInput!) { clientUpdate(id: $id, input: $input) { client { id ${CLIENT_SETTINGS} } userErrors { field code message } } }`;

    it('defaults; create with settings; partial updates merge; audited', async () => {
      const plain = (await server.gql(CREATE, { input: { name: 'plain', appType: 'REGULAR_WEB' } })).body.data.clientCreate;
      expect(plain.client.refreshToken).toEqual({ rotation: 'ROTATING', leeway: 0, absoluteLifetime: 2_592_000, idleLifetime: 1_296_000 });

      const short = (
        await server.gql(CREATE, { input: { name: 'short', appType: 'REGULAR_WEB', refreshToken: { absoluteLifetime: 3600 } } })
      ).body.data.clientCreate;
      // A shorter absolute lifetime shortens the default idle one.
      expect(short.client.refreshToken).toEqual({ rotation: 'ROTATING', leeway: 0, absoluteLifetime: 3600, idleLifetime: 3600 });

      const created = (
        await server.gql(CREATE, {
          input: {
            name: 'custom',
            appType: 'REGULAR_WEB',
            refreshToken: { rotation: 'NON_ROTATING', leeway: 60, absoluteLifetime: 86_400, idleLifetime: 3600 },
          },
        })
      ).body.data.clientCreate;
      expect(created.userErrors).toEqual([]);
      expect(created.client.refreshToken).toEqual({ rotation: 'NON_ROTATING', leeway: 60, absoluteLifetime: 86_400, idleLifetime: 3600 });

      const updated = (await server.gql(UPDATE, { id: created.client.id, input: { refreshToken: { leeway: 0 } } })).body.data.clientUpdate;
      expect(updated).toEqual({
        client: {
          id: created.client.id,
          refreshToken: { rotation: 'NON_ROTATING', leeway: 0, absoluteLifetime: 86_400, idleLifetime: 3600 },
        },
        userErrors: [],
      });
      const events = await gqlData(
        `{ auditEvents(last: 2, filter: { targetId: "${uuidOf(created.client.id)}" }) { nodes { operation summary } } }`,
      );
      expect(events.auditEvents.nodes).toEqual([
        {
          operation: 'clientCreate',
          summary: expect.objectContaining({
            refreshTokenSettings: { rotation: 'NON_ROTATING', leeway: 60, absoluteLifetime: 86_400, idleLifetime: 3600 },
          }),
        },
        {
          operation: 'clientUpdate',
          summary: { refreshTokenSettings: { rotation: 'NON_ROTATING', leeway: 0, absoluteLifetime: 86_400, idleLifetime: 3600 } },
        },
      ]);
    });

    it('validation: rotation for public clients, leeway 0–3600, absoluteLifetime 60 s–1 year, idleLifetime 60 s–absoluteLifetime', async () => {
      const field = (name: string) => ['input', 'refreshToken', name];
      const bad = await server.gql(CREATE, {
        input: { name: 'bad', appType: 'REGULAR_WEB', refreshToken: { leeway: 3601, absoluteLifetime: 31_536_001, idleLifetime: 59 } },
      });
      expect(bad.body.data.clientCreate).toEqual({
        client: null,
        userErrors: userErrors([field('leeway'), 'INVALID'], [field('absoluteLifetime'), 'INVALID'], [field('idleLifetime'), 'INVALID']),
      });
      const negative = await server.gql(CREATE, {
        input: { name: 'neg', appType: 'REGULAR_WEB', refreshToken: { leeway: -1, absoluteLifetime: 59 } },
      });
      expect(negative.body.data.clientCreate.userErrors).toEqual(
        userErrors([field('leeway'), 'INVALID'], [field('absoluteLifetime'), 'INVALID']),
      );
      const ok = await server.gql(CREATE, {
        input: {
          name: 'edges',
          appType: 'REGULAR_WEB',
          refreshToken: { leeway: 3600, absoluteLifetime: 31_536_000, idleLifetime: 31_536_000 },
        },
      });
      expect(ok.body.data.clientCreate.userErrors).toEqual([]);

      const client = (
        await server.gql(CREATE, {
          input: { name: 'c', appType: 'REGULAR_WEB', refreshToken: { absoluteLifetime: 7200, idleLifetime: 3600 } },
        })
      ).body.data.clientCreate.client;
      // Checked against the merged settings: idle may not exceed the stored absolute lifetime.
      const tooIdle = await server.gql(UPDATE, { id: client.id, input: { refreshToken: { idleLifetime: 7201 } } });
      expect(tooIdle.body.data.clientUpdate).toEqual({ client: null, userErrors: userErrors([field('idleLifetime'), 'INVALID']) });
      const shrink = await server.gql(UPDATE, { id: client.id, input: { refreshToken: { absoluteLifetime: 1800 } } });
      expect(shrink.body.data.clientUpdate.userErrors).toEqual(userErrors([field('idleLifetime'), 'INVALID']));

      for (const appType of ['SPA', 'NATIVE']) {
        const created = (await server.gql(CREATE, { input: { name: appType, appType, refreshToken: { leeway: 10 } } })).body.data
          .clientCreate;
        expect(created.client).toEqual({
          id: expect.any(String),
          appType,
          refreshToken: { rotation: 'ROTATING', leeway: 10, absoluteLifetime: 2_592_000, idleLifetime: 1_296_000 },
        });
        const refused = await server.gql(UPDATE, { id: created.client.id, input: { refreshToken: { rotation: 'NON_ROTATING' } } });
        expect(refused.body.data.clientUpdate).toEqual({ client: null, userErrors: userErrors([field('rotation'), 'INVALID']) });
      }
    });

    it('a rotation change applies to tokens already issued', async () => {
      const client = await createClient({ appType: 'REGULAR_WEB', callbacks: [CALLBACK] });
      const user = await createUser();
      const token = await issue(client, user);
      await gqlData(
        `mutation($id: ID!) { clientUpdate(id: $id, input: { refreshToken: { rotation: NON_ROTATING } }) { userErrors { code } } }`,
        { id: client.id },
      );
      const res = await refresh(server, client, token);
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toBeUndefined();
      expect((await refresh(server, client, token)).status).toBe(200);
    });
  });
});
