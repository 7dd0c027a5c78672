import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { FakeClock, startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, ClientFixture, fixtures, globalId, userErrors, uuidOf } from '../helpers/fixtures';
import { pkce } from '../helpers/browser-agent';
import { isActive } from '../helpers/refresh-flow';
import { postForm } from '../helpers/post-form';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';
import type { CustomClaimsSource } from '../../src/oauth/tokens/token-context';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';
const CALLBACK = 'https://web.exchange.example/callback';
const PASSWORD = 'correct horse battery staple';
const SCOPES = [{ value: 'read:x' }, { value: 'write:x' }, { value: 'introspect' }];

/**
 * RFC 8693 token exchange against the running server: openid-client's genericGrantRequest, tokens
 * verified with jose against the JWKS (`act`, `sub`, `exp`), delegation chains, ID-token subjects,
 * every refusal, and revocation of a subject ending its exchanged tokens at /oauth/introspect.
 */
describe('token exchange (RFC 8693)', () => {
  let server: TestServer;
  const clock = new FakeClock();
  const f = fixtures(() => server, 'exchange');
  /** The subject tokens' API (600 s tokens), the exchange targets (one hour), an API nobody is granted. */
  let source: ApiFixture;
  let target: ApiFixture;
  let further: ApiFixture;
  let ungranted: ApiFixture;
  /** A machine client with client credentials on `source` (machine subject tokens); no TOKEN_EXCHANGE. */
  let caller: ClientFixture;
  /** A machine client allowed TOKEN_EXCHANGE, granted read:x on `target`. */
  let exchanger: ClientFixture;
  /** Allowed TOKEN_EXCHANGE, granted read:x on `further`: exchanges the exchanger's tokens again (a chain). */
  let second: ClientFixture;
  /** A web app: users' code flow on `source` (access and ID tokens), and TOKEN_EXCHANGE with read:x write:x on `target`. */
  let web: ClientFixture;
  /** Holds `introspect` on every API. */
  let introspector: ClientFixture;
  let user: { id: string; email: string };
  let n = 0;

  /** A custom-claims source that, for exchanges, adds a claim and tries to forge the delegation claims. */
  const forger: CustomClaimsSource = {
    claimsFor: (context) =>
      context.grantType === GRANT
        ? Promise.resolve({ team: 'blue', act: { sub: 'forged' }, exchanged_from: [], sub: 'forged' })
        : undefined,
  };

  const jwks = () => createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
  const verify = (token: string, api: ApiFixture) =>
    jwtVerify(token, jwks(), { issuer: server.url, audience: api.identifier, currentDate: clock.now() }).then((r) => r.payload);

  beforeAll(async () => {
    server = await startTestServer({ clock, claimsSources: [forger] });
    source = await f.createApi({ scopes: SCOPES, tokenLifetime: 600 });
    target = await f.createApi({ scopes: SCOPES, tokenLifetime: 3600 });
    further = await f.createApi({ scopes: SCOPES, tokenLifetime: 3600 });
    ungranted = await f.createApi({ scopes: SCOPES });
    caller = await f.createClient();
    await f.createGrant(caller, source, ['read:x']);
    exchanger = await f.createClient({ grantTypes: ['CLIENT_CREDENTIALS', 'TOKEN_EXCHANGE'] });
    await f.createGrant(exchanger, target, ['read:x']);
    await f.createGrant(exchanger, source, ['read:x']);
    second = await f.createClient({ grantTypes: ['TOKEN_EXCHANGE'] });
    await f.createGrant(second, further, ['read:x']);
    web = await f.createClient({ appType: 'REGULAR_WEB', callbacks: [CALLBACK], grantTypes: ['AUTHORIZATION_CODE', 'TOKEN_EXCHANGE'] });
    await f.createGrant(web, target, ['read:x', 'write:x']);
    introspector = await f.createClient();
    for (const api of [source, target, further]) await f.createGrant(introspector, api, ['introspect']);
    user = await createUser();
  });
  afterAll(async () => {
    await server?.close();
  });

  async function createUser(): Promise<{ id: string; email: string }> {
    const email = `u${++n}-${randomBytes(3).toString('hex')}@exchange.example`;
    const created = await server.app.users.create({ email, password: PASSWORD }, SYSTEM_ACTOR);
    return { id: created.id, email };
  }

  /** The user's tokens from web's code exchange on `source` (an ID token too with `openid`). */
  async function userTokens(userId: string, scopes: string[] = ['read:x']): Promise<{ access_token: string; id_token?: string }> {
    const { verifier, challenge } = pkce();
    const code = await server.app.authorizationCodes.issue({
      clientUuid: uuidOf(web.id),
      userId,
      resourceServerId: uuidOf(source.id),
      redirectUri: CALLBACK,
      scopes,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
    });
    const res = await server.token(
      { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier },
      { authorization: basicAuth(web.clientId, web.clientSecret!) },
    );
    expect(res.status).toBe(200);
    return res.body;
  }

  /** POST /oauth/token as `client` with the token-exchange grant and `params`. */
  const exchange = (client: ClientFixture, params: Record<string, string>) =>
    server.token({ grant_type: GRANT, ...params }, { authorization: basicAuth(client.clientId, client.clientSecret!) });

  /** An exchange that must succeed: the response body. */
  async function exchanged(client: ClientFixture, params: Record<string, string>) {
    const res = await exchange(client, params);
    expect(res.status).toBe(200);
    return res.body;
  }

  const expectError = (res: { status: number; body: any }, error: string, description: RegExp, status = 400) => {
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error, error_description: expect.stringMatching(description) });
  };

  describe('with openid-client', () => {
    it('exchanges a user access token with genericGrantRequest: same sub, act = the exchanging client, not beyond the subject', async () => {
      const subject = (await userTokens(user.id)).access_token;
      const subjectClaims = await verify(subject, source);
      const config = await oidc.discovery(new URL(server.url), exchanger.clientId, {}, oidc.ClientSecretBasic(exchanger.clientSecret!), {
        execute: [oidc.allowInsecureRequests],
      });
      expect(config.serverMetadata().grant_types_supported).toContain(GRANT);

      const response = await oidc.genericGrantRequest(config, GRANT, {
        subject_token: subject,
        subject_token_type: ACCESS_TOKEN,
        audience: target.identifier,
        requested_token_type: ACCESS_TOKEN,
      });
      expect(response.issued_token_type).toBe(ACCESS_TOKEN);
      expect(response.token_type).toBe('bearer');
      expect(response.refresh_token).toBeUndefined();
      expect(response.scope).toBe('read:x');

      const claims = await verify(response.access_token, target);
      // Made by the pipeline: custom claims added, the protected ones (sub, act, exchanged_from) the pipeline's own.
      expect(claims).toMatchObject({
        sub: user.id,
        client_id: exchanger.clientId,
        scope: 'read:x',
        act: { sub: exchanger.clientId },
        team: 'blue',
      });
      // A one-hour API, a 600 s subject: the exchanged token ends with its subject.
      expect(claims.exp).toBe(subjectClaims.exp);
      expect(response.expires_in).toBeLessThanOrEqual(600);
      expect(claims.exchanged_from).toEqual([
        { jti: subjectClaims.jti, client_id: web.clientId, aud: source.identifier, iat: subjectClaims.iat },
      ]);

      // Introspection says the same, active.
      const introspection = await postForm(
        server,
        '/oauth/introspect',
        { token: response.access_token },
        { authorization: basicAuth(introspector.clientId, introspector.clientSecret!) },
      );
      expect(introspection.body).toMatchObject({
        active: true,
        sub: user.id,
        client_id: exchanger.clientId,
        act: { sub: exchanger.clientId },
      });
    });
  });

  describe('subjects and actors', () => {
    it('keeps the sub of a machine subject token; resource names the target like audience', async () => {
      const subject = await f.issueToken(caller, source);
      const body = await exchanged(exchanger, { subject_token: subject, subject_token_type: ACCESS_TOKEN, resource: target.identifier });
      expect(body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: expect.any(Number),
        scope: 'read:x',
        issued_token_type: ACCESS_TOKEN,
      });
      const claims = await verify(body.access_token, target);
      expect(claims).toMatchObject({ sub: caller.clientId, client_id: exchanger.clientId, act: { sub: exchanger.clientId } });
    });

    it('nests act along a chain, and ends every link when the first subject is revoked', async () => {
      const subject = (await userTokens(user.id)).access_token;
      const first = (await exchanged(exchanger, { subject_token: subject, subject_token_type: ACCESS_TOKEN, audience: target.identifier }))
        .access_token;
      const chained = (await exchanged(second, { subject_token: first, subject_token_type: ACCESS_TOKEN, audience: further.identifier }))
        .access_token;
      const claims = await verify(chained, further);
      expect(claims).toMatchObject({
        sub: user.id,
        client_id: second.clientId,
        act: { sub: second.clientId, act: { sub: exchanger.clientId } },
      });
      expect((claims.exchanged_from as unknown[]).length).toBe(2);
      expect(await isActive(server, introspector, first)).toBe(true);
      expect(await isActive(server, introspector, chained)).toBe(true);

      // The user's token revoked by its client (RFC 7009): the denylist ends both exchanged tokens.
      const revoked = await postForm(
        server,
        '/oauth/revoke',
        { token: subject },
        { authorization: basicAuth(web.clientId, web.clientSecret!) },
      );
      expect(revoked.status).toBe(200);
      expect(await isActive(server, introspector, subject)).toBe(false);
      expect(await isActive(server, introspector, first)).toBe(false);
      expect(await isActive(server, introspector, chained)).toBe(false);
      // And the revoked subject cannot be exchanged again.
      expectError(
        await exchange(exchanger, { subject_token: subject, subject_token_type: ACCESS_TOKEN, audience: target.identifier }),
        'invalid_request',
        /subject_token is invalid, expired or revoked/,
      );
    });

    it("ends exchanged tokens when the subject's client grant is deleted (watermark)", async () => {
      const machine = await f.createClient();
      const grantId = await f.createGrant(machine, source, ['read:x']);
      const subject = await f.issueToken(machine, source);
      const token = (await exchanged(exchanger, { subject_token: subject, subject_token_type: ACCESS_TOKEN, audience: target.identifier }))
        .access_token;
      expect(await isActive(server, introspector, token)).toBe(true);
      clock.advance(2); // the watermark is strict: a later second than the subject's iat
      const deleted = await f.gqlData(
        `mutation($id: ID!) { clientGrantDelete(id: $id, input: { revokeIssuedTokens: true }) { deletedId userErrors { code } } }`,
        {
          id: grantId,
        },
      );
      expect(deleted.clientGrantDelete.userErrors).toEqual([]);
      expect(await isActive(server, introspector, subject)).toBe(false);
      expect(await isActive(server, introspector, token)).toBe(false);
    });

    it('an exchanged Management API token works until its subject is revoked', async () => {
      const data = await f.gqlData(`query($identifier: String!) { resourceServer(identifier: $identifier) { id } }`, {
        identifier: server.config.managementAudience,
      });
      const operator = await f.createClient({ grantTypes: ['TOKEN_EXCHANGE'] });
      await f.createGrant(operator, { id: data.resourceServer.id }, ['read:clients']);
      const subject = await f.issueToken(caller, source);
      const body = await exchanged(operator, {
        subject_token: subject,
        subject_token_type: ACCESS_TOKEN,
        audience: server.config.managementAudience,
      });
      expect(body.scope).toBe('read:clients');
      const query = `query($id: ID!) { node(id: $id) { id } }`;
      const before = await server.gql(query, { id: caller.id }, body.access_token);
      expect(before.status).toBe(200);
      expect(before.body).toEqual({ data: { node: { id: caller.id } } });

      await postForm(server, '/oauth/revoke', { token: subject }, { authorization: basicAuth(caller.clientId, caller.clientSecret!) });
      const after = await server.gql(query, { id: caller.id }, body.access_token);
      expect(after.status).toBe(401);
    });

    it("exchanges the client's own ID token: the user's sub, for at most the ID token's lifetime", async () => {
      const { id_token: idToken } = await userTokens(user.id, ['openid', 'read:x']);
      const idClaims = decodeJwt(idToken!);
      const body = await exchanged(web, {
        subject_token: idToken!,
        subject_token_type: ID_TOKEN,
        audience: target.identifier,
        scope: 'write:x',
      });
      const claims = await verify(body.access_token, target);
      expect(claims).toMatchObject({ sub: user.id, client_id: web.clientId, scope: 'write:x', act: { sub: web.clientId } });
      expect(claims.exp).toBeLessThanOrEqual(idClaims.exp!);
      expect(claims.exchanged_from).toBeUndefined();
      // Another client's ID token is not the exchanger's to present.
      expectError(
        await exchange(exchanger, { subject_token: idToken!, subject_token_type: ID_TOKEN, audience: target.identifier }),
        'invalid_request',
        /subject_token is invalid/,
      );
      // Nor is an access token an ID token.
      const access = (await userTokens(user.id)).access_token;
      expectError(
        await exchange(web, { subject_token: access, subject_token_type: ID_TOKEN, audience: target.identifier }),
        'invalid_request',
        /subject_token is invalid/,
      );
    });

    it("names the actor token's subject in act, which must have been issued to the exchanging client", async () => {
      const admin = await createUser();
      const { id_token: actorToken } = await userTokens(admin.id, ['openid']);
      const subject = await f.issueToken(caller, source);
      const body = await exchanged(web, {
        subject_token: subject,
        subject_token_type: ACCESS_TOKEN,
        actor_token: actorToken!,
        actor_token_type: ID_TOKEN,
        audience: target.identifier,
      });
      const claims = await verify(body.access_token, target);
      expect(claims).toMatchObject({ sub: caller.clientId, client_id: web.clientId, act: { sub: admin.id } });

      // The exchanger's own machine token as actor: act.sub is its sub; caller's token as actor is refused.
      const own = await f.issueToken(exchanger, source);
      const withOwn = await exchanged(exchanger, {
        subject_token: subject,
        subject_token_type: ACCESS_TOKEN,
        actor_token: own,
        actor_token_type: ACCESS_TOKEN,
        audience: target.identifier,
      });
      expect(decodeJwt(withOwn.access_token).act).toEqual({ sub: exchanger.clientId });
      // Revoking the actor token ends it too.
      expect(await isActive(server, introspector, withOwn.access_token)).toBe(true);
      await postForm(server, '/oauth/revoke', { token: own }, { authorization: basicAuth(exchanger.clientId, exchanger.clientSecret!) });
      expect(await isActive(server, introspector, withOwn.access_token)).toBe(false);
      expectError(
        await exchange(exchanger, {
          subject_token: subject,
          subject_token_type: ACCESS_TOKEN,
          actor_token: subject,
          actor_token_type: ACCESS_TOKEN,
          audience: target.identifier,
        }),
        'invalid_request',
        /actor_token was not issued to this client/,
      );
    });
  });

  describe('policy', () => {
    it('refuses a target API without a client grant (invalid_target) and scopes beyond the grant (invalid_scope)', async () => {
      const subject = await f.issueToken(caller, source);
      const base = { subject_token: subject, subject_token_type: ACCESS_TOKEN };
      expectError(await exchange(exchanger, { ...base, audience: ungranted.identifier }), 'invalid_target', /not authorized for this API/);
      expectError(await exchange(exchanger, { ...base, audience: target.identifier, scope: 'read:x write:x' }), 'invalid_scope', /write:x/);
      expectError(await exchange(exchanger, { ...base }), 'invalid_request', /audience \(or resource\) is required/);
      expectError(
        await exchange(exchanger, { ...base, audience: target.identifier, resource: further.identifier }),
        'invalid_target',
        /different APIs/,
      );
    });

    it("limits a user subject's scopes to the user's own rights on the target under RBAC", async () => {
      const rbac = await f.createApi({ scopes: SCOPES, enforcePolicies: true });
      await f.createGrant(exchanger, rbac, ['read:x', 'write:x']);
      const role = await f.gqlData(`mutation($input: RoleCreateInput!) { roleCreate(input: $input) { role { id } userErrors { code } } }`, {
        input: { name: `reader ${randomBytes(3).toString('hex')}` },
      });
      const roleId = role.roleCreate.role.id;
      await f.gqlData(
        `mutation($id: ID!, $p: [PermissionInput!]!) { rolePermissionsAdd(id: $id, permissions: $p) { userErrors { code } } }`,
        {
          id: roleId,
          p: [{ resourceServerId: rbac.id, scope: 'read:x' }],
        },
      );
      const reader = await createUser();
      await f.gqlData(`mutation($id: ID!, $r: [ID!]!) { userRolesAssign(id: $id, roleIds: $r) { userErrors { code } } }`, {
        id: globalId('User', reader.id),
        r: [roleId],
      });
      const subject = (await userTokens(reader.id)).access_token;
      const base = { subject_token: subject, subject_token_type: ACCESS_TOKEN, audience: rbac.identifier };
      expect((await exchanged(exchanger, base)).scope).toBe('read:x');
      expectError(await exchange(exchanger, { ...base, scope: 'write:x' }), 'invalid_scope', /write:x/);
      // A machine subject is not bound by RBAC: the grant decides.
      const machine = await f.issueToken(caller, source);
      expect((await exchanged(exchanger, { ...base, subject_token: machine })).scope).toBe('read:x write:x');
    });

    it('refuses clients not allowed TOKEN_EXCHANGE (unauthorized_client), public clients included', async () => {
      const subject = await f.issueToken(caller, source);
      const params = { subject_token: subject, subject_token_type: ACCESS_TOKEN, audience: target.identifier };
      expectError(
        await exchange(caller, params),
        'unauthorized_client',
        /not allowed the urn:ietf:params:oauth:grant-type:token-exchange grant/,
      );
      const spa = await f.createClient({ appType: 'SPA', callbacks: ['https://spa.exchange.example/cb'] });
      expectError(
        await server.token({ grant_type: GRANT, client_id: spa.clientId, ...params }),
        'unauthorized_client',
        /not allowed the urn:ietf:params:oauth:grant-type:token-exchange grant/,
      );
      // Nor can a public client be allowed it.
      const res = await server.gql(
        `mutation($input: ClientCreateInput!) { clientCreate(input: $input) { client { id } userErrors { field code message } } }`,
        { input: { name: 'public exchanger', appType: 'NATIVE', grantTypes: ['AUTHORIZATION_CODE', 'TOKEN_EXCHANGE'] } },
      );
      expect(res.body.data.clientCreate).toEqual({ client: null, userErrors: userErrors([['input', 'grantTypes', '1'], 'INVALID']) });
    });

    it('refuses a delegation chain longer than 8 tokens', async () => {
      let token = await f.issueToken(caller, source);
      for (let i = 1; i <= 8; i++) {
        token = (await exchanged(exchanger, { subject_token: token, subject_token_type: ACCESS_TOKEN, audience: target.identifier }))
          .access_token;
        expect((decodeJwt(token).exchanged_from as unknown[]).length).toBe(i);
      }
      let act = decodeJwt(token).act as { act?: unknown } | undefined;
      let depth = 0;
      for (; act !== undefined; act = act.act as typeof act) depth++;
      expect(depth).toBe(8);
      expect(await isActive(server, introspector, token)).toBe(true);
      expectError(
        await exchange(exchanger, { subject_token: token, subject_token_type: ACCESS_TOKEN, audience: target.identifier }),
        'invalid_request',
        /Too long a delegation chain: at most 8 exchanges/,
      );
    });

    it('keeps client grants while the client is allowed TOKEN_EXCHANGE or CLIENT_CREDENTIALS', async () => {
      const update = `mutation($id: ID!, $input: ClientUpdateInput!) {
        clientUpdate(id: $id, input: $input) { client { grantTypes } userErrors { field code message } }
      }`;
      const client = await f.createClient({ appType: 'REGULAR_WEB', callbacks: [CALLBACK], grantTypes: ['TOKEN_EXCHANGE'] });
      await f.createGrant(client, target, ['read:x']);
      const kept = await f.gqlData(update, { id: client.id, input: { grantTypes: ['CLIENT_CREDENTIALS'] } });
      expect(kept.clientUpdate).toEqual({ client: { grantTypes: ['CLIENT_CREDENTIALS'] }, userErrors: [] });
      const refused = await f.gqlData(update, { id: client.id, input: { grantTypes: ['AUTHORIZATION_CODE'] } });
      expect(refused.clientUpdate).toEqual({ client: null, userErrors: userErrors([['input', 'grantTypes'], 'INVALID']) });
    });

    it('refuses the subject of a blocked user, and ends what was exchanged for them', async () => {
      const blocked = await createUser();
      const subject = (await userTokens(blocked.id)).access_token;
      const { id_token: idToken } = await userTokens(blocked.id, ['openid']);
      const fromAccess = (
        await exchanged(exchanger, { subject_token: subject, subject_token_type: ACCESS_TOKEN, audience: target.identifier })
      ).access_token;
      const fromId = (await exchanged(web, { subject_token: idToken!, subject_token_type: ID_TOKEN, audience: target.identifier }))
        .access_token;
      expect(await isActive(server, introspector, fromId)).toBe(true);
      await server.app.users.update(blocked.id, { blocked: true }, SYSTEM_ACTOR);
      // What was exchanged on the user's behalf ends with the user's sign-in, ID-token subjects included.
      expect(await isActive(server, introspector, fromAccess)).toBe(false);
      expect(await isActive(server, introspector, fromId)).toBe(false);
      expectError(
        await exchange(exchanger, { subject_token: subject, subject_token_type: ACCESS_TOKEN, audience: target.identifier }),
        'invalid_request',
        /can no longer sign in/,
      );
    });
  });

  describe('malformed requests', () => {
    let subject: string;
    beforeAll(async () => {
      subject = await f.issueToken(caller, source);
    });

    it.each([
      ['no subject_token', { subject_token: '' }, /subject_token and subject_token_type are required/],
      ['no subject_token_type', { subject_token_type: '' }, /subject_token and subject_token_type are required/],
      [
        'a refresh token type',
        { subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' },
        /subject_token_type is not supported/,
      ],
      ['a SAML type', { subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' }, /subject_token_type is not supported/],
      ['actor_token without its type', { actor_token: 'x' }, /actor_token and actor_token_type go together/],
      ['actor_token_type without a token', { actor_token_type: ACCESS_TOKEN }, /actor_token and actor_token_type go together/],
      ['an unsupported actor_token_type', { actor_token: 'x', actor_token_type: 'urn:example:jwt' }, /actor_token_type is not supported/],
      ['a requested refresh token', { requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }, /requested_token_type/],
      ['a garbage subject_token', { subject_token: 'not-a-jwt' }, /subject_token is invalid, expired or revoked/],
      ['a garbage actor_token', { actor_token: 'a.b.c', actor_token_type: ACCESS_TOKEN }, /actor_token is invalid, expired or revoked/],
    ])('%s: invalid_request', async (_name, params: Record<string, string>, description) => {
      const res = await exchange(exchanger, {
        subject_token: subject,
        subject_token_type: ACCESS_TOKEN,
        audience: target.identifier,
        ...params,
      });
      expectError(res, 'invalid_request', description);
    });

    it('refuses an expired subject token (last: moves the clock past its expiry)', async () => {
      const expiring = await f.issueToken(caller, source);
      // Within the verifier's clock tolerance, the exchange still refuses a token with no time left.
      clock.advance(601);
      const params = { subject_token: expiring, subject_token_type: ACCESS_TOKEN, audience: target.identifier };
      expectError(await exchange(exchanger, params), 'invalid_request', /subject_token or actor_token has expired/);
      clock.advance(60);
      expectError(await exchange(exchanger, params), 'invalid_request', /subject_token is invalid, expired or revoked/);
    });
  });
});
