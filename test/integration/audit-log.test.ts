import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { basicAuth, fixtures, uuidOf } from '../helpers/fixtures';
import { BOOTSTRAP, GraphQLResponse, startTestServer, TestServer } from '../helpers/test-app';

interface AuditEventNode {
  id: string;
  occurredAt: string;
  actor: { subject: string | null; clientId: string | null };
  operation: string;
  targetType: string | null;
  targetId: string | null;
  summary: Record<string, unknown>;
  outcome: 'SUCCESS' | 'DENIED';
  requestId: string | null;
}

interface AuditPage {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  nodes: AuditEventNode[];
}

const EVENT_FIELDS = `id occurredAt actor { subject clientId } operation targetType targetId summary outcome requestId`;
const AUDIT_EVENTS = `query($first: Int, $after: String, $last: Int, $before: String, $filter: AuditEventFilter) {
  auditEvents(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { ${EVENT_FIELDS} }
  }
}`;

const RS_CREATE = `mutation($input: ResourceServerCreateInput!) {
  resourceServerCreate(input: $input) { resourceServer { id } signingSecret userErrors { field code message } }
}`;
const CLIENT_CREATE = `mutation($input: ClientCreateInput!) {
  clientCreate(input: $input) { client { id clientId } clientSecret userErrors { field code message } }
}`;
const CLIENT_UPDATE = `mutation($id: ID!, $input: ClientUpdateInput!) {
  clientUpdate(id: $id, input: $input) { client { id } userErrors { field code message } }
}`;
const USER_CREATE = `mutation($input: UserCreateInput!) {
  userCreate(input: $input) { user { id email } userErrors { field code message } }
}`;
const ROLE_CREATE = `mutation($input: RoleCreateInput!) {
  roleCreate(input: $input) { role { id name } userErrors { field code message } }
}`;
const ROLE_PERMISSIONS_ADD = `mutation($id: ID!, $permissions: [PermissionInput!]!) {
  rolePermissionsAdd(id: $id, permissions: $permissions) { role { id } userErrors { field code message } }
}`;
const USER_ROLES_ASSIGN = `mutation($id: ID!, $roleIds: [ID!]!) {
  userRolesAssign(id: $id, roleIds: $roleIds) { user { id } userErrors { field code message } }
}`;
const TOKEN_HOOK_SET = `mutation($id: ID!, $input: ResourceServerTokenHookSetInput!) {
  resourceServerTokenHookSet(id: $id, input: $input) { tokenHook { url } hookSecret userErrors { field code message } }
}`;
const ROTATE_KEYS = `mutation($algorithm: SigningAlgorithm!) {
  signingKeyRotate(algorithm: $algorithm) { current { id kid } previous { id kid } next { id kid } userErrors { field code message } }
}`;

