import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, ClientFixture, fixtures, globalId, uuidOf } from '../helpers/fixtures';
import { BrowserAgent, parseForms, pkce, responseParams } from '../helpers/browser-agent';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';

const PASSWORD = 'correct horse battery staple';
const WEB_CB = 'https://web.rbac.example/callback';
const SPA_CB = 'https://spa.rbac.example/callback';
const DIALECTS = ['RFC9068_PROFILE', 'RFC9068_PROFILE_AUTHZ', 'ACCESS_TOKEN', 'ACCESS_TOKEN_AUTHZ'] as const;
const SCOPES = [{ value: 'read:x' }, { value: 'write:x' }, { value: 'delete:x' }];

const PERMS_ADD = `mutation($id: ID!, $permissions: [PermissionInput!]!) {
  rolePermissionsAdd(id: $id, permissions: $permissions) { userErrors { field code message } }
}`;
const PERMS_REMOVE = `mutation($id: ID!, $permissions: [PermissionInput!]!) {
  rolePermissionsRemove(id: $id, permissions: $permissions) { userErrors { field code message } }
}`;
const ASSIGN = `mutation($id: ID!, $roleIds: [ID!]!) { userRolesAssign(id: $id, roleIds: $roleIds) { userErrors { field code message } } }`;
const UNASSIGN = `mutation($id: ID!, $roleIds: [ID!]!) { userRolesRemove(id: $id, roleIds: $roleIds) { userErrors { field code message } } }`;

