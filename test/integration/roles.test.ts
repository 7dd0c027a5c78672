import { randomUUID } from 'node:crypto';
import { startTestServer, TestServer, CountingLogger } from '../helpers/test-app';
import { ApiFixture, fixtures, globalId, userErrors, uuidOf } from '../helpers/fixtures';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';
import { userinfoUrl } from '../../src/oauth/userinfo-url';

const ROLE_FIELDS = `id name description createdAt updatedAt permissions { resourceServerIdentifier scope resourceServer { id } }`;
const ROLE_CREATE = `mutation($input: RoleCreateInput!) {
  roleCreate(input: $input) { role { ${ROLE_FIELDS} } userErrors { field code message } }
}`;
const ROLE_UPDATE = `mutation($id: ID!, $input: RoleUpdateInput!) {
  roleUpdate(id: $id, input: $input) { role { ${ROLE_FIELDS} } userErrors { field code message } }
}`;
const ROLE_DELETE = `mutation($id: ID!) { roleDelete(id: $id) { deletedId userErrors { field code message } } }`;
const PERMS_ADD = `mutation($id: ID!, $permissions: [PermissionInput!]!) {
  rolePermissionsAdd(id: $id, permissions: $permissions) { role { id permissions { resourceServerIdentifier scope } } userErrors { field code message } }
}`;
const PERMS_REMOVE = `mutation($id: ID!, $permissions: [PermissionInput!]!) {
  rolePermissionsRemove(id: $id, permissions: $permissions) { role { id permissions { resourceServerIdentifier scope } } userErrors { field code message } }
}`;
const ASSIGN = `mutation($id: ID!, $roleIds: [ID!]!) {
  userRolesAssign(id: $id, roleIds: $roleIds) { user { id roles { totalCount nodes { name } } } userErrors { field code message } }
}`;
const UNASSIGN = `mutation($id: ID!, $roleIds: [ID!]!) {
  userRolesRemove(id: $id, roleIds: $roleIds) { user { id roles { totalCount nodes { name } } } userErrors { field code message } }
}`;

