import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { ApiFixture, basicAuth, ClientFixture, fixtures } from '../helpers/fixtures';
import { startTestServer, TestServer, BOOTSTRAP } from '../helpers/test-app';
import { anotherApiToken, MANAGEMENT_TOKEN_REQUIRED } from '../../src/http/management-auth';
import type { AsymmetricAlgorithm } from '../../src/crypto/key-pairs';

type Api = ApiFixture;
/** Every client these tests authenticate is confidential. */
type Client = ClientFixture & { clientSecret: string };

const ALL_SCOPES = [
  'read:resource_servers',
  'create:resource_servers',
  'update:resource_servers',
  'delete:resource_servers',
  'read:clients',
  'create:clients',
  'update:clients',
  'delete:clients',
  'read:client_grants',
  'create:client_grants',
  'update:client_grants',
  'delete:client_grants',
  'update:client_keys',
  'read:signing_keys',
  'create:tokens',
];

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('Management API authentication and authorization', () => {
  let server: TestServer;
  let seq = 0;

  const { gqlData, createClient: createFixtureClient, createGrant, createApi: createFixtureApi } = fixtures(() => server, 'mgmt');
  const createClient = (input: Record<string, unknown> = {}) => createFixtureClient(input) as Promise<Client>;
  const createApi = (input: Record<string, unknown> = {}): Promise<Api> =>
    createFixtureApi({ signingAlgorithm: 'ES256', tokenDialect: 'ACCESS_TOKEN_AUTHZ', ...input });

  function expectUnauthenticated(res: { status: number; headers: Headers; body: any }) {
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer\b/);
    expect(challenge).toContain('error="invalid_token"');
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // One description for every reason: the reason itself is logged and audited (see "why a token was refused").
    expect(res.body.errors).toEqual([{ message: MANAGEMENT_TOKEN_REQUIRED, extensions: { code: 'UNAUTHENTICATED' } }]);
    expect(challenge).toBe(`Bearer realm="management", error="invalid_token", error_description="${MANAGEMENT_TOKEN_REQUIRED}"`);
  }

  /** A token active for another API is the one refusal that says why: its holder can read its `aud` anyway. */
  function expectAnotherApi(res: { status: number; headers: Headers; body: any }, aud: string) {
    const description = anotherApiToken(aud, server.config.managementAudience);
    expect(description).toBe(
      `This token is for another API (aud ${aud}); the Management API needs a token with audience ${server.config.managementAudience}`,
    );
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errors: [{ message: description, extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="management", error="invalid_token", error_description="${description}"`,
    );
    expect(res.headers.get('cache-control')).toBe('no-store');
  }

  const QUERY = `{ resourceServers(first: 1) { edges { node { id } } } }`;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  describe('bearer token (HTTP 401)', () => {
    it('accepts the full management token', async () => {
      const res = await server.gql(QUERY);
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
    });

    it('refuses a request without a token', async () => {
      const res = await server.gql(QUERY, undefined, null);
      expectUnauthenticated(res);
      expect(res.headers.get('cache-control')).toBe('no-store');
    });

    it('refuses a mutation without a token and does not run it', async () => {
      const identifier = `https://unauth-${++seq}.example/`;
      const res = await server.gql(
        `mutation($input: ResourceServerCreateInput!) { resourceServerCreate(input: $input) { resourceServer { id } } }`,
        { input: { name: 'nope', identifier } },
        null,
      );
      expectUnauthenticated(res);
      expect(await server.db.query('SELECT id FROM resource_servers WHERE identifier = $1', [identifier])).toEqual([]);
    });

    it('refuses a garbage token', async () => {
      expectUnauthenticated(await server.gql(QUERY, undefined, 'garbage'));
      expectUnauthenticated(await server.gql(QUERY, undefined, 'a.b.c'));
    });

    it('refuses an Authorization header that is not Bearer', async () => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basicAuth(BOOTSTRAP.clientId, BOOTSTRAP.clientSecret) },
        body: JSON.stringify({ query: QUERY }),
      });
      expectUnauthenticated({ status: response.status, headers: response.headers, body: await response.json() });
    });

    it('refuses a token whose signature was tampered with', async () => {
      const token = await server.managementToken();
      const [header, payload, signature] = token.split('.');
      const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
      expectUnauthenticated(await server.gql(QUERY, undefined, `${header}.${payload}.${flipped}`));
      // Same signature, payload changed (more scopes / other subject).
      const claims = decodeJwt(token);
      const forgedPayload = b64url({ ...claims, sub: 'someone-else' });
      expectUnauthenticated(await server.gql(QUERY, undefined, `${header}.${forgedPayload}.${signature}`));
    });

    it('refuses an expired token', async () => {
      const realNow = Date.now();
      const spy = jest.spyOn(Date, 'now').mockReturnValue(realNow - 3 * 86_400 * 1000);
      let res;
      try {
        res = await server.token(
          { grant_type: 'client_credentials', audience: server.config.managementAudience },
          { authorization: basicAuth(BOOTSTRAP.clientId, BOOTSTRAP.clientSecret) },
        );
      } finally {
        spy.mockRestore();
      }
      expect(res.status).toBe(200);
      const claims = decodeJwt(res.body.access_token);
      expect(claims.exp!).toBeLessThan(realNow / 1000 - 3600);
      expectUnauthenticated(await server.gql(QUERY, undefined, res.body.access_token));
    });

    it('refuses a token issued for another API (same algorithm and dialect), naming its audience', async () => {
      const other = await createApi({
        signingAlgorithm: 'RS256',
        tokenDialect: 'RFC9068_PROFILE',
        scopes: ALL_SCOPES.map((value) => ({ value })),
      });
      const client = await createClient();
      await createGrant(client, other, ALL_SCOPES);
      const res = await server.token(
        { grant_type: 'client_credentials', audience: other.identifier },
        { authorization: basicAuth(client.clientId, client.clientSecret) },
      );
      expect(res.status).toBe(200);
      const header = decodeProtectedHeader(res.body.access_token);
      expect(header.alg).toBe('RS256');
      expectAnotherApi(await server.gql(QUERY, undefined, res.body.access_token), other.identifier);
    });

    it('refuses a token for another API in another algorithm, naming its audience', async () => {
      const other = await createApi();
      const client = await createClient();
      await createGrant(client, other, ['read:x']);
      const res = await server.token(
        { grant_type: 'client_credentials', audience: other.identifier },
        { authorization: basicAuth(client.clientId, client.clientSecret) },
      );
      expect(res.status).toBe(200);
      expectAnotherApi(await server.gql(QUERY, undefined, res.body.access_token), other.identifier);
    });

    it('says nothing of the audience of a token for another API that is not active (revoked, tampered with, expired)', async () => {
      const other = await createApi();
      const client = await createClient();
      await createGrant(client, other, ['read:x']);
      const issue = async () =>
        (
          await server.token(
            { grant_type: 'client_credentials', audience: other.identifier },
            { authorization: basicAuth(client.clientId, client.clientSecret) },
          )
        ).body.access_token as string;

      const revoked = await issue();
      await gqlData(`mutation($input: AccessTokenRevokeInput!) { accessTokenRevoke(input: $input) { userErrors { message } } }`, {
        input: { token: revoked },
      });
      expectUnauthenticated(await server.gql(QUERY, undefined, revoked));

      const [header, payload, signature] = (await issue()).split('.');
      const forged = b64url({ ...decodeJwt(`${header}.${payload}.${signature}`), scope: 'read:resource_servers' });
      expectUnauthenticated(await server.gql(QUERY, undefined, `${header}.${forged}.${signature}`));

      const realNow = Date.now();
      const spy = jest.spyOn(Date, 'now').mockReturnValue(realNow - 3 * 86_400 * 1000);
      let expired: string;
      try {
        expired = await issue();
      } finally {
        spy.mockRestore();
      }
      expect(decodeJwt(expired).exp!).toBeLessThan(realNow / 1000);
      expectUnauthenticated(await server.gql(QUERY, undefined, expired));
    });

    it('refuses an unsigned token (alg none)', async () => {
      const claims = decodeJwt(await server.managementToken());
      const header = decodeProtectedHeader(await server.managementToken());
      const none = `${b64url({ alg: 'none', typ: header.typ, kid: header.kid })}.${b64url(claims)}.`;
      expectUnauthenticated(await server.gql(QUERY, undefined, none));
      const noneNoKid = `${b64url({ alg: 'none', typ: 'at+jwt' })}.${b64url(claims)}.`;
      expectUnauthenticated(await server.gql(QUERY, undefined, noneNoKid));
    });

    it('refuses an HS256 token forged with a guessed key', async () => {
      const token = await server.managementToken();
      const claims = decodeJwt(token);
      const { kid, typ } = decodeProtectedHeader(token);
      for (const guess of ['secret', BOOTSTRAP.clientSecret, server.config.managementAudience]) {
        const forged = await new SignJWT({ ...claims })
          .setProtectedHeader({ alg: 'HS256', typ: typ as string, kid })
          .sign(new TextEncoder().encode(guess));
        expectUnauthenticated(await server.gql(QUERY, undefined, forged));
      }
      // HS256 keyed with the RSA public key of the management signing key (algorithm confusion).
      const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Record<string, string>[] };
      const publicJwk = jwks.keys.find((k) => k.kid === kid)!;
      expect(publicJwk).toBeDefined();
      const confused = await new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'HS256', typ: typ as string, kid })
        .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
      expectUnauthenticated(await server.gql(QUERY, undefined, confused));
    });

    it('answers schema introspection without a token', async () => {
      const res = await server.gql(`{ __schema { types { name } } }`, undefined, null);
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      const names = (res.body.data.__schema.types as { name: string }[]).map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['ResourceServer', 'Client', 'ClientGrant']));
    });

    it('does not let introspection carry other fields without a token', async () => {
      const res = await server.gql(`{ __typename resourceServers(first: 1) { edges { node { id } } } }`, undefined, null);
      expectUnauthenticated(res);
    });
  });

  describe('why a token was refused: in the log and the audit event, never in the answer', () => {
    let logged: Record<string, any>[];
    let logging: TestServer;

    beforeAll(async () => {
      logged = [];
      logging = await startTestServer({
        env: { LOG_LEVEL: 'info' },
        logStream: { write: (line: string) => void logged.push(JSON.parse(line)) },
      });
    });
    afterAll(async () => {
      await logging?.close();
    });

    /** Signs a Management API token with the service's own current key, with claims of our choosing. */
    async function signManagementToken(change: (claims: Record<string, unknown>) => Record<string, unknown>): Promise<string> {
      const real = await logging.managementToken();
      const header = decodeProtectedHeader(real) as { alg: AsymmetricAlgorithm; typ: string };
      const key = await logging.app.keyRing.signingKey(header.alg);
      return new SignJWT(change({ ...decodeJwt(real), jti: randomUUID() }))
        .setProtectedHeader({ alg: header.alg, typ: header.typ, kid: key.kid })
        .sign(key.privateKey);
    }

    async function refusalReason(res: { status: number; headers: Headers; body: any }): Promise<{ logged: unknown; audited: unknown }> {
      expectUnauthenticated(res);
      const requestId = res.headers.get('x-request-id')!;
      let audited: { summary: Record<string, unknown> }[] = [];
      for (let i = 0; i < 60 && audited.length === 0; i++) {
        audited = await logging.db.query(`SELECT summary FROM audit_events WHERE operation = 'authenticate' AND request_id = $1`, [
          requestId,
        ]);
        if (audited.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const line = logged.find((l) => l.reqId === requestId && l.msg === 'management API token refused');
      expect(audited).toHaveLength(1);
      expect(audited[0].summary.reason).toBe('invalid_token');
      return { logged: line?.reason, audited: audited[0].summary.description };
    }

    it.each<[string, () => Promise<string | null | Record<string, string>>, string]>([
      ['no token', async () => null, 'An access token for the Management API is required'],
      [
        'another scheme',
        async () => ({ authorization: basicAuth(BOOTSTRAP.clientId, BOOTSTRAP.clientSecret) }),
        'The Authorization header must be: Bearer <access token> (or DPoP <access token>)',
      ],
      ['garbage', async () => 'a.b.c', 'The access token is invalid'],
      [
        'an expired token',
        () => signManagementToken((c) => ({ ...c, iat: Math.floor(Date.now() / 1000) - 1200, exp: Math.floor(Date.now() / 1000) - 600 })),
        'The access token expired',
      ],
      [
        'a token dated 60 s in the future',
        () => signManagementToken((c) => ({ ...c, iat: Math.floor(Date.now() / 1000) + 60, exp: Math.floor(Date.now() / 1000) + 660 })),
        'The access token is dated in the future',
      ],
      [
        'a token of a client that does not exist',
        () => signManagementToken((c) => ({ ...c, client_id: 'no-such-client' })),
        'The client of this token no longer exists',
      ],
    ])('%s', async (_name, credentials, reason) => {
      const given = await credentials();
      let res;
      if (given !== null && typeof given === 'object') {
        const response = await fetch(`${logging.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...given },
          body: JSON.stringify({ query: QUERY }),
        });
        res = { status: response.status, headers: response.headers, body: await response.json() };
      } else {
        res = await logging.gql(QUERY, undefined, given);
      }
      expect(await refusalReason(res)).toEqual({ logged: reason, audited: reason });
    });

    it('a token signed the same way but dated now is accepted (the control)', async () => {
      const token = await signManagementToken((c) => c);
      const res = await logging.gql(QUERY, undefined, token);
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      // Within the 5 s tolerance (instances' clocks differ a little): accepted too.
      const skewed = await signManagementToken((c) => ({ ...c, iat: Math.floor(Date.now() / 1000) + 2 }));
      expect((await logging.gql(QUERY, undefined, skewed)).status).toBe(200);
    });
  });

  describe('scopes (FORBIDDEN per operation)', () => {
    interface Fixtures {
      api: Api;
      client: Client;
      grantId: string;
    }

    /** A fresh API, client and grant, so destructive operations have their own objects. */
    async function fixtures(): Promise<Fixtures> {
      const api = await createApi();
      const client = await createClient();
      const grantId = await createGrant(client, api, ['read:x']);
      return { api, client, grantId };
    }

    const operations: Record<string, { field: string; query: string; variables: (f: Fixtures) => Record<string, unknown> }> = {
      'read:resource_servers': {
        field: 'resourceServer',
        query: `query($id: ID!) { resourceServer(id: $id) { id } }`,
        variables: (f) => ({ id: f.api.id }),
      },
      'create:resource_servers': {
        field: 'resourceServerCreate',
        query: `mutation($input: ResourceServerCreateInput!) { resourceServerCreate(input: $input) { resourceServer { id } userErrors { code } } }`,
        variables: () => ({ input: { name: 'created', identifier: `https://created-${randomUUID()}.example/` } }),
      },
      'update:resource_servers': {
        field: 'resourceServerUpdate',
        query: `mutation($id: ID!) { resourceServerUpdate(id: $id, input: { name: "renamed" }) { resourceServer { id } userErrors { code } } }`,
        variables: (f) => ({ id: f.api.id }),
      },
      'delete:resource_servers': {
        field: 'resourceServerDelete',
        query: `mutation($id: ID!) { resourceServerDelete(id: $id) { deletedId userErrors { code } } }`,
        variables: (f) => ({ id: f.api.id }),
      },
      'read:clients': {
        field: 'client',
        query: `query($id: ID!) { client(id: $id) { id } }`,
        variables: (f) => ({ id: f.client.id }),
      },
      'create:clients': {
        field: 'clientCreate',
        query: `mutation { clientCreate(input: { name: "created", appType: MACHINE_TO_MACHINE }) { client { id } userErrors { code } } }`,
        variables: () => ({}),
      },
      'update:clients': {
        field: 'clientUpdate',
        query: `mutation($id: ID!) { clientUpdate(id: $id, input: { name: "renamed" }) { client { id } userErrors { code } } }`,
        variables: (f) => ({ id: f.client.id }),
      },
      'delete:clients': {
        field: 'clientDelete',
        query: `mutation($id: ID!) { clientDelete(id: $id) { deletedId userErrors { code } } }`,
        variables: (f) => ({ id: f.client.id }),
      },
      'read:client_grants': {
        field: 'clientGrant',
        query: `query($id: ID!) { clientGrant(id: $id) { id } }`,
        variables: (f) => ({ id: f.grantId }),
      },
      'create:client_grants': {
        field: 'clientGrantCreate',
        query: `mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { clientGrant { id } userErrors { code } } }`,
        // The fixture grant is deleted first in `prepare` below, so a new one can be created.
        variables: (f) => ({ input: { clientId: f.client.id, resourceServerId: f.api.id, scopes: ['write:x'] } }),
      },
      'update:client_grants': {
        field: 'clientGrantUpdate',
        query: `mutation($id: ID!) { clientGrantUpdate(id: $id, input: { scopes: ["read:x", "write:x"] }) { clientGrant { id } userErrors { code } } }`,
        variables: (f) => ({ id: f.grantId }),
      },
      'delete:client_grants': {
        field: 'clientGrantDelete',
        query: `mutation($id: ID!) { clientGrantDelete(id: $id) { deletedId userErrors { code } } }`,
        variables: (f) => ({ id: f.grantId }),
      },
      'update:client_keys': {
        field: 'clientSecretRotate',
        query: `mutation($id: ID!) { clientSecretRotate(id: $id) { clientSecret userErrors { code } } }`,
        variables: (f) => ({ id: f.client.id }),
      },
      'create:tokens': {
        field: 'accessTokenIssue',
        query: `mutation($input: AccessTokenIssueInput!) { accessTokenIssue(input: $input) { accessToken userErrors { code } } }`,
        variables: (f) => ({ input: { clientId: f.client.id, resourceServerId: f.api.id } }),
      },
    };

    it('covers every management scope but read:signing_keys', () => {
      expect(Object.keys(operations).sort()).toEqual(ALL_SCOPES.filter((s) => s !== 'read:signing_keys').sort());
    });

    it.each(Object.keys(operations))('%s', async (scope) => {
      const operation = operations[scope];
      const f = await fixtures();
      if (scope === 'create:client_grants') {
        await gqlData(`mutation($id: ID!) { clientGrantDelete(id: $id) { deletedId } }`, { id: f.grantId });
      }
      const variables = operation.variables(f);
      const limited = await server.managementToken(ALL_SCOPES.filter((s) => s !== scope));

      const refused = await server.gql(operation.query, variables, limited);
      expect(refused.status).toBe(200);
      expect(refused.body.data?.[operation.field] ?? null).toBeNull();
      const errors = refused.body.errors ?? [];
      expect(errors.length).toBeGreaterThan(0);
      const forbidden = errors.find((e) => e.extensions?.code === 'FORBIDDEN');
      expect(forbidden).toBeDefined();
      expect(forbidden!.message).toContain(scope);
      expect(forbidden!.path).toEqual([operation.field]);

      // The refusal had no effect: the same operation with the full token succeeds.
      const allowed = await server.gql(operation.query, variables);
      expect(allowed.status).toBe(200);
      expect(allowed.body.errors).toBeUndefined();
      const result = allowed.body.data[operation.field];
      expect(result).not.toBeNull();
      if (result.userErrors) expect(result.userErrors).toEqual([]);
    });

    it('answers the other fields of a query when one is forbidden', async () => {
      const f = await fixtures();
      const token = await server.managementToken(['read:clients']);
      const res = await server.gql(
        `query($c: ID!, $a: ID!) { client(id: $c) { id } resourceServer(id: $a) { id } }`,
        { c: f.client.id, a: f.api.id },
        token,
      );
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ client: { id: f.client.id }, resourceServer: null });
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors![0].extensions?.code).toBe('FORBIDDEN');
      expect(res.body.errors![0].message).toContain('read:resource_servers');
    });
  });

  describe('accessTokenIssue', () => {
    const ISSUE = `mutation($input: AccessTokenIssueInput!) {
      accessTokenIssue(input: $input) { accessToken tokenType expiresIn scope userErrors { field code message } }
    }`;

    let api: Api;
    let client: Client;

    beforeAll(async () => {
      api = await createApi({ identifier: `https://issue-${++seq}.example/`, tokenLifetime: 900 });
      client = await createClient();
      await createGrant(client, api, ['read:x']);
    });

    it("issues a token that verifies like the token endpoint's", async () => {
      const res = await server.gql(ISSUE, { input: { clientId: client.id, resourceServerId: api.id } });
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      const payload = res.body.data.accessTokenIssue;
      expect(payload).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900, scope: 'read:x', userErrors: [] });

      const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
      const issued = await jwtVerify(payload.accessToken, jwks, { issuer: server.url, audience: api.identifier });
      const endpoint = await server.token(
        { grant_type: 'client_credentials', audience: api.identifier },
        { authorization: basicAuth(client.clientId, client.clientSecret) },
      );
      expect(endpoint.status).toBe(200);
      const fromEndpoint = await jwtVerify(endpoint.body.access_token, jwks, { issuer: server.url, audience: api.identifier });

      expect(issued.protectedHeader).toEqual({ ...fromEndpoint.protectedHeader });
      expect(Object.keys(issued.payload).sort()).toEqual(Object.keys(fromEndpoint.payload).sort());
      for (const claim of ['iss', 'sub', 'aud', 'azp', 'scope', 'gty', 'permissions']) {
        expect(issued.payload[claim]).toEqual(fromEndpoint.payload[claim]);
      }
      expect(issued.payload.sub).toBe(`${client.clientId}@clients`);
      expect(issued.payload.exp! - issued.payload.iat!).toBe(900);
      expect(issued.payload.jti).not.toBe(fromEndpoint.payload.jti);
    });

    it('issues exactly the requested scopes', async () => {
      const res = await server.gql(ISSUE, { input: { clientId: client.id, resourceServerId: api.id, scopes: ['read:x'] } });
      expect(res.body.data.accessTokenIssue.scope).toBe('read:x');
      expect(res.body.data.accessTokenIssue.userErrors).toEqual([]);
    });

    it('refuses an API the client has no grant for', async () => {
      const other = await createApi();
      const res = await server.gql(ISSUE, { input: { clientId: client.id, resourceServerId: other.id } });
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      const payload = res.body.data.accessTokenIssue;
      expect(payload.accessToken).toBeNull();
      expect(payload.userErrors).toEqual([{ field: ['input', 'resourceServerId'], code: 'INVALID', message: expect.any(String) }]);
    });

    it('refuses a scope that is not granted', async () => {
      const res = await server.gql(ISSUE, { input: { clientId: client.id, resourceServerId: api.id, scopes: ['write:x'] } });
      const payload = res.body.data.accessTokenIssue;
      expect(payload.accessToken).toBeNull();
      expect(payload.userErrors).toEqual([{ field: ['input', 'scopes'], code: 'INVALID', message: expect.any(String) }]);
    });

    it('answers NOT_FOUND for unknown ids', async () => {
      const unknownClient = Buffer.from(`Client:${randomUUID()}`).toString('base64url');
      const unknownApi = Buffer.from(`ResourceServer:${randomUUID()}`).toString('base64url');
      const byClient = await server.gql(ISSUE, { input: { clientId: unknownClient, resourceServerId: api.id } });
      expect(byClient.body.data.accessTokenIssue.accessToken).toBeNull();
      expect(byClient.body.data.accessTokenIssue.userErrors).toEqual([
        { field: ['input', 'clientId'], code: 'NOT_FOUND', message: expect.any(String) },
      ]);
      const byApi = await server.gql(ISSUE, { input: { clientId: client.id, resourceServerId: unknownApi } });
      expect(byApi.body.data.accessTokenIssue.userErrors).toEqual([
        { field: ['input', 'resourceServerId'], code: 'NOT_FOUND', message: expect.any(String) },
      ]);
      const garbage = await server.gql(ISSUE, { input: { clientId: 'nope', resourceServerId: api.id } });
      expect(garbage.body.data.accessTokenIssue.userErrors).toEqual([
        { field: ['input', 'clientId'], code: 'NOT_FOUND', message: expect.any(String) },
      ]);
    });
  });
});
