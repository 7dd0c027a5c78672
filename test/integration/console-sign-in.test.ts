import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startTestServer, TestServer, BOOTSTRAP } from '../helpers/test-app';
import { basicAuth, fixtures, globalId, userErrors } from '../helpers/fixtures';
import { consoleAuthorize, consoleConfig, consoleSignIn } from '../helpers/console-sign-in';
import { ALL_MANAGEMENT_SCOPES } from '../../src/domain/management-scopes';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';

const ADMIN = { email: 'admin@console.example', password: 'correct horse battery staple' };
const PASSWORD = 'a long enough password';
const RS_CREATE = `mutation($input: ResourceServerCreateInput!) {
  resourceServerCreate(input: $input) { resourceServer { id identifier } userErrors { field code message } }
}`;
const AUDIT = `query($filter: AuditEventFilter) {
  auditEvents(last: 5, filter: $filter) { nodes { operation targetId outcome actor { subject clientId } } }
}`;

describe('signing in to the Management API as a person (the console)', () => {
  let server: TestServer;
  const f = fixtures(() => server, 'console');
  let managementApiId: string;
  let n = 0;

  beforeAll(async () => {
    server = await startTestServer({ config: { bootstrapAdmin: ADMIN } });
    const data = await f.gqlData(`query($identifier: String!) { resourceServer(identifier: $identifier) { id } }`, {
      identifier: server.config.managementAudience,
    });
    managementApiId = data.resourceServer.id;
  });
  afterAll(async () => {
    await server?.close();
  });

  async function createUser(): Promise<{ id: string; email: string }> {
    const email = `person${++n}-${randomBytes(3).toString('hex')}@console.example`;
    const user = await server.app.users.create({ email, password: PASSWORD }, SYSTEM_ACTOR);
    return { id: user.id, email };
  }

  /** A role holding these management scopes, given to the user; the role's global ID. */
  async function giveRole(userId: string, scopes: string[]): Promise<string> {
    const role = await f.gqlData(
      `mutation($input: RoleCreateInput!) { roleCreate(input: $input) { role { id } userErrors { message } } }`,
      {
        input: { name: `role ${++n}` },
      },
    );
    const id = role.roleCreate.role.id;
    const added = await f.gqlData(
      `mutation($id: ID!, $permissions: [PermissionInput!]!) { rolePermissionsAdd(id: $id, permissions: $permissions) { userErrors { code message } } }`,
      { id, permissions: scopes.map((scope) => ({ resourceServerId: managementApiId, scope })) },
    );
    expect(added.rolePermissionsAdd.userErrors).toEqual([]);
    const assigned = await f.gqlData(
      `mutation($id: ID!, $roleIds: [ID!]!) { userRolesAssign(id: $id, roleIds: $roleIds) { userErrors { message } } }`,
      { id: globalId('User', userId), roleIds: [id] },
    );
    expect(assigned.userRolesAssign.userErrors).toEqual([]);
    return id;
  }

  it('serves /console/config.json: the console client, the Management API audience, every management scope and the token hook timeout limits', async () => {
    const response = await fetch(`${server.url}/console/config.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await response.json();
    const clients = await f.gqlData(
      `{ clients(first: 100) { nodes { clientId name appType isSystem tokenEndpointAuthMethod grantTypes callbacks allowedOrigins allowedLogoutUrls isFirstParty } } }`,
    );
    const console = clients.clients.nodes.filter((c: { isSystem: boolean }) => c.isSystem);
    expect(console).toEqual([
      {
        clientId: body.clientId,
        name: 'Console',
        appType: 'SPA',
        isSystem: true,
        tokenEndpointAuthMethod: 'NONE',
        grantTypes: ['AUTHORIZATION_CODE', 'REFRESH_TOKEN'],
        callbacks: [`${server.url}/console/callback`],
        allowedOrigins: [server.url],
        allowedLogoutUrls: [`${server.url}/console/`],
        isFirstParty: true,
      },
    ]);
    expect(body).toEqual({
      issuer: server.url,
      clientId: console[0].clientId,
      audience: server.config.managementAudience,
      redirectUri: `${server.url}/console/callback`,
      postLogoutRedirectUri: `${server.url}/console/`,
      scopes: ALL_MANAGEMENT_SCOPES,
      tokenHookTimeoutMs: { min: 100, max: 10000, default: 2000 },
    });
    expect(body.scopes[0]).toBe('read:resource_servers');
  });

  it('an administrator signs in through /authorize (no consent page), calls a mutation, and the audit event names them and the console', async () => {
    const pages: { text: string }[] = [];
    const { params } = await consoleAuthorize(server, { ...ADMIN, pages: pages as never });
    expect(pages.map((p) => p.text.includes('/authorize/consent'))).toEqual([false]);
    expect(params).toEqual({ code: expect.any(String), state: 'console-state', iss: server.url });

    const tokens = await consoleSignIn(server, ADMIN.email, ADMIN.password);
    // offline_access is the refresh token itself, never in the access token's scope.
    expect(tokens.scope.split(' ').sort()).toEqual(['openid', ...ALL_MANAGEMENT_SCOPES].sort());
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)), {
      issuer: server.url,
      audience: server.config.managementAudience,
    });
    const [admin] = await server.app.database.dataSource.query(`SELECT id FROM users WHERE email = $1`, [ADMIN.email]);
    expect(payload).toMatchObject({ sub: admin.id, client_id: tokens.config.clientId });

    const identifier = `https://console-${randomBytes(4).toString('hex')}.example/`;
    const created = await server.gql(RS_CREATE, { input: { name: 'By a person', identifier } }, tokens.access_token);
    expect(created.status).toBe(200);
    expect(created.body.data.resourceServerCreate).toEqual({ resourceServer: { id: expect.any(String), identifier }, userErrors: [] });

    const events = await f.gqlData(AUDIT, { filter: { operation: 'resourceServerCreate', actor: payload.sub } });
    expect(events.auditEvents.nodes).toEqual([
      {
        operation: 'resourceServerCreate',
        targetId: created.body.data.resourceServerCreate.resourceServer.id,
        outcome: 'SUCCESS',
        actor: { subject: payload.sub, clientId: tokens.config.clientId },
      },
    ]);

    // Rotating refresh tokens: a new access token with the same scopes, and a new refresh token.
    const refreshed = await server.token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: tokens.config.clientId,
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.body.scope.split(' ').sort()).toEqual(tokens.scope.split(' ').sort());
    const again = await server.gql(`{ resourceServer(identifier: "${identifier}") { name } }`, undefined, refreshed.body.access_token);
    expect(again.body).toEqual({ data: { resourceServer: { name: 'By a person' } } });
  });

  it('a person with a read-only role gets only those scopes: queries work, mutations are FORBIDDEN', async () => {
    const viewer = await createUser();
    await giveRole(viewer.id, ['read:resource_servers', 'read:roles']);
    const tokens = await consoleSignIn(server, viewer.email, PASSWORD);
    expect(tokens.scope.split(' ').sort()).toEqual(['openid', 'read:resource_servers', 'read:roles']);

    const listed = await server.gql(`{ resourceServers(first: 1) { totalCount } }`, undefined, tokens.access_token);
    expect(listed.status).toBe(200);
    expect(listed.body.errors).toBeUndefined();
    expect(listed.body.data.resourceServers.totalCount).toBeGreaterThan(0);

    const refused = await server.gql(
      RS_CREATE,
      { input: { name: 'Nope', identifier: 'https://nope.console.example/' } },
      tokens.access_token,
    );
    expect(refused.status).toBe(200);
    expect(refused.body.data).toBeNull();
    expect(refused.body.errors).toHaveLength(1);
    expect(refused.body.errors![0].extensions?.code).toBe('FORBIDDEN');
    expect(refused.body.errors![0].message).toContain('create:resource_servers');
  });

  it('RBAC applies whatever the Management API says, and a role taken away applies from the next request', async () => {
    const person = await createUser();
    const roleId = await giveRole(person.id, ['read:users']);
    const tokens = await consoleSignIn(server, person.email, PASSWORD);
    expect(tokens.scope.split(' ').sort()).toEqual(['openid', 'read:users']);
    const query = `{ users(first: 1) { totalCount } }`;
    expect((await server.gql(query, undefined, tokens.access_token)).body.errors).toBeUndefined();

    const removed = await f.gqlData(
      `mutation($id: ID!, $roleIds: [ID!]!) { userRolesRemove(id: $id, roleIds: $roleIds) { userErrors { message } } }`,
      { id: globalId('User', person.id), roleIds: [roleId] },
    );
    expect(removed.userRolesRemove.userErrors).toEqual([]);
    const after = await server.gql(query, undefined, tokens.access_token);
    expect(after.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it("refuses a blocked person's token at /graphql (401), and their refresh", async () => {
    const person = await createUser();
    await giveRole(person.id, ['read:users']);
    const tokens = await consoleSignIn(server, person.email, PASSWORD);
    expect((await server.gql(`{ users(first: 1) { totalCount } }`, undefined, tokens.access_token)).status).toBe(200);
    await f.gqlData(`mutation($id: ID!) { userUpdate(id: $id, input: { blocked: true }) { userErrors { message } } }`, {
      id: globalId('User', person.id),
    });
    const refused = await server.gql(`{ users(first: 1) { totalCount } }`, undefined, tokens.access_token);
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({
      errors: [{ message: 'A valid access token for the Management API is required', extensions: { code: 'UNAUTHENTICATED' } }],
    });
    const refresh = await server.token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: tokens.config.clientId,
    });
    expect(refresh).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  describe('no other client gets a Management API token for a person', () => {
    const CALLBACK = 'https://app.console.example/callback';

    it('/authorize: first-party and third-party applications are refused with invalid_target', async () => {
      const person = await createUser();
      await giveRole(person.id, ['read:users']);
      for (const isFirstParty of [true, false]) {
        const spa = await f.createClient({ appType: 'SPA', isFirstParty, callbacks: [CALLBACK] });
        const { params } = await consoleAuthorize(server, {
          email: person.email,
          password: PASSWORD,
          clientId: spa.clientId,
          redirectUri: CALLBACK,
        });
        expect(params).toEqual({
          error: 'invalid_target',
          error_description: 'This API does not accept tokens issued to users of this application',
          state: 'console-state',
          iss: server.url,
        });
      }
    });

    it('device authorization: refused with invalid_target', async () => {
      const tv = await f.createClient({ appType: 'NATIVE', grantTypes: ['DEVICE_CODE'] });
      const response = await fetch(`${server.url}/oauth/device/code`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: tv.clientId, audience: server.config.managementAudience, scope: 'read:users' }).toString(),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: 'invalid_target',
        error_description: 'This API does not accept tokens issued to users of this application',
      });
    });

    it("token exchange: a machine client holding a Management API grant cannot turn a person's token into its own", async () => {
      const person = await createUser();
      await giveRole(person.id, ['read:users']);
      const tokens = await consoleSignIn(server, person.email, PASSWORD);
      const exchanger = await f.createClient({ grantTypes: ['CLIENT_CREDENTIALS', 'TOKEN_EXCHANGE'] });
      await f.createGrant(exchanger, { id: managementApiId }, ['read:users']);
      const exchanged = await server.token(
        {
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: tokens.access_token,
          subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          audience: server.config.managementAudience,
        },
        { authorization: basicAuth(exchanger.clientId, exchanger.clientSecret!) },
      );
      expect(exchanged).toMatchObject({
        status: 400,
        body: { error: 'invalid_target', error_description: 'This API does not accept tokens issued to users of this application' },
      });
      // Its own machine token still works: the refusal is about people's tokens.
      const own = await server.token(
        { grant_type: 'client_credentials', audience: server.config.managementAudience },
        { authorization: basicAuth(exchanger.clientId, exchanger.clientSecret!) },
      );
      expect(own.status).toBe(200);
    });

    it("refresh: another client cannot use the console's refresh token, nor move its own to the Management API", async () => {
      const person = await createUser();
      const tokens = await consoleSignIn(server, person.email, PASSWORD);
      const other = await f.createClient({ appType: 'SPA', callbacks: [CALLBACK], grantTypes: ['AUTHORIZATION_CODE', 'REFRESH_TOKEN'] });
      const stolen = await server.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: other.clientId });
      expect(stolen).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

      const api = await f.createApi({ allowOfflineAccess: true, allowSkippingUserConsent: true });
      const own = await consoleAuthorize(server, {
        email: person.email,
        password: PASSWORD,
        clientId: other.clientId,
        redirectUri: CALLBACK,
        audience: api.identifier,
      });
      const code = await server.token({
        grant_type: 'authorization_code',
        code: own.params.code,
        code_verifier: own.verifier,
        redirect_uri: CALLBACK,
        client_id: other.clientId,
      });
      expect(code.body.refresh_token).toEqual(expect.any(String));
      const moved = await server.token({
        grant_type: 'refresh_token',
        refresh_token: code.body.refresh_token,
        client_id: other.clientId,
        audience: server.config.managementAudience,
      });
      expect(moved).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    });
  });

  describe('the console client and the Administrator role are system objects', () => {
    it('refuses changes that would break the console, and its deletion, with SYSTEM_RESOURCE; its name may change', async () => {
      const config = await consoleConfig(server);
      const found = await f.gqlData(`{ clients(first: 100) { nodes { id clientId } } }`);
      const id = found.clients.nodes.find((c: { clientId: string }) => c.clientId === config.clientId).id;
      const update = (input: Record<string, unknown>) =>
        f.gqlData(
          `mutation($id: ID!, $input: ClientUpdateInput!) { clientUpdate(id: $id, input: $input) { client { name callbacks } userErrors { field code message } } }`,
          {
            id,
            input,
          },
        );
      for (const [name, value] of [
        ['callbacks', ['https://evil.example/cb']],
        ['allowedOrigins', ['https://evil.example']],
        ['allowedLogoutUrls', ['https://evil.example/']],
        ['grantTypes', ['AUTHORIZATION_CODE', 'REFRESH_TOKEN', 'IMPLICIT']],
        ['requirePushedAuthorizationRequests', true],
      ] as const) {
        const refused = await update({ [name]: value });
        expect(refused.clientUpdate).toEqual({ client: null, userErrors: userErrors([['input', name], 'SYSTEM_RESOURCE']) });
      }
      const same = await update({ callbacks: [config.redirectUri], name: 'Admin console' });
      expect(same.clientUpdate).toEqual({ client: { name: 'Admin console', callbacks: [config.redirectUri] }, userErrors: [] });
      const deleted = await f.gqlData(`mutation($id: ID!) { clientDelete(id: $id) { userErrors { field code message } } }`, { id });
      expect(deleted.clientDelete.userErrors).toEqual(userErrors([['id'], 'SYSTEM_RESOURCE']));
      expect((await consoleConfig(server)).clientId).toBe(config.clientId);
    });

    it('keeps the Administrator role: not deleted, not renamed, its management scopes not removed', async () => {
      const roles = await f.gqlData(`{ roles(first: 100) { nodes { id name isSystem permissions { scope } } } }`);
      const admin = roles.roles.nodes.filter((r: { isSystem: boolean }) => r.isSystem);
      expect(admin).toHaveLength(1);
      expect(admin[0].name).toBe('Administrator');
      expect(admin[0].permissions.map((p: { scope: string }) => p.scope).sort()).toEqual([...ALL_MANAGEMENT_SCOPES].sort());
      const { id } = admin[0];
      const deleted = await f.gqlData(`mutation($id: ID!) { roleDelete(id: $id) { userErrors { field code message } } }`, { id });
      expect(deleted.roleDelete.userErrors).toEqual(userErrors([['id'], 'SYSTEM_RESOURCE']));
      const renamed = await f.gqlData(
        `mutation($id: ID!) { roleUpdate(id: $id, input: { name: "Owner" }) { userErrors { field code message } } }`,
        { id },
      );
      expect(renamed.roleUpdate.userErrors).toEqual(userErrors([['input', 'name'], 'SYSTEM_RESOURCE']));
      const removed = await f.gqlData(
        `mutation($id: ID!, $permissions: [PermissionInput!]!) { rolePermissionsRemove(id: $id, permissions: $permissions) { userErrors { field code message } } }`,
        { id, permissions: [{ resourceServerId: managementApiId, scope: 'read:users' }] },
      );
      expect(removed.rolePermissionsRemove.userErrors).toEqual(userErrors([['permissions', '0'], 'SYSTEM_RESOURCE']));
      const after = await f.gqlData(`query($id: ID!) { role(id: $id) { name permissions { scope } } }`, { id });
      expect(after.role.permissions).toHaveLength(ALL_MANAGEMENT_SCOPES.length);
    });
  });

  it('the bootstrap machine client keeps working as before', async () => {
    const res = await server.token(
      { grant_type: 'client_credentials', audience: server.config.managementAudience },
      { authorization: basicAuth(BOOTSTRAP.clientId, BOOTSTRAP.clientSecret) },
    );
    expect(res.status).toBe(200);
    expect(res.body.scope.split(' ').sort()).toEqual([...ALL_MANAGEMENT_SCOPES].sort());
  });
});