describe('RBAC: enforcePolicies on user tokens', () => {
  let server: TestServer;
  const { gqlData, createApi, createClient, createGrant } = fixtures(() => server, 'rbac');
  let web: ClientFixture; // REGULAR_WEB, first party, authorization_code
  let spa: ClientFixture; // SPA, first party, authorization_code + implicit
  let n = 0;

  beforeAll(async () => {
    server = await startTestServer();
    web = await createClient({ appType: 'REGULAR_WEB', callbacks: [WEB_CB], grantTypes: ['AUTHORIZATION_CODE'] });
    spa = await createClient({ appType: 'SPA', callbacks: [SPA_CB], grantTypes: ['AUTHORIZATION_CODE', 'IMPLICIT'] });
  });
  afterAll(async () => {
    await server?.close();
  });

  const jwks = () => createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));

  async function mutate(query: string, variables: Record<string, unknown>) {
    const data = await gqlData(query, variables);
    const payload = Object.values(data)[0] as { userErrors: unknown[] };
    expect(payload.userErrors).toEqual([]);
  }

  async function createRole(permissions: { api: ApiFixture; scope: string }[]): Promise<string> {
    const data = await gqlData(`mutation($input: RoleCreateInput!) { roleCreate(input: $input) { role { id } userErrors { message } } }`, {
      input: { name: `role ${++n} ${randomBytes(3).toString('hex')}` },
    });
    const id = data.roleCreate.role.id as string;
    if (permissions.length > 0) {
      await mutate(PERMS_ADD, { id, permissions: permissions.map((p) => ({ resourceServerId: p.api.id, scope: p.scope })) });
    }
    return id;
  }

  async function createUser(): Promise<{ uuid: string; id: string; email: string }> {
    const email = `u${++n}-${randomBytes(3).toString('hex')}@rbac.example`;
    const user = await server.app.users.create({ email, password: PASSWORD }, SYSTEM_ACTOR);
    return { uuid: user.id, id: globalId('User', user.id), email };
  }

  /** A code as /authorize would issue it (consented scopes), exchanged by `web`: the token response and verified claims. */
  async function codeToken(api: ApiFixture, userUuid: string, scopes: string[]) {
    const { verifier, challenge } = pkce();
    const code = await server.app.authorizationCodes.issue({
      clientUuid: uuidOf(web.id),
      userId: userUuid,
      resourceServerId: uuidOf(api.id),
      redirectUri: WEB_CB,
      scopes,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
    });
    const res = await server.token(
      { grant_type: 'authorization_code', code, redirect_uri: WEB_CB, code_verifier: verifier },
      { authorization: basicAuth(web.clientId, web.clientSecret!) },
    );
    expect(res.status).toBe(200);
    const { payload } = await jwtVerify(res.body.access_token, jwks(), { issuer: server.url, audience: api.identifier });
    expect(payload.scope).toBe(res.body.scope);
    return { body: res.body, claims: payload };
  }

  describe.each(DIALECTS)('%s with enforcePolicies', (dialect) => {
    const authz = dialect.endsWith('_AUTHZ');
    let api: ApiFixture;
    let user: { uuid: string; id: string };
    let reader: string;
    let deleter: string;

    beforeAll(async () => {
      api = await createApi({ tokenDialect: dialect, enforcePolicies: true, scopes: SCOPES });
      const elsewhere = await createApi({ scopes: SCOPES });
      reader = await createRole([
        { api, scope: 'read:x' },
        { api: elsewhere, scope: 'write:x' },
      ]);
      deleter = await createRole([{ api, scope: 'delete:x' }]);
      user = await createUser();
      await mutate(ASSIGN, { id: user.id, roleIds: [reader, deleter] });
    });

    it(`carries only the requested scopes the user holds; ${authz ? "permissions = all of the user's permissions for the API" : 'no permissions claim'}`, async () => {
      const { body, claims } = await codeToken(api, user.uuid, ['read:x', 'write:x']);
      expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, scope: 'read:x' });
      expect(claims.sub).toBe(user.uuid);
      if (authz) expect(claims.permissions).toEqual(['delete:x', 'read:x']);
      else expect(claims).not.toHaveProperty('permissions');
    });

    it('removing a role or a permission applies from the next token', async () => {
      const before = await codeToken(api, user.uuid, ['read:x', 'delete:x']);
      expect(before.body.scope).toBe('read:x delete:x');

      await mutate(UNASSIGN, { id: user.id, roleIds: [deleter] });
      const afterRole = await codeToken(api, user.uuid, ['read:x', 'delete:x']);
      expect(afterRole.body.scope).toBe('read:x');
      if (authz) expect(afterRole.claims.permissions).toEqual(['read:x']);

      await mutate(PERMS_REMOVE, { id: reader, permissions: [{ resourceServerId: api.id, scope: 'read:x' }] });
      const afterPermission = await codeToken(api, user.uuid, ['read:x', 'delete:x']);
      expect(afterPermission.body.scope).toBe('');
      if (authz) expect(afterPermission.claims.permissions).toEqual([]);
      else expect(afterPermission.claims).not.toHaveProperty('permissions');

      // Restored, so the tests do not depend on their order.
      await mutate(PERMS_ADD, { id: reader, permissions: [{ resourceServerId: api.id, scope: 'read:x' }] });
      await mutate(ASSIGN, { id: user.id, roleIds: [deleter] });
    });
  });

  it('enforcePolicies off: the consented scopes, whatever the roles; *_AUTHZ permissions = those scopes', async () => {
    for (const dialect of ['ACCESS_TOKEN_AUTHZ', 'RFC9068_PROFILE'] as const) {
      const api = await createApi({ tokenDialect: dialect, enforcePolicies: false, scopes: SCOPES });
      const user = await createUser();
      await mutate(ASSIGN, { id: user.id, roleIds: [await createRole([{ api, scope: 'delete:x' }])] });
      const { body, claims } = await codeToken(api, user.uuid, ['read:x', 'write:x']);
      expect(body.scope).toBe('read:x write:x');
      if (dialect === 'ACCESS_TOKEN_AUTHZ') expect(claims.permissions).toEqual(['read:x', 'write:x']);
      else expect(claims).not.toHaveProperty('permissions');
    }
  });

  it('turning enforcePolicies on applies from the next token', async () => {
    const api = await createApi({ tokenDialect: 'RFC9068_PROFILE_AUTHZ', scopes: SCOPES });
    const user = await createUser();
    await mutate(ASSIGN, { id: user.id, roleIds: [await createRole([{ api, scope: 'write:x' }])] });
    expect((await codeToken(api, user.uuid, ['read:x', 'write:x'])).body.scope).toBe('read:x write:x');
    await mutate(`mutation($id: ID!) { resourceServerUpdate(id: $id, input: { enforcePolicies: true }) { userErrors { message } } }`, {
      id: api.id,
    });
    const { body, claims } = await codeToken(api, user.uuid, ['read:x', 'write:x']);
    expect(body.scope).toBe('write:x');
    expect(claims.permissions).toEqual(['write:x']);
  });

  it('through /authorize: the code flow and the implicit grant apply the roles', async () => {
    const api = await createApi({
      tokenDialect: 'ACCESS_TOKEN_AUTHZ',
      enforcePolicies: true,
      allowSkippingUserConsent: true,
      scopes: SCOPES,
    });
    const user = await createUser();
    await mutate(ASSIGN, {
      id: user.id,
      roleIds: [
        await createRole([
          { api, scope: 'read:x' },
          { api, scope: 'delete:x' },
        ]),
      ],
    });
    const agent = new BrowserAgent(server.url);
    const authorize = (params: Record<string, string>) =>
      `/authorize?${new URLSearchParams({ client_id: spa.clientId, redirect_uri: SPA_CB, scope: 'read:x write:x', audience: api.identifier, state: 's', ...params })}`;

    // Code flow: sign in (first party, consent skipped), then exchange.
    const { verifier, challenge } = pkce();
    const login = await agent.get(authorize({ response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256' }));
    expect(parseForms(login.text)[0].action).toBe('/authorize/login');
    const back = await agent.follow(await agent.submit(login, { email: user.email, password: PASSWORD }));
    expect(back.status).toBe(302);
    const { code } = responseParams(back.location!);
    const exchanged = await server.token({
      grant_type: 'authorization_code',
      client_id: spa.clientId,
      code,
      redirect_uri: SPA_CB,
      code_verifier: verifier,
    });
    expect(exchanged.status).toBe(200);
    expect(exchanged.body.scope).toBe('read:x');
    const codeClaims = (await jwtVerify(exchanged.body.access_token, jwks(), { audience: api.identifier })).payload;
    expect(codeClaims).toMatchObject({ sub: user.uuid, scope: 'read:x', permissions: ['delete:x', 'read:x'] });

    // Implicit: the token in the fragment.
    const implicit = await agent.get(authorize({ response_type: 'token', nonce: randomBytes(8).toString('hex') }));
    expect(implicit.status).toBe(302);
    const fragment = responseParams(implicit.location!, 'fragment');
    expect(fragment).toMatchObject({ token_type: 'Bearer', scope: 'read:x' });
    const implicitClaims = (await jwtVerify(fragment.access_token, jwks(), { audience: api.identifier })).payload;
    expect(implicitClaims).toMatchObject({ sub: user.uuid, azp: spa.clientId, scope: 'read:x', permissions: ['delete:x', 'read:x'] });
  });

  it('machine clients keep their client grant as the source of their scopes, enforcePolicies or not', async () => {
    const api = await createApi({ tokenDialect: 'ACCESS_TOKEN_AUTHZ', enforcePolicies: true, scopes: SCOPES });
    const machine = await createClient();
    await createGrant(machine, api, ['read:x', 'write:x']);
    const res = await server.token(
      { grant_type: 'client_credentials', audience: api.identifier },
      { authorization: basicAuth(machine.clientId, machine.clientSecret!) },
    );
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('read:x write:x');
    const { payload } = await jwtVerify(res.body.access_token, jwks(), { audience: api.identifier });
    expect(payload).toMatchObject({ sub: `${machine.clientId}@clients`, scope: 'read:x write:x', permissions: ['read:x', 'write:x'] });
  });

  it('a scope removed from the API leaves the role and the next token', async () => {
    const api = await createApi({ tokenDialect: 'RFC9068_PROFILE_AUTHZ', enforcePolicies: true, scopes: SCOPES });
    const user = await createUser();
    await mutate(ASSIGN, {
      id: user.id,
      roleIds: [
        await createRole([
          { api, scope: 'read:x' },
          { api, scope: 'write:x' },
        ]),
      ],
    });
    expect((await codeToken(api, user.uuid, ['read:x', 'write:x'])).claims.permissions).toEqual(['read:x', 'write:x']);
    await mutate(`mutation($id: ID!) { resourceServerScopesRemove(id: $id, values: ["write:x"]) { userErrors { message } } }`, {
      id: api.id,
    });
    const { body, claims } = await codeToken(api, user.uuid, ['read:x', 'write:x']);
    expect(body.scope).toBe('read:x');
    expect(claims.permissions).toEqual(['read:x']);
  });
});