/** Polls `read` until `done` holds; fails with the last value after the deadline. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('audit log', () => {
  let server: TestServer;
  let seq = 0;
  const unique = (prefix: string) => `${prefix}-${++seq}-${randomUUID().slice(0, 8)}`;
  const { gqlData, createApi, createClient, createGrant } = fixtures(() => server, 'audit');

  /** Every secret or token these tests were shown: none may reach the audit log. */
  const secretsSeen = new Set<string>([BOOTSTRAP.clientSecret]);
  const sawSecret = (value: unknown) => {
    expect(typeof value).toBe('string');
    secretsSeen.add(value as string);
  };

  beforeAll(async () => {
    server = await startTestServer();
    secretsSeen.add(await server.managementToken());
  });
  afterAll(async () => {
    await server.close();
  });

  async function listEvents(variables: Record<string, unknown>, token?: string): Promise<AuditPage> {
    const res = await server.gql(AUDIT_EVENTS, variables, token);
    expect(res.body.errors).toBeUndefined();
    return res.body.data.auditEvents;
  }

  /** Cursor of the newest event: what a later `after:` lists is what happened since. */
  async function newestCursor(): Promise<string | undefined> {
    return (await listEvents({ last: 1 })).pageInfo.endCursor ?? undefined;
  }

  async function eventsSince(cursor: string | undefined): Promise<AuditEventNode[]> {
    return (await listEvents({ first: 100, after: cursor })).nodes;
  }

  /** The DENIED event written (asynchronously) for one HTTP request. */
  async function deniedEvents(operation: string, requestId: string, count = 1): Promise<AuditEventNode[]> {
    const read = async () => (await listEvents({ last: 100, filter: { operation } })).nodes.filter((e) => e.requestId === requestId);
    return eventually(read, (found) => found.length >= count);
  }

  const requestIdOf = (res: { headers: Headers }) => {
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/\S/);
    return id!;
  };

  interface Audited {
    payload: any;
    requestId: string;
    /** Every event written between just before the request and just after it. */
    events: AuditEventNode[];
  }

  /** Runs one mutation that must succeed, with the events it wrote. */
  async function audited(field: string, query: string, variables: Record<string, unknown>): Promise<Audited> {
    const before = await newestCursor();
    const res = await server.gql(query, variables);
    expect(res.body.errors).toBeUndefined();
    const payload = res.body.data[field];
    expect(payload.userErrors).toEqual([]);
    return { payload, requestId: requestIdOf(res), events: await eventsSince(before) };
  }

  /** A confidential client granted read:x on a fresh API (RS256), with a token from POST /oauth/token. */
  async function clientWithToken() {
    const api = await createApi();
    const client = await createClient();
    sawSecret(client.clientSecret);
    await createGrant(client, api, ['read:x']);
    const res = await server.token(
      { grant_type: 'client_credentials', audience: api.identifier },
      { authorization: basicAuth(client.clientId, client.clientSecret!) },
    );
    expect(res.status).toBe(200);
    sawSecret(res.body.access_token);
    return { api, client, accessToken: res.body.access_token as string };
  }

  /** A user with a password (which, like its stored hash, must never reach the audit log). */
  async function createUser(): Promise<{ id: string; email: string }> {
    const password = `pw-${randomUUID()}`;
    sawSecret(password);
    const payload = (await gqlData(USER_CREATE, { input: { email: `${unique('user')}@example.com`, password } })).userCreate;
    expect(payload.userErrors).toEqual([]);
    await sawPasswordHash(payload.user.id);
    return payload.user;
  }

  async function sawPasswordHash(userId: string) {
    const [row] = await server.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [uuidOf(userId)]);
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    secretsSeen.add(row.password_hash);
    // The hash's digest part alone, in case something stored a piece of it.
    secretsSeen.add(row.password_hash.split('$').pop()!);
  }

  async function createRole(): Promise<{ id: string; name: string }> {
    const role = (await gqlData(ROLE_CREATE, { input: { name: unique('role') } })).roleCreate.role;
    expect(role).not.toBeNull();
    return role;
  }

  async function rotateKeys(algorithm: string) {
    const payload = (await gqlData(ROTATE_KEYS, { algorithm })).signingKeyRotate;
    expect(payload.userErrors).toEqual([]);
    return payload;
  }

  interface Expected {
    audited: Audited;
    targetType: string;
    /** Global ID of the target (an AccessToken's jti). */
    targetId: string;
    /** A subset the summary must contain. */
    summary: Record<string, unknown>;
  }

  /**
   * One successful run of every mutation of the schema, with the event it must write. A new
   * mutation without an entry here fails 'covers exactly the mutations of the schema'.
   */
  const MUTATIONS: Record<string, () => Promise<Expected>> = {
    async resourceServerCreate() {
      const name = unique('api');
      const identifier = `https://${unique('create')}.example/`;
      const a = await audited('resourceServerCreate', RS_CREATE, {
        input: { name, identifier, signingAlgorithm: 'HS256', scopes: [{ value: 'read:x' }] },
      });
      sawSecret(a.payload.signingSecret);
      return {
        audited: a,
        targetType: 'ResourceServer',
        targetId: a.payload.resourceServer.id,
        summary: { name, identifier, signingAlgorithm: 'HS256' },
      };
    },
    async resourceServerUpdate() {
      const api = await createApi();
      const name = unique('renamed api');
      const a = await audited(
        'resourceServerUpdate',
        `mutation($id: ID!, $input: ResourceServerUpdateInput!) { resourceServerUpdate(id: $id, input: $input) { resourceServer { id } userErrors { field code message } } }`,
        { id: api.id, input: { name, tokenLifetime: 900 } },
      );
      return { audited: a, targetType: 'ResourceServer', targetId: api.id, summary: { name, tokenLifetime: 900 } };
    },
    async resourceServerScopesAdd() {
      const api = await createApi();
      const a = await audited(
        'resourceServerScopesAdd',
        `mutation($id: ID!, $scopes: [ScopeInput!]!) { resourceServerScopesAdd(id: $id, scopes: $scopes) { resourceServer { id } userErrors { field code message } } }`,
        { id: api.id, scopes: [{ value: 'delete:x', description: 'remove x' }] },
      );
      return {
        audited: a,
        targetType: 'ResourceServer',
        targetId: api.id,
        summary: { scopes: [{ value: 'delete:x', description: 'remove x' }] },
      };
    },
    async resourceServerScopesRemove() {
      const api = await createApi();
      const a = await audited(
        'resourceServerScopesRemove',
        `mutation($id: ID!, $values: [String!]!) { resourceServerScopesRemove(id: $id, values: $values) { resourceServer { id } userErrors { field code message } } }`,
        { id: api.id, values: ['write:x'] },
      );
      return { audited: a, targetType: 'ResourceServer', targetId: api.id, summary: { values: ['write:x'] } };
    },
    async resourceServerSigningSecretRotate() {
      const api = await createApi({ signingAlgorithm: 'HS256' });
      sawSecret(api.signingSecret);
      const a = await audited(
        'resourceServerSigningSecretRotate',
        `mutation($id: ID!) { resourceServerSigningSecretRotate(id: $id, input: { previousSecretExpiresIn: 60 }) { resourceServer { id } signingSecret userErrors { field code message } } }`,
        { id: api.id },
      );
      sawSecret(a.payload.signingSecret);
      // The grace period is what changed besides the (unrecorded) secret.
      return {
        audited: a,
        targetType: 'ResourceServer',
        targetId: api.id,
        summary: { gracePeriodSeconds: 60, previousExpiresAt: expect.any(String) },
      };
    },
    async resourceServerDelete() {
      const api = await createApi();
      const a = await audited(
        'resourceServerDelete',
        `mutation($id: ID!) { resourceServerDelete(id: $id) { deletedId userErrors { field code message } } }`,
        { id: api.id },
      );
      return { audited: a, targetType: 'ResourceServer', targetId: api.id, summary: { identifier: api.identifier } };
    },
    async resourceServerTokenHookSet() {
      const api = await createApi();
      const url = `https://${unique('hooks')}.example/claims`;
      const a = await audited('resourceServerTokenHookSet', TOKEN_HOOK_SET, { id: api.id, input: { url, timeoutMs: 1500 } });
      sawSecret(a.payload.hookSecret);
      return {
        audited: a,
        targetType: 'ResourceServer',
        targetId: api.id,
        summary: { url, timeoutMs: 1500, failurePolicy: 'DENY', created: true, rotated: false },
      };
    },
    async resourceServerTokenHookRemove() {
      const api = await createApi();
      const url = `https://${unique('hooks')}.example/claims`;
      sawSecret((await gqlData(TOKEN_HOOK_SET, { id: api.id, input: { url } })).resourceServerTokenHookSet.hookSecret);
      const a = await audited(
        'resourceServerTokenHookRemove',
        `mutation($id: ID!) { resourceServerTokenHookRemove(id: $id) { resourceServer { id } userErrors { field code message } } }`,
        { id: api.id },
      );
      return { audited: a, targetType: 'ResourceServer', targetId: api.id, summary: { url } };
    },
    async resourceServerTokenHookTest() {
      const api = await createApi();
      // A loopback address not allow-listed: refused before any connection, so no hook server is needed.
      sawSecret(
        (await gqlData(TOKEN_HOOK_SET, { id: api.id, input: { url: 'https://127.0.0.1:9/hook' } })).resourceServerTokenHookSet.hookSecret,
      );
      const a = await audited(
        'resourceServerTokenHookTest',
        `mutation($id: ID!) { resourceServerTokenHookTest(id: $id) { claims error userErrors { field code message } } }`,
        { id: api.id },
      );
      expect(a.payload).toEqual({ claims: null, error: expect.stringMatching(/^address not allowed/), userErrors: [] });
      return {
        audited: a,
        targetType: 'ResourceServer',
        targetId: api.id,
        summary: { grantType: 'CLIENT_CREDENTIALS', claimNames: null, error: expect.stringMatching(/^address not allowed/) },
      };
    },
    async clientCreate() {
      const name = unique('client');
      const a = await audited('clientCreate', CLIENT_CREATE, { input: { name, appType: 'MACHINE_TO_MACHINE' } });
      sawSecret(a.payload.clientSecret);
      return {
        audited: a,
        targetType: 'Client',
        targetId: a.payload.client.id,
        summary: {
          name,
          clientId: a.payload.client.clientId,
          appType: 'MACHINE_TO_MACHINE',
          allowedLogoutUrls: [],
          idTokenSigningAlgorithm: 'RS256',
          idTokenLifetime: 36000,
        },
      };
    },
    async clientUpdate() {
      const client = await createClient();
      sawSecret(client.clientSecret);
      const name = unique('renamed client');
      const oidc = { allowedLogoutUrls: ['https://app.example/bye'], idTokenSigningAlgorithm: 'ES256', idTokenLifetime: 600 };
      const a = await audited('clientUpdate', CLIENT_UPDATE, { id: client.id, input: { name, ...oidc } });
      return { audited: a, targetType: 'Client', targetId: client.id, summary: { name, ...oidc } };
    },
    async clientSecretRotate() {
      const client = await createClient();
      sawSecret(client.clientSecret);
      const a = await audited(
        'clientSecretRotate',
        `mutation($id: ID!) { clientSecretRotate(id: $id, input: { previousSecretExpiresIn: 60 }) { client { id } clientSecret userErrors { field code message } } }`,
        { id: client.id },
      );
      sawSecret(a.payload.clientSecret);
      return {
        audited: a,
        targetType: 'Client',
        targetId: client.id,
        summary: { gracePeriodSeconds: 60, previousExpiresAt: expect.any(String) },
      };
    },
    async clientDelete() {
      const client = await createClient();
      sawSecret(client.clientSecret);
      const a = await audited(
        'clientDelete',
        `mutation($id: ID!) { clientDelete(id: $id) { deletedId userErrors { field code message } } }`,
        { id: client.id },
      );
      return { audited: a, targetType: 'Client', targetId: client.id, summary: { clientId: client.clientId } };
    },
    async clientGrantCreate() {
      const api = await createApi();
      const client = await createClient();
      sawSecret(client.clientSecret);
      const a = await audited(
        'clientGrantCreate',
        `mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { clientGrant { id } userErrors { field code message } } }`,
        { input: { clientId: client.id, resourceServerId: api.id, scopes: ['read:x'] } },
      );
      return {
        audited: a,
        targetType: 'ClientGrant',
        targetId: a.payload.clientGrant.id,
        summary: { clientId: client.clientId, audience: api.identifier, scopes: ['read:x'] },
      };
    },
    async clientGrantUpdate() {
      const api = await createApi();
      const client = await createClient();
      sawSecret(client.clientSecret);
      const grant = await createGrant(client, api, ['read:x']);
      const a = await audited(
        'clientGrantUpdate',
        `mutation($id: ID!, $input: ClientGrantUpdateInput!) { clientGrantUpdate(id: $id, input: $input) { clientGrant { id } userErrors { field code message } } }`,
        { id: grant, input: { scopes: ['read:x', 'write:x'] } },
      );
      return {
        audited: a,
        targetType: 'ClientGrant',
        targetId: grant,
        summary: { scopes: ['read:x', 'write:x'], previousScopes: ['read:x'] },
      };
    },
    async clientGrantDelete() {
      const api = await createApi();
      const client = await createClient();
      sawSecret(client.clientSecret);
      const grant = await createGrant(client, api, ['read:x']);
      const a = await audited(
        'clientGrantDelete',
        `mutation($id: ID!) { clientGrantDelete(id: $id, input: { revokeIssuedTokens: true }) { deletedId userErrors { field code message } } }`,
        { id: grant },
      );
      return {
        audited: a,
        targetType: 'ClientGrant',
        targetId: grant,
        summary: { clientId: client.clientId, audience: api.identifier, revokeIssuedTokens: true },
      };
    },
    async accessTokenIssue() {
      const api = await createApi();
      const client = await createClient();
      sawSecret(client.clientSecret);
      await createGrant(client, api, ['read:x']);
      const a = await audited(
        'accessTokenIssue',
        `mutation($input: AccessTokenIssueInput!) { accessTokenIssue(input: $input) { accessToken scope userErrors { field code message } } }`,
        { input: { clientId: client.id, resourceServerId: api.id } },
      );
      sawSecret(a.payload.accessToken);
      // The target is the token's jti (as for accessTokenRevoke), so its whole history is one filter away.
      const { jti } = decodeJwt(a.payload.accessToken);
      return {
        audited: a,
        targetType: 'AccessToken',
        targetId: jti!,
        summary: { clientId: client.clientId, audience: api.identifier, scope: 'read:x' },
      };
    },
    async accessTokenRevoke() {
      const { api, accessToken } = await clientWithToken();
      const a = await audited(
        'accessTokenRevoke',
        `mutation($token: String!) { accessTokenRevoke(input: { token: $token }) { revokedToken { jti } userErrors { field code message } } }`,
        { token: accessToken },
      );
      const { jti } = decodeJwt(accessToken);
      expect(a.payload.revokedToken.jti).toBe(jti);
      return { audited: a, targetType: 'AccessToken', targetId: jti!, summary: { audience: api.identifier } };
    },
    async signingKeyRotate() {
      // ES256, not the Management API's RS256 ring: the ring exists once an ES256 API does.
      await createApi({ signingAlgorithm: 'ES256' });
      const a = await audited('signingKeyRotate', ROTATE_KEYS, { algorithm: 'ES256' });
      const { current, previous, next } = a.payload;
      return {
        audited: a,
        targetType: 'SigningKey',
        targetId: current.id,
        summary: { algorithm: 'ES256', current: current.kid, previous: previous.kid, next: next.kid },
      };
    },
    async signingKeyRevoke() {
      await createApi({ signingAlgorithm: 'ES256' });
      const { previous } = await rotateKeys('ES256');
      const a = await audited(
        'signingKeyRevoke',
        `mutation($kid: String!) { signingKeyRevoke(kid: $kid) { signingKey { id state } userErrors { field code message } } }`,
        { kid: previous.kid },
      );
      expect(a.payload.signingKey).toEqual({ id: previous.id, state: 'REVOKED' });
      return { audited: a, targetType: 'SigningKey', targetId: previous.id, summary: { kid: previous.kid, algorithm: 'ES256' } };
    },
    async userCreate() {
      const email = `${unique('create')}@example.com`;
      const password = `pw-${randomUUID()}`;
      sawSecret(password);
      const a = await audited('userCreate', USER_CREATE, { input: { email, password, name: 'Ada' } });
      await sawPasswordHash(a.payload.user.id);
      return {
        audited: a,
        targetType: 'User',
        targetId: a.payload.user.id,
        summary: { email, name: 'Ada', emailVerified: false, blocked: false },
      };
    },
    async userUpdate() {
      const user = await createUser();
      const a = await audited(
        'userUpdate',
        `mutation($id: ID!, $input: UserUpdateInput!) { userUpdate(id: $id, input: $input) { user { id } userErrors { field code message } } }`,
        { id: user.id, input: { name: 'Grace', blocked: true } },
      );
      return { audited: a, targetType: 'User', targetId: user.id, summary: { name: 'Grace', blocked: true } };
    },
    async userPasswordSet() {
      const user = await createUser();
      const password = `pw-${randomUUID()}`;
      sawSecret(password);
      const a = await audited(
        'userPasswordSet',
        `mutation($id: ID!, $input: UserPasswordSetInput!) { userPasswordSet(id: $id, input: $input) { user { id } userErrors { field code message } } }`,
        { id: user.id, input: { password } },
      );
      await sawPasswordHash(user.id);
      return { audited: a, targetType: 'User', targetId: user.id, summary: {} };
    },
    async userDelete() {
      const user = await createUser();
      const a = await audited('userDelete', `mutation($id: ID!) { userDelete(id: $id) { deletedId userErrors { field code message } } }`, {
        id: user.id,
      });
      return { audited: a, targetType: 'User', targetId: user.id, summary: { email: user.email } };
    },
    async userGrantDelete() {
      const api = await createApi();
      const client = await createClient({ appType: 'REGULAR_WEB', callbacks: ['https://app.example/cb'] });
      sawSecret(client.clientSecret);
      const user = await createUser();
      await server.app.userGrants.recordConsent(uuidOf(user.id), uuidOf(client.id), uuidOf(api.id), ['read:x']);
      const grants = await gqlData(`query($user: ID!) { userGrants(filter: { user: $user }) { nodes { id } } }`, { user: user.id });
      const grant = grants.userGrants.nodes[0].id as string;
      const a = await audited(
        'userGrantDelete',
        `mutation($id: ID!) { userGrantDelete(id: $id) { deletedId userErrors { field code message } } }`,
        { id: grant },
      );
      return {
        audited: a,
        targetType: 'UserGrant',
        targetId: grant,
        summary: { userId: uuidOf(user.id), clientId: client.clientId, audience: api.identifier, scopes: ['read:x'] },
      };
    },
    async roleCreate() {
      const name = unique('role');
      const a = await audited('roleCreate', ROLE_CREATE, { input: { name, description: 'Reads x' } });
      return { audited: a, targetType: 'Role', targetId: a.payload.role.id, summary: { name, description: 'Reads x' } };
    },
    async roleUpdate() {
      const role = await createRole();
      const name = unique('renamed role');
      const a = await audited(
        'roleUpdate',
        `mutation($id: ID!, $input: RoleUpdateInput!) { roleUpdate(id: $id, input: $input) { role { id } userErrors { field code message } } }`,
        { id: role.id, input: { name } },
      );
      return { audited: a, targetType: 'Role', targetId: role.id, summary: { name } };
    },
    async roleDelete() {
      const role = await createRole();
      const a = await audited('roleDelete', `mutation($id: ID!) { roleDelete(id: $id) { deletedId userErrors { field code message } } }`, {
        id: role.id,
      });
      return { audited: a, targetType: 'Role', targetId: role.id, summary: { name: role.name, users: 0, permissions: 0 } };
    },
    async rolePermissionsAdd() {
      const api = await createApi();
      const role = await createRole();
      const a = await audited('rolePermissionsAdd', ROLE_PERMISSIONS_ADD, {
        id: role.id,
        permissions: [{ resourceServerId: api.id, scope: 'read:x' }],
      });
      return { audited: a, targetType: 'Role', targetId: role.id, summary: { added: [{ audience: api.identifier, scope: 'read:x' }] } };
    },
    async rolePermissionsRemove() {
      const api = await createApi();
      const role = await createRole();
      await gqlData(ROLE_PERMISSIONS_ADD, { id: role.id, permissions: [{ resourceServerId: api.id, scope: 'write:x' }] });
      const a = await audited(
        'rolePermissionsRemove',
        `mutation($id: ID!, $permissions: [PermissionInput!]!) { rolePermissionsRemove(id: $id, permissions: $permissions) { role { id } userErrors { field code message } } }`,
        { id: role.id, permissions: [{ resourceServerId: api.id, scope: 'write:x' }] },
      );
      return { audited: a, targetType: 'Role', targetId: role.id, summary: { removed: [{ audience: api.identifier, scope: 'write:x' }] } };
    },
    async userRolesAssign() {
      const user = await createUser();
      const role = await createRole();
      const a = await audited('userRolesAssign', USER_ROLES_ASSIGN, { id: user.id, roleIds: [role.id] });
      return { audited: a, targetType: 'User', targetId: user.id, summary: { assigned: [{ id: uuidOf(role.id), name: role.name }] } };
    },
    async userRolesRemove() {
      const user = await createUser();
      const role = await createRole();
      await gqlData(USER_ROLES_ASSIGN, { id: user.id, roleIds: [role.id] });
      const a = await audited(
        'userRolesRemove',
        `mutation($id: ID!, $roleIds: [ID!]!) { userRolesRemove(id: $id, roleIds: $roleIds) { user { id } userErrors { field code message } } }`,
        { id: user.id, roleIds: [role.id] },
      );
      return { audited: a, targetType: 'User', targetId: user.id, summary: { removed: [{ id: uuidOf(role.id), name: role.name }] } };
    },
    async refreshTokenRevoke() {
      const api = await createApi({ allowOfflineAccess: true });
      const client = await createClient({ appType: 'REGULAR_WEB', callbacks: ['https://app.example/cb'] });
      sawSecret(client.clientSecret);
      const user = await createUser();
      const refreshToken = await server.app.refreshTokens.issue({
        client: (await server.app.registry.client(client.clientId))!.client,
        userId: uuidOf(user.id),
        resourceServerId: uuidOf(api.id),
        scopes: ['read:x'],
      });
      sawSecret(refreshToken);
      const listed = await gqlData(`query($user: ID!) { refreshTokens(filter: { user: $user }) { nodes { id } } }`, { user: user.id });
      const id = listed.refreshTokens.nodes[0].id as string;
      const a = await audited(
        'refreshTokenRevoke',
        `mutation($id: ID!) { refreshTokenRevoke(id: $id) { refreshToken { id revokedAt } userErrors { field code message } } }`,
        { id },
      );
      expect(a.payload.refreshToken).toEqual({ id, revokedAt: expect.any(String) });
      return {
        audited: a,
        targetType: 'RefreshToken',
        targetId: id,
        summary: { userId: uuidOf(user.id), clientId: client.clientId, audience: api.identifier, scopes: ['read:x'], revokedTokens: 1 },
      };
    },
  };

  describe('every mutation writes one SUCCESS event', () => {
    it('covers exactly the mutations of the schema', async () => {
      const res = await server.gql(`{ __type(name: "Mutation") { fields { name } } }`);
      const inSchema = res.body.data.__type.fields.map((f: { name: string }) => f.name).sort();
      expect(Object.keys(MUTATIONS).sort()).toEqual(inSchema);
    });

    it('management tokens carry the client id as sub (RFC 9068), so the actor is the bootstrap client twice', async () => {
      const claims = decodeJwt(await server.managementToken());
      expect(claims).toMatchObject({ sub: BOOTSTRAP.clientId, client_id: BOOTSTRAP.clientId });
    });

    it.each(Object.keys(MUTATIONS))('%s', async (operation) => {
      const expected = await MUTATIONS[operation]();
      const { events, requestId } = expected.audited;
      expect(events).toEqual([
        {
          id: expect.any(String),
          occurredAt: expect.any(String),
          actor: { subject: BOOTSTRAP.clientId, clientId: BOOTSTRAP.clientId },
          operation,
          targetType: expected.targetType,
          targetId: expected.targetId,
          summary: expect.objectContaining({}),
          outcome: 'SUCCESS',
          requestId,
        },
      ]);
      expect(events[0].summary).toMatchObject(expected.summary);
      // Recorded inside the request, just now.
      expect(Math.abs(Date.parse(events[0].occurredAt) - Date.now())).toBeLessThan(60_000);
    });
  });

  describe('secrets', () => {
    // Runs after the table above, which collected a secret of every kind the service hands out.
    it('no secret or token the tests were shown appears in any audit event, through GraphQL or in the table', async () => {
      const secrets = [...secretsSeen];
      expect(secrets.length).toBeGreaterThan(10);
      const viaGraphQL: AuditEventNode[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await listEvents({ first: 100, after });
        viaGraphQL.push(...page.nodes);
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor!;
      }
      expect(viaGraphQL.length).toBeGreaterThanOrEqual(Object.keys(MUTATIONS).length);
      const rows = await server.db.query('SELECT * FROM audit_events');
      expect(rows).toHaveLength(viaGraphQL.length);

      const graphqlDump = JSON.stringify(viaGraphQL);
      const tableDump = JSON.stringify(rows);
      expect(secrets.filter((secret) => graphqlDump.includes(secret))).toEqual([]);
      expect(secrets.filter((secret) => tableDump.includes(secret))).toEqual([]);
    });
  });

  describe('a rolled-back mutation leaves no event', () => {
    it('writes nothing for mutations refused with userErrors, before or inside their transaction', async () => {
      const before = await newestCursor();
      // Refused by validation before any transaction.
      const invalid = await server.gql(CLIENT_CREATE, { input: { name: '<b>bad</b>', appType: 'MACHINE_TO_MACHINE' } });
      expect(invalid.body.data.clientCreate.userErrors).not.toEqual([]);
      // Refused inside the transaction, after the client was locked.
      const client = await createClient();
      sawSecret(client.clientSecret);
      const afterSetup = await newestCursor();
      const refused = await server.gql(CLIENT_UPDATE, { id: client.id, input: { name: 'never saved', appType: 'SPA' } });
      expect(refused.body.data.clientUpdate.userErrors).toEqual([
        expect.objectContaining({ code: 'IMMUTABLE', field: ['input', 'appType'] }),
      ]);
      const system = await gqlData(`{ resourceServer(identifier: "${server.config.managementAudience}") { id } }`);
      const systemDelete = await server.gql(`mutation($id: ID!) { resourceServerDelete(id: $id) { userErrors { code } } }`, {
        id: system.resourceServer.id,
      });
      expect(systemDelete.body.data.resourceServerDelete.userErrors).toEqual([{ code: 'SYSTEM_RESOURCE' }]);

      expect((await eventsSince(before)).map((e) => e.operation)).toEqual(['clientCreate']);
      expect(await eventsSince(afterSetup)).toEqual([]);
      expect(await server.db.query(`SELECT 1 FROM clients WHERE name = 'never saved'`)).toEqual([]);
    });

    it('writes nothing when the transaction fails at COMMIT, after both the change and the event were written', async () => {
      const name = unique('rollback-me');
      // A deferred constraint trigger fires at COMMIT, after the insert and the audit insert ran.
      // server.db.query uses the test's own database (PGlite) or schema (search_path on PostgreSQL).
      await server.db.query(`
        CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.name = '${name}' THEN RAISE EXCEPTION 'forced failure at commit'; END IF;
          RETURN NEW;
        END $$`);
      try {
        await server.db.query(
          `CREATE CONSTRAINT TRIGGER fail_commit AFTER INSERT ON clients DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_commit()`,
        );
        const before = await newestCursor();
        const res: GraphQLResponse = await server.gql(CLIENT_CREATE, { input: { name, appType: 'MACHINE_TO_MACHINE' } });
        expect(res.body.data).toBeNull();
        expect(res.body.errors).toEqual([
          expect.objectContaining({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }),
        ]);
        expect(JSON.stringify(res.body)).not.toContain('forced failure');

        expect(await server.db.query(`SELECT id FROM clients WHERE name = $1`, [name])).toEqual([]);
        expect(await server.db.query(`SELECT id FROM audit_events WHERE summary->>'name' = $1`, [name])).toEqual([]);
        expect(await eventsSince(before)).toEqual([]);
      } finally {
        await server.db.query(`DROP TRIGGER IF EXISTS fail_commit ON clients`);
        await server.db.query(`DROP FUNCTION IF EXISTS fail_commit()`);
      }
      // The service carries on: the same mutation commits with its event once the trigger is gone.
      const again = await audited('clientCreate', CLIENT_CREATE, { input: { name, appType: 'MACHINE_TO_MACHINE' } });
      sawSecret(again.payload.clientSecret);
      expect(again.events.map((e) => [e.operation, e.summary.name])).toEqual([['clientCreate', name]]);
    });
  });

  describe('DENIED events', () => {
    const LIST = `{ resourceServers(first: 1) { totalCount } }`;

    it('records a request without a token as "authenticate" with no actor', async () => {
      const res = await server.gql(LIST, undefined, null);
      expect(res.status).toBe(401);
      const requestId = requestIdOf(res);
      const events = await deniedEvents('authenticate', requestId);
      expect(events).toEqual([
        expect.objectContaining({
          actor: { subject: null, clientId: null },
          operation: 'authenticate',
          outcome: 'DENIED',
          targetType: null,
          targetId: null,
          requestId,
          summary: { reason: 'invalid_token', description: expect.stringMatching(/\S/) },
        }),
      ]);
    });

    it('records an invalid token as "authenticate" with no actor, and not the token itself', async () => {
      const garbage = `eyJhbGciOiJub25lIn0.${unique('garbage')}.c2lnbmF0dXJl`;
      const res = await server.gql(LIST, undefined, garbage);
      expect(res.status).toBe(401);
      const requestId = requestIdOf(res);
      const events = await deniedEvents('authenticate', requestId);
      expect(events).toEqual([
        expect.objectContaining({
          actor: { subject: null, clientId: null },
          outcome: 'DENIED',
          summary: { reason: 'invalid_token', description: expect.stringMatching(/\S/) },
        }),
      ]);
      expect(JSON.stringify(events)).not.toContain(garbage);
    });

    it('records a mutation refused for a missing scope with the caller as actor, and changes nothing', async () => {
      const token = await server.managementToken(['read:clients']);
      secretsSeen.add(token);
      const callerId = decodeJwt(token).client_id as string;
      const name = unique('forbidden');
      const res = await server.gql(CLIENT_CREATE, { input: { name, appType: 'SPA' } }, token);
      expect(res.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'FORBIDDEN', missingScopes: ['create:clients'] } })]);
      const requestId = requestIdOf(res);
      const events = await deniedEvents('clientCreate', requestId);
      expect(events).toEqual([
        expect.objectContaining({
          actor: { subject: callerId, clientId: callerId },
          operation: 'clientCreate',
          outcome: 'DENIED',
          targetType: null,
          targetId: null,
          summary: { reason: 'insufficient_scope', missingScopes: ['create:clients'] },
        }),
      ]);
      expect(await server.db.query(`SELECT 1 FROM clients WHERE name = $1`, [name])).toEqual([]);
    });

    it('records a nested field refused on every list item once per request', async () => {
      await createClient();
      await createClient();
      const token = await server.managementToken(['read:clients']);
      const callerId = decodeJwt(token).client_id as string;
      const res = await server.gql(`{ clients(first: 100) { nodes { id clientGrants { totalCount } } } }`, undefined, token);
      const forbidden = (res.body.errors ?? []).filter((e) => e.extensions?.code === 'FORBIDDEN');
      expect(forbidden.length).toBeGreaterThanOrEqual(2);
      expect(forbidden.length).toBe(res.body.data.clients.nodes.length);
      const requestId = requestIdOf(res);

      const events = await deniedEvents('Client.clientGrants', requestId);
      expect(events).toEqual([
        expect.objectContaining({
          actor: { subject: callerId, clientId: callerId },
          outcome: 'DENIED',
          summary: { reason: 'insufficient_scope', missingScopes: ['read:client_grants'] },
        }),
      ]);
      // Denied writes are asynchronous: give any duplicate a moment to land before concluding there is none.
      const settled = await eventually(
        () => deniedEvents('Client.clientGrants', requestId),
        (found) => found.length > 1,
        500,
      );
      expect(settled).toHaveLength(1);
    });
  });

  describe('auditEvents query', () => {
    /** A client created then renamed four times: five events on one target, oldest first. */
    let client: { id: string; clientId: string };
    let trail: AuditEventNode[];

    beforeAll(async () => {
      const created = await createClient();
      sawSecret(created.clientSecret);
      client = created;
      for (let i = 1; i <= 4; i++) await gqlData(CLIENT_UPDATE, { id: client.id, input: { name: unique(`rename ${i}`) } });
      trail = (await listEvents({ filter: { targetId: client.id } })).nodes;
    });

    it('filters by target (global ID), oldest first', async () => {
      expect(trail.map((e) => [e.operation, e.targetId])).toEqual([
        ['clientCreate', client.id],
        ['clientUpdate', client.id],
        ['clientUpdate', client.id],
        ['clientUpdate', client.id],
        ['clientUpdate', client.id],
      ]);
      const times = trail.map((e) => Date.parse(e.occurredAt));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it("filters by target with a revoked token's jti", async () => {
      const { accessToken } = await clientWithToken();
      await gqlData(`mutation($token: String!) { accessTokenRevoke(input: { token: $token }) { userErrors { code } } }`, {
        token: accessToken,
      });
      const { jti } = decodeJwt(accessToken);
      const page = await listEvents({ filter: { targetId: jti } });
      expect(page.nodes.map((e) => [e.operation, e.targetType, e.targetId])).toEqual([['accessTokenRevoke', 'AccessToken', jti]]);
    });

    it('filters by actor (subject or client id)', async () => {
      // A caller of its own, so its events are exactly the ones it caused.
      const token = await server.managementToken(['create:clients']);
      secretsSeen.add(token);
      const callerId = decodeJwt(token).client_id as string;
      const res = await server.gql(CLIENT_CREATE, { input: { name: unique('by scoped caller'), appType: 'SPA' } }, token);
      expect(res.body.data.clientCreate.userErrors).toEqual([]);

      const own = await listEvents({ filter: { actor: callerId } });
      expect(own.nodes.map((e) => [e.operation, e.actor, e.targetId])).toEqual([
        ['clientCreate', { subject: callerId, clientId: callerId }, res.body.data.clientCreate.client.id],
      ]);
      const bootstrap = await listEvents({ first: 100, filter: { actor: BOOTSTRAP.clientId } });
      expect(bootstrap.totalCount).toBeGreaterThan(20);
      expect(bootstrap.nodes.every((e) => e.actor.subject === BOOTSTRAP.clientId || e.actor.clientId === BOOTSTRAP.clientId)).toBe(true);
      expect(await listEvents({ filter: { actor: 'nobody-at-all' } })).toMatchObject({ totalCount: 0, nodes: [] });
    });

    it('filters by operation, and combines filters', async () => {
      const updates = await listEvents({ first: 100, filter: { operation: 'clientUpdate' } });
      expect(updates.totalCount).toBeGreaterThanOrEqual(5);
      expect(new Set(updates.nodes.map((e) => e.operation))).toEqual(new Set(['clientUpdate']));
      const combined = await listEvents({ filter: { operation: 'clientCreate', targetId: client.id } });
      expect(combined.nodes.map((e) => e.id)).toEqual([trail[0].id]);
    });

    it('filters by time: since is inclusive, until exclusive', async () => {
      // Successive HTTP requests are milliseconds apart, so each event's time (to the millisecond) tells them apart.
      const [, second, third] = trail;
      const since = await listEvents({ filter: { targetId: client.id, since: second.occurredAt } });
      expect(since.nodes.map((e) => e.id)).toEqual(trail.slice(1).map((e) => e.id));
      const until = await listEvents({ filter: { targetId: client.id, until: third.occurredAt } });
      expect(until.nodes.map((e) => e.id)).toEqual(trail.slice(0, 2).map((e) => e.id));
      const window = await listEvents({ filter: { targetId: client.id, since: second.occurredAt, until: third.occurredAt } });
      expect(window.nodes.map((e) => e.id)).toEqual([second.id]);
      const future = new Date(Date.now() + 3_600_000).toISOString();
      expect(await listEvents({ filter: { since: future } })).toMatchObject({ totalCount: 0, nodes: [] });
    });

    it('pages forward with first/after and backward with last/before', async () => {
      const ids = trail.map((e) => e.id);
      const filter = { targetId: client.id };
      const p1 = await listEvents({ first: 2, filter });
      expect(p1.nodes.map((e) => e.id)).toEqual(ids.slice(0, 2));
      expect(p1.totalCount).toBe(5);
      expect(p1.pageInfo.hasNextPage).toBe(true);
      const p2 = await listEvents({ first: 2, after: p1.pageInfo.endCursor, filter });
      expect(p2.nodes.map((e) => e.id)).toEqual(ids.slice(2, 4));
      const p3 = await listEvents({ first: 2, after: p2.pageInfo.endCursor, filter });
      expect(p3.nodes.map((e) => e.id)).toEqual(ids.slice(4));
      expect(p3.pageInfo.hasNextPage).toBe(false);

      const newest = await listEvents({ last: 2, filter });
      expect(newest.nodes.map((e) => e.id)).toEqual(ids.slice(3));
      expect(newest.pageInfo.hasPreviousPage).toBe(true);
      const older = await listEvents({ last: 2, before: newest.pageInfo.startCursor, filter });
      expect(older.nodes.map((e) => e.id)).toEqual(ids.slice(1, 3));
    });

    it('requires read:audit_events, for the list and for node(id)', async () => {
      const event = trail[0];
      const NODE = `query($id: ID!) { node(id: $id) { id ... on AuditEvent { operation targetId } } }`;

      const reader = await server.managementToken(['read:audit_events']);
      secretsSeen.add(reader);
      expect((await listEvents({ first: 1 }, reader)).nodes).toHaveLength(1);
      const node = await server.gql(NODE, { id: event.id }, reader);
      expect(node.body).toEqual({ data: { node: { id: event.id, operation: 'clientCreate', targetId: client.id } } });

      const other = await server.managementToken(['read:clients']);
      const list = await server.gql(AUDIT_EVENTS, { first: 1 }, other);
      expect(list.body.data).toBeNull();
      expect(list.body.errors).toEqual([
        expect.objectContaining({ path: ['auditEvents'], extensions: { code: 'FORBIDDEN', missingScopes: ['read:audit_events'] } }),
      ]);
      const denied = await deniedEvents('auditEvents', requestIdOf(list));
      expect(denied[0].summary).toEqual({ reason: 'insufficient_scope', missingScopes: ['read:audit_events'] });

      const forbiddenNode = await server.gql(NODE, { id: event.id }, other);
      expect(forbiddenNode.body.data).toEqual({ node: null });
      expect(forbiddenNode.body.errors).toEqual([
        expect.objectContaining({ path: ['node'], extensions: { code: 'FORBIDDEN', missingScopes: ['read:audit_events'] } }),
      ]);
    });
  });
});