describe('roles (RBAC management)', () => {
  let server: TestServer;
  const sql = new CountingLogger();
  const { gqlData, createApi } = fixtures(() => server, 'roles');
  let seq = 0;
  const unique = (prefix: string) => `${prefix} ${++seq} ${randomUUID().slice(0, 6)}`;

  let api: ApiFixture; // read:x write:x delete:x
  let other: ApiFixture; // read:x write:x
  let managementApiId: string;
  let userinfoApiId: string;

  beforeAll(async () => {
    server = await startTestServer({ sqlLogger: sql });
    api = await createApi({ scopes: [{ value: 'read:x' }, { value: 'write:x' }, { value: 'delete:x' }] });
    other = await createApi();
    const data = await gqlData(`query($identifier: String!) { resourceServer(identifier: $identifier) { id } }`, {
      identifier: server.config.managementAudience,
    });
    managementApiId = data.resourceServer.id;
    const userinfo = await gqlData(`query($identifier: String!) { resourceServer(identifier: $identifier) { id } }`, {
      identifier: userinfoUrl(server.config.issuer),
    });
    userinfoApiId = userinfo.resourceServer.id;
  });
  afterAll(async () => {
    await server?.close();
  });

  async function createRole(name = unique('role'), description?: string) {
    const data = await gqlData(ROLE_CREATE, { input: { name, description } });
    expect(data.roleCreate.userErrors).toEqual([]);
    return data.roleCreate.role as { id: string; name: string };
  }

  async function createUser(email = `${randomUUID().slice(0, 8)}@roles.example`) {
    const user = await server.app.users.create({ email }, SYSTEM_ACTOR);
    return globalId('User', user.id);
  }

  describe('roleCreate / roleUpdate / roleDelete', () => {
    it('creates a role with a trimmed name and an empty description by default', async () => {
      const data = await gqlData(ROLE_CREATE, { input: { name: '  Editors  ' } });
      expect(data.roleCreate).toEqual({
        role: {
          id: expect.any(String),
          name: 'Editors',
          description: '',
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
          permissions: [],
        },
        userErrors: [],
      });
      expect(uuidOf(data.roleCreate.role.id)).toMatch(/^[0-9a-f-]{36}$/);
      const read = await gqlData(`query($id: ID!) { role(id: $id) { id name description } }`, { id: data.roleCreate.role.id });
      expect(read.role).toEqual({ id: data.roleCreate.role.id, name: 'Editors', description: '' });
    });

    it('validates the name and description, all issues at once', async () => {
      const data = await gqlData(ROLE_CREATE, { input: { name: ' ', description: 'x'.repeat(501) } });
      expect(data.roleCreate).toEqual({
        role: null,
        userErrors: userErrors([['input', 'name'], 'INVALID'], [['input', 'description'], 'INVALID']),
      });
      const long = await gqlData(ROLE_CREATE, { input: { name: 'n'.repeat(201) } });
      expect(long.roleCreate.userErrors).toEqual(userErrors([['input', 'name'], 'INVALID']));
      const html = await gqlData(ROLE_CREATE, { input: { name: '<b>admin</b>' } });
      expect(html.roleCreate.userErrors).toEqual(userErrors([['input', 'name'], 'INVALID']));
      const ok = await gqlData(ROLE_CREATE, { input: { name: 'n'.repeat(200), description: 'd'.repeat(500) } });
      expect(ok.roleCreate.userErrors).toEqual([]);
    });

    it('names are unique whatever their case (create and rename)', async () => {
      const name = unique('Auditors');
      await createRole(name);
      const taken = await gqlData(ROLE_CREATE, { input: { name: name.toUpperCase() } });
      expect(taken.roleCreate).toEqual({ role: null, userErrors: userErrors([['input', 'name'], 'TAKEN']) });
      const second = await createRole();
      const rename = await gqlData(ROLE_UPDATE, { id: second.id, input: { name: name.toLowerCase() } });
      expect(rename.roleUpdate).toEqual({ role: null, userErrors: userErrors([['input', 'name'], 'TAKEN']) });
    });

    it('updates the name and description; omitted fields keep their value; a change of case of its own name is fine', async () => {
      const role = await createRole(unique('support'), 'first');
      const renamed = await gqlData(ROLE_UPDATE, { id: role.id, input: { name: role.name.toUpperCase() } });
      expect(renamed.roleUpdate.userErrors).toEqual([]);
      expect(renamed.roleUpdate.role).toMatchObject({ name: role.name.toUpperCase(), description: 'first' });
      const described = await gqlData(ROLE_UPDATE, { id: role.id, input: { description: '' } });
      expect(described.roleUpdate.role).toMatchObject({ name: role.name.toUpperCase(), description: '' });
      const bad = await gqlData(ROLE_UPDATE, { id: role.id, input: { name: '' } });
      expect(bad.roleUpdate.userErrors).toEqual(userErrors([['input', 'name'], 'INVALID']));
    });

    it('unknown or foreign IDs are NOT_FOUND', async () => {
      const missing = globalId('Role', randomUUID());
      expect((await gqlData(ROLE_UPDATE, { id: missing, input: { name: 'x' } })).roleUpdate.userErrors).toEqual(
        userErrors([['id'], 'NOT_FOUND']),
      );
      expect((await gqlData(ROLE_DELETE, { id: missing })).roleDelete).toEqual({
        deletedId: null,
        userErrors: userErrors([['id'], 'NOT_FOUND']),
      });
      expect((await gqlData(ROLE_DELETE, { id: api.id })).roleDelete.userErrors).toEqual(userErrors([['id'], 'NOT_FOUND']));
      expect((await gqlData(`query($id: ID!) { role(id: $id) { id } }`, { id: api.id })).role).toBeNull();
    });

    it('deletes a role: its users lose it, its permissions go with it', async () => {
      const role = await createRole();
      await gqlData(PERMS_ADD, { id: role.id, permissions: [{ resourceServerId: api.id, scope: 'read:x' }] });
      const userId = await createUser();
      await gqlData(ASSIGN, { id: userId, roleIds: [role.id] });
      const deleted = await gqlData(ROLE_DELETE, { id: role.id });
      expect(deleted.roleDelete).toEqual({ deletedId: role.id, userErrors: [] });
      expect((await gqlData(`query($id: ID!) { role(id: $id) { id } }`, { id: role.id })).role).toBeNull();
      const user = await gqlData(`query($id: ID!) { user(id: $id) { roles { totalCount } permissions { scope } } }`, { id: userId });
      expect(user.user).toEqual({ roles: { totalCount: 0 }, permissions: [] });
      const rows = await server.db.query(`SELECT 1 FROM role_permissions WHERE role_id = $1`, [uuidOf(role.id)]);
      expect(rows).toEqual([]);
    });
  });

  describe('roles(...) and node(id)', () => {
    it('lists roles oldest first with Relay pagination, filters by name (any case)', async () => {
      const names = [unique('page'), unique('page'), unique('page')];
      for (const name of names) await createRole(name);
      const all = await gqlData(`{ roles(first: 100) { totalCount nodes { name } } }`);
      const listed = all.roles.nodes.map((n: { name: string }) => n.name);
      expect(listed.filter((n: string) => names.includes(n))).toEqual(names);
      expect(all.roles.totalCount).toBe(listed.length);

      const first = await gqlData(`{ roles(first: 1) { pageInfo { hasNextPage endCursor } nodes { name } } }`);
      expect(first.roles.pageInfo.hasNextPage).toBe(true);
      const next = await gqlData(`query($after: String) { roles(first: 1, after: $after) { nodes { name } } }`, {
        after: first.roles.pageInfo.endCursor,
      });
      expect(next.roles.nodes).toEqual([{ name: listed[1] }]);
      const last = await gqlData(`{ roles(last: 1) { nodes { name } } }`);
      expect(last.roles.nodes).toEqual([{ name: listed[listed.length - 1] }]);

      const filtered = await gqlData(`query($name: String) { roles(filter: { name: $name }) { totalCount nodes { name } } }`, {
        name: names[1].toUpperCase(),
      });
      expect(filtered.roles).toEqual({ totalCount: 1, nodes: [{ name: names[1] }] });
    });

    it('node(id) resolves a Role (read:roles)', async () => {
      const role = await createRole();
      const data = await gqlData(`query($id: ID!) { node(id: $id) { __typename ... on Role { id name } } }`, { id: role.id });
      expect(data.node).toEqual({ __typename: 'Role', id: role.id, name: role.name });
      const gone = await gqlData(`query($id: ID!) { node(id: $id) { id } }`, { id: globalId('Role', randomUUID()) });
      expect(gone.node).toBeNull();
      const token = await server.managementToken(['read:users']);
      const res = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: role.id }, token);
      expect(res.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'FORBIDDEN', missingScopes: ['read:roles'] } })]);
    });
  });

  describe('permissions', () => {
    it('adds scopes of APIs in order; repeats and those held already are no-ops', async () => {
      const role = await createRole();
      const added = await gqlData(PERMS_ADD, {
        id: role.id,
        permissions: [
          { resourceServerId: api.id, scope: 'write:x' },
          { resourceServerId: api.id, scope: 'read:x' },
          { resourceServerId: api.id, scope: 'write:x' },
          { resourceServerId: other.id, scope: 'read:x' },
        ],
      });
      expect(added.rolePermissionsAdd).toEqual({
        role: {
          id: role.id,
          permissions: [
            { resourceServerIdentifier: api.identifier, scope: 'write:x' },
            { resourceServerIdentifier: api.identifier, scope: 'read:x' },
            { resourceServerIdentifier: other.identifier, scope: 'read:x' },
          ],
        },
        userErrors: [],
      });
      const again = await gqlData(PERMS_ADD, { id: role.id, permissions: [{ resourceServerId: api.id, scope: 'read:x' }] });
      expect(again.rolePermissionsAdd.role.permissions).toHaveLength(3);
      const read = await gqlData(`query($id: ID!) { role(id: $id) { permissions { scope resourceServer { id identifier } } } }`, {
        id: role.id,
      });
      expect(read.role.permissions[0]).toEqual({ scope: 'write:x', resourceServer: { id: api.id, identifier: api.identifier } });
    });

    it('refuses scopes not defined on the API, unknown APIs and the userinfo API, each at its index; nothing is added', async () => {
      const role = await createRole();
      const res = await gqlData(PERMS_ADD, {
        id: role.id,
        permissions: [
          { resourceServerId: api.id, scope: 'read:x' },
          { resourceServerId: api.id, scope: 'nope' },
          { resourceServerId: globalId('ResourceServer', randomUUID()), scope: 'read:x' },
          { resourceServerId: role.id, scope: 'read:x' },
          { resourceServerId: userinfoApiId, scope: 'openid' },
          { resourceServerId: other.id, scope: 'delete:x' },
        ],
      });
      expect(res.rolePermissionsAdd).toEqual({
        role: null,
        userErrors: userErrors(
          [['permissions', '1', 'scope'], 'INVALID'],
          [['permissions', '2', 'resourceServerId'], 'NOT_FOUND'],
          [['permissions', '3', 'resourceServerId'], 'NOT_FOUND'],
          [['permissions', '4', 'resourceServerId'], 'SYSTEM_RESOURCE'],
          [['permissions', '5', 'scope'], 'INVALID'],
        ),
      });
      const read = await gqlData(`query($id: ID!) { role(id: $id) { permissions { scope } } }`, { id: role.id });
      expect(read.role.permissions).toEqual([]);
      const missingRole = await gqlData(PERMS_ADD, {
        id: globalId('Role', randomUUID()),
        permissions: [{ resourceServerId: api.id, scope: 'read:x' }],
      });
      expect(missingRole.rolePermissionsAdd.userErrors).toEqual(userErrors([['id'], 'NOT_FOUND']));
    });

    it("gives the Management API's scopes (what a person may do in the console)", async () => {
      const role = await createRole();
      const res = await gqlData(PERMS_ADD, { id: role.id, permissions: [{ resourceServerId: managementApiId, scope: 'read:users' }] });
      expect(res.rolePermissionsAdd.userErrors).toEqual([]);
      expect(res.rolePermissionsAdd.role.permissions).toEqual([
        { resourceServerIdentifier: server.config.managementAudience, scope: 'read:users' },
      ]);
    });

    it('limits a role to 1000 permissions (LIMIT_EXCEEDED)', async () => {
      const scopes = Array.from({ length: 1000 }, (_, i) => ({ value: `s:${i}` }));
      const big = await createApi({ scopes });
      const role = await createRole();
      const tooMany = await gqlData(PERMS_ADD, {
        id: role.id,
        permissions: [...scopes, { value: 's:0' }].map((s) => ({ resourceServerId: big.id, scope: s.value })),
      });
      expect(tooMany.rolePermissionsAdd.userErrors).toEqual(userErrors([['permissions'], 'LIMIT_EXCEEDED']));
      const full = await gqlData(PERMS_ADD, {
        id: role.id,
        permissions: scopes.map((s) => ({ resourceServerId: big.id, scope: s.value })),
      });
      expect(full.rolePermissionsAdd.userErrors).toEqual([]);
      expect(full.rolePermissionsAdd.role.permissions).toHaveLength(1000);
      const more = await gqlData(PERMS_ADD, { id: role.id, permissions: [{ resourceServerId: api.id, scope: 'read:x' }] });
      expect(more.rolePermissionsAdd.userErrors).toEqual(userErrors([['permissions'], 'LIMIT_EXCEEDED']));
      // Those held already are no-ops, not over the limit.
      const held = await gqlData(PERMS_ADD, { id: role.id, permissions: [{ resourceServerId: big.id, scope: 's:1' }] });
      expect(held.rolePermissionsAdd.userErrors).toEqual([]);
    });

    it('removes permissions; those not held are no-ops; a malformed API id is NOT_FOUND', async () => {
      const role = await createRole();
      await gqlData(PERMS_ADD, {
        id: role.id,
        permissions: [
          { resourceServerId: api.id, scope: 'read:x' },
          { resourceServerId: api.id, scope: 'write:x' },
        ],
      });
      const removed = await gqlData(PERMS_REMOVE, {
        id: role.id,
        permissions: [
          { resourceServerId: api.id, scope: 'read:x' },
          { resourceServerId: api.id, scope: 'delete:x' },
          { resourceServerId: other.id, scope: 'nope' },
        ],
      });
      expect(removed.rolePermissionsRemove).toEqual({
        role: { id: role.id, permissions: [{ resourceServerIdentifier: api.identifier, scope: 'write:x' }] },
        userErrors: [],
      });
      const bad = await gqlData(PERMS_REMOVE, { id: role.id, permissions: [{ resourceServerId: role.id, scope: 'write:x' }] });
      expect(bad.rolePermissionsRemove).toEqual({
        role: null,
        userErrors: userErrors([['permissions', '0', 'resourceServerId'], 'NOT_FOUND']),
      });
    });

    it('a scope removed from its API (or the API deleted) leaves every role that held it', async () => {
      const temp = await createApi({ scopes: [{ value: 'a' }, { value: 'b' }] });
      const role = await createRole();
      await gqlData(PERMS_ADD, {
        id: role.id,
        permissions: [
          { resourceServerId: temp.id, scope: 'a' },
          { resourceServerId: temp.id, scope: 'b' },
          { resourceServerId: api.id, scope: 'read:x' },
        ],
      });
      const scopesRemoved = await gqlData(
        `mutation($id: ID!) { resourceServerScopesRemove(id: $id, values: ["a"]) { userErrors { code } } }`,
        { id: temp.id },
      );
      expect(scopesRemoved.resourceServerScopesRemove.userErrors).toEqual([]);
      const afterScope = await gqlData(`query($id: ID!) { role(id: $id) { permissions { scope } } }`, { id: role.id });
      expect(afterScope.role.permissions).toEqual([{ scope: 'b' }, { scope: 'read:x' }]);
      await gqlData(`mutation($id: ID!) { resourceServerDelete(id: $id) { userErrors { code } } }`, { id: temp.id });
      const afterApi = await gqlData(`query($id: ID!) { role(id: $id) { permissions { scope } } }`, { id: role.id });
      expect(afterApi.role.permissions).toEqual([{ scope: 'read:x' }]);
    });
  });

  describe('userRolesAssign / userRolesRemove, User.roles, User.permissions, Role.users', () => {
    it('assigns and removes roles; effective permissions are distinct across roles', async () => {
      const reader = await createRole(unique('reader'));
      const deleter = await createRole(unique('deleter'));
      await gqlData(PERMS_ADD, {
        id: reader.id,
        permissions: [
          { resourceServerId: api.id, scope: 'read:x' },
          { resourceServerId: other.id, scope: 'read:x' },
        ],
      });
      await gqlData(PERMS_ADD, {
        id: deleter.id,
        permissions: [
          { resourceServerId: api.id, scope: 'delete:x' },
          { resourceServerId: api.id, scope: 'read:x' },
        ],
      });
      const userId = await createUser();
      const assigned = await gqlData(ASSIGN, { id: userId, roleIds: [reader.id, deleter.id, reader.id] });
      expect(assigned.userRolesAssign).toEqual({
        user: { id: userId, roles: { totalCount: 2, nodes: [{ name: reader.name }, { name: deleter.name }] } },
        userErrors: [],
      });
      // Held already: a no-op.
      expect((await gqlData(ASSIGN, { id: userId, roleIds: [reader.id] })).userRolesAssign.user.roles.totalCount).toBe(2);

      const user = await gqlData(
        `query($id: ID!) { user(id: $id) { permissions { resourceServerIdentifier scope resourceServer { id } } } }`,
        { id: userId },
      );
      const expected = [
        { resourceServerIdentifier: api.identifier, scope: 'delete:x', resourceServer: { id: api.id } },
        { resourceServerIdentifier: api.identifier, scope: 'read:x', resourceServer: { id: api.id } },
        { resourceServerIdentifier: other.identifier, scope: 'read:x', resourceServer: { id: other.id } },
      ].sort((a, b) => a.resourceServerIdentifier.localeCompare(b.resourceServerIdentifier) || a.scope.localeCompare(b.scope));
      expect(user.user.permissions).toEqual(expected);

      const role = await gqlData(`query($id: ID!) { role(id: $id) { users { totalCount nodes { id } } } }`, { id: reader.id });
      expect(role.role.users).toEqual({ totalCount: 1, nodes: [{ id: userId }] });

      const removed = await gqlData(UNASSIGN, { id: userId, roleIds: [reader.id] });
      expect(removed.userRolesRemove).toEqual({
        user: { id: userId, roles: { totalCount: 1, nodes: [{ name: deleter.name }] } },
        userErrors: [],
      });
      // Not held: a no-op.
      expect((await gqlData(UNASSIGN, { id: userId, roleIds: [reader.id] })).userRolesRemove.userErrors).toEqual([]);
      const after = await gqlData(`query($id: ID!) { user(id: $id) { permissions { scope } } }`, { id: userId });
      expect(after.user.permissions).toEqual([{ scope: 'delete:x' }, { scope: 'read:x' }]);
    });

    it('unknown roles are NOT_FOUND at their index, an unknown user at id; nothing changes', async () => {
      const role = await createRole();
      const userId = await createUser();
      const res = await gqlData(ASSIGN, { id: userId, roleIds: [role.id, globalId('Role', randomUUID()), userId] });
      expect(res.userRolesAssign).toEqual({
        user: null,
        userErrors: userErrors([['roleIds', '1'], 'NOT_FOUND'], [['roleIds', '2'], 'NOT_FOUND']),
      });
      const user = await gqlData(`query($id: ID!) { user(id: $id) { roles { totalCount } } }`, { id: userId });
      expect(user.user.roles.totalCount).toBe(0);
      const noUser = await gqlData(ASSIGN, { id: globalId('User', randomUUID()), roleIds: [role.id] });
      expect(noUser.userRolesAssign.userErrors).toEqual(userErrors([['id'], 'NOT_FOUND']));
      const notAUser = await gqlData(UNASSIGN, { id: role.id, roleIds: [role.id] });
      expect(notAUser.userRolesRemove.userErrors).toEqual(userErrors([['id'], 'NOT_FOUND']));
      const removeUnknown = await gqlData(UNASSIGN, { id: userId, roleIds: [globalId('Role', randomUUID())] });
      expect(removeUnknown.userRolesRemove.userErrors).toEqual(userErrors([['roleIds', '0'], 'NOT_FOUND']));
    });

    it("pages a user's roles and a role's users in assignment order", async () => {
      const roles = [await createRole(), await createRole(), await createRole()];
      const users = [await createUser(), await createUser(), await createUser()];
      await gqlData(ASSIGN, { id: users[0], roleIds: [roles[2].id, roles[0].id, roles[1].id] });
      for (const user of users) await gqlData(ASSIGN, { id: user, roleIds: [roles[1].id] });
      const first = await gqlData(
        `query($id: ID!) { user(id: $id) { roles(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } } }`,
        {
          id: users[0],
        },
      );
      expect(first.user.roles).toMatchObject({
        totalCount: 3,
        pageInfo: { hasNextPage: true },
        nodes: [{ id: roles[2].id }, { id: roles[0].id }],
      });
      const next = await gqlData(
        `query($id: ID!, $after: String) { user(id: $id) { roles(first: 2, after: $after) { pageInfo { hasNextPage } nodes { id } } } }`,
        {
          id: users[0],
          after: first.user.roles.pageInfo.endCursor,
        },
      );
      expect(next.user.roles).toEqual({ pageInfo: { hasNextPage: false }, nodes: [{ id: roles[1].id }] });
      const roleUsers = await gqlData(`query($id: ID!) { role(id: $id) { users(first: 2) { totalCount nodes { id } } } }`, {
        id: roles[1].id,
      });
      expect(roleUsers.role.users).toEqual({ totalCount: 3, nodes: [{ id: users[0] }, { id: users[1] }] });
    });

    it('a page of users with their roles and permissions costs a fixed number of statements (no N+1)', async () => {
      const role = await createRole();
      const second = await createRole();
      await gqlData(PERMS_ADD, { id: role.id, permissions: [{ resourceServerId: api.id, scope: 'read:x' }] });
      await gqlData(PERMS_ADD, { id: second.id, permissions: [{ resourceServerId: other.id, scope: 'write:x' }] });
      for (let i = 0; i < 6; i++) await gqlData(ASSIGN, { id: await createUser(), roleIds: [role.id, second.id] });
      const query = `query($id: ID!, $n: Int) { role(id: $id) { users(first: $n) { nodes { id
        roles(first: 5) { totalCount nodes { name permissions { scope resourceServer { identifier } } users(first: 2) { totalCount nodes { id } } } }
        permissions { scope resourceServerIdentifier } } } } }`;
      const count = async (n: number) => {
        const before = sql.count;
        const res = await server.gql(query, { id: role.id, n });
        expect(res.body.errors).toBeUndefined();
        expect(res.body.data.role.users.nodes).toHaveLength(n);
        return sql.count - before;
      };
      await count(1);
      const few = await count(2);
      const many = await count(6);
      expect(many).toBe(few);
    });
  });

  describe('authorization', () => {
    it('each operation needs its scope; User.roles, User.permissions and Role.users fail alone', async () => {
      const role = await createRole();
      const userId = await createUser();
      const none = await server.managementToken(['read:clients']);
      const cases: [string, Record<string, unknown>, string][] = [
        [`{ roles { totalCount } }`, {}, 'read:roles'],
        [`query($id: ID!) { role(id: $id) { id } }`, { id: role.id }, 'read:roles'],
        [ROLE_CREATE.replace(ROLE_FIELDS, 'id'), { input: { name: 'x' } }, 'create:roles'],
        [ROLE_UPDATE.replace(ROLE_FIELDS, 'id'), { id: role.id, input: { name: 'x' } }, 'update:roles'],
        [ROLE_DELETE, { id: role.id }, 'delete:roles'],
        [
          PERMS_ADD.replace('role { id permissions { resourceServerIdentifier scope } }', 'userErrors { code }'),
          { id: role.id, permissions: [] },
          'update:roles',
        ],
        [
          PERMS_REMOVE.replace('role { id permissions { resourceServerIdentifier scope } }', 'userErrors { code }'),
          { id: role.id, permissions: [] },
          'update:roles',
        ],
        [
          ASSIGN.replace('user { id roles { totalCount nodes { name } } }', 'userErrors { code }'),
          { id: userId, roleIds: [] },
          'update:roles',
        ],
        [
          UNASSIGN.replace('user { id roles { totalCount nodes { name } } }', 'userErrors { code }'),
          { id: userId, roleIds: [] },
          'update:roles',
        ],
      ];
      for (const [query, variables, scope] of cases) {
        const res = await server.gql(query, variables, none);
        expect(res.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'FORBIDDEN', missingScopes: [scope] } })]);
      }

      const usersOnly = await server.managementToken(['read:users']);
      const user = await server.gql(
        `query($id: ID!) { user(id: $id) { id roles { totalCount } permissions { scope } } }`,
        { id: userId },
        usersOnly,
      );
      expect(user.body.data).toEqual({ user: { id: userId, roles: null, permissions: null } });
      expect(user.body.errors!.map((e: any) => [e.path.join('.'), e.extensions.missingScopes])).toEqual([
        ['user.roles', ['read:roles']],
        ['user.permissions', ['read:roles']],
      ]);

      const rolesOnly = await server.managementToken(['read:roles']);
      await gqlData(PERMS_ADD, { id: role.id, permissions: [{ resourceServerId: api.id, scope: 'read:x' }] });
      const read = await server.gql(
        `query($id: ID!) { role(id: $id) { name users { totalCount } permissions { scope resourceServer { id } } } }`,
        { id: role.id },
        rolesOnly,
      );
      expect(read.body.data).toEqual({ role: { name: role.name, users: null, permissions: [{ scope: 'read:x', resourceServer: null }] } });
      expect(read.body.errors!.map((e: any) => e.extensions.missingScopes)).toEqual([['read:users'], ['read:resource_servers']]);
    });
  });
});
