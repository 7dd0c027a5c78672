import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, exportSPKI, generateKeyPair, JWK, jwtVerify, SignJWT } from 'jose';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, fixtures, userErrors, uuidOf } from '../helpers/fixtures';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const INVALID_CLIENT = { error: 'invalid_client', error_description: 'Client authentication failed' };
const INSECURE = { [oauth.allowInsecureRequests]: true } as const;
const CLIENT_FIELDS = 'client { id clientId tokenEndpointAuthMethod jwks secrets { lastFour } }';

type KeyPair = { publicKey: CryptoKey; privateKey: CryptoKey };
type Alg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

/** A key pair of `alg` and its public JWK as registered (with `kid`, `alg` and `use`). */
async function keyPair(alg: Alg, kid: string): Promise<{ pair: KeyPair; jwk: JWK; kid: string; alg: Alg }> {
  const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  return { pair, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' }, kid, alg };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** The claims of a JWT, read without verification. */
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

/**
 * private_key_jwt client authentication (RFC 7523 §2.2) against the running server: clients
 * registered with public keys through GraphQL, assertions made by openid-client, oauth4webapi and
 * jose, at the token, introspection and revocation endpoints; every refusal the same invalid_client.
 */
describe('private_key_jwt client authentication', () => {
  let server: TestServer;
  const f = fixtures(() => server, 'pkjwt');
  const logLines: string[] = [];
  let api: ApiFixture;
  let keys: Record<Alg, Awaited<ReturnType<typeof keyPair>>>;
  /** A machine client with one key of each algorithm, granted read:x and introspect on `api`. */
  let client: { id: string; clientId: string };

  beforeAll(async () => {
    server = await startTestServer({ env: { LOG_LEVEL: 'debug' }, logStream: { write: (line) => void logLines.push(line) } });
    keys = {
      RS256: await keyPair('RS256', 'rsa-1'),
      PS256: await keyPair('PS256', 'ps-1'),
      ES256: await keyPair('ES256', 'ec-1'),
      EdDSA: await keyPair('EdDSA', 'ed-1'),
    };
    api = await f.createApi({ scopes: [{ value: 'read:x' }, { value: 'introspect' }] });
    client = await createKeyClient(Object.values(keys).map((k) => k.jwk));
    await f.createGrant(client, api, ['read:x', 'introspect']);
  });
  afterAll(async () => {
    await server?.close();
  });

  async function createKeyClient(jwks: JWK[], input: Record<string, unknown> = {}): Promise<{ id: string; clientId: string }> {
    const res = await server.gql(
      `mutation($input: ClientCreateInput!) { clientCreate(input: $input) { ${CLIENT_FIELDS} clientSecret userErrors { field code message } } }`,
      {
        input: {
          name: 'key client',
          appType: 'MACHINE_TO_MACHINE',
          tokenEndpointAuthMethod: 'PRIVATE_KEY_JWT',
          jwks: { keys: jwks },
          ...input,
        },
      },
    );
    const payload = res.body.data.clientCreate;
    expect(payload.userErrors).toEqual([]);
    return payload.client;
  }

  /** A client assertion signed with `key` (default: the RS256 key); `claims` override (undefined drops one). */
  async function assertion(
    claims: Record<string, unknown> = {},
    { key = keys.RS256, clientId = client.clientId }: { key?: (typeof keys)[Alg]; clientId?: string } = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: clientId, sub: clientId, aud: server.url, iat: now, exp: now + 60, jti: randomUUID(), ...claims };
    for (const name of Object.keys(payload)) if ((payload as any)[name] === undefined) delete (payload as any)[name];
    return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.pair.privateKey);
  }

  const tokenWith = (clientAssertion: string, extra: Record<string, string> = {}) =>
    server.token({
      grant_type: 'client_credentials',
      audience: api.identifier,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: clientAssertion,
      ...extra,
    });

  const post = async (path: string, params: Record<string, string>) => {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };

  /** The exact refusal of every failed client authentication: 401 invalid_client, no Basic challenge, no-store. */
  function expectInvalidClient(res: { status: number; headers: Headers; body: unknown }) {
    expect(res.status).toBe(401);
    expect(res.body).toEqual(INVALID_CLIENT);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(res.headers.get('cache-control')).toBe('no-store');
  }

  describe('discovery', () => {
    it('lists private_key_jwt and its algorithms for the token, introspection and revocation endpoints', async () => {
      for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
        const metadata = await (await fetch(`${server.url}${path}`)).json();
        expect(metadata).toMatchObject({
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
          token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'],
          introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
          introspection_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'],
          revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
          revocation_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'],
        });
      }
    });
  });

  describe('with client libraries', () => {
    it.each(['RS256', 'PS256', 'EdDSA'] as const)(
      'openid-client (%s key): client_credentials, introspection and revocation with PrivateKeyJwt',
      async (alg) => {
        const key = keys[alg];
        const config = await oidc.discovery(
          new URL(server.url),
          client.clientId,
          {},
          oidc.PrivateKeyJwt({ key: key.pair.privateKey, kid: key.kid }),
          { execute: [oidc.allowInsecureRequests] },
        );
        const tokens = await oidc.clientCredentialsGrant(config, { audience: api.identifier });
        const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
        const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: server.url, audience: api.identifier });
        expect(payload).toMatchObject({ client_id: client.clientId, sub: client.clientId, scope: 'read:x introspect' });

        const introspection = await oidc.tokenIntrospection(config, tokens.access_token);
        expect(introspection).toMatchObject({ active: true, client_id: client.clientId, aud: api.identifier });

        await oidc.tokenRevocation(config, tokens.access_token);
        expect(await oidc.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
      },
    );

    it('oauth4webapi (ES256): client_credentials, introspection and revocation with PrivateKeyJwt', async () => {
      const issuer = new URL(server.url);
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...INSECURE }));
      const oauthClient: oauth.Client = { client_id: client.clientId };
      const auth = oauth.PrivateKeyJwt({ key: keys.ES256.pair.privateKey, kid: keys.ES256.kid });

      const response = await oauth.clientCredentialsGrantRequest(as, oauthClient, auth, { audience: api.identifier }, INSECURE);
      const token = await oauth.processClientCredentialsResponse(as, oauthClient, response);
      expect(token).toMatchObject({ token_type: 'bearer', scope: 'read:x introspect', expires_in: 600 });

      const active = await oauth.processIntrospectionResponse(
        as,
        oauthClient,
        await oauth.introspectionRequest(as, oauthClient, auth, token.access_token, INSECURE),
      );
      expect(active).toMatchObject({ active: true, client_id: client.clientId });

      await oauth.processRevocationResponse(await oauth.revocationRequest(as, oauthClient, auth, token.access_token, INSECURE));
      const inactive = await oauth.processIntrospectionResponse(
        as,
        oauthClient,
        await oauth.introspectionRequest(as, oauthClient, auth, token.access_token, INSECURE),
      );
      expect(inactive).toEqual({ active: false });
    });

    it("oauth4webapi: an assertion addressed to the token endpoint's URL is accepted there", async () => {
      const issuer = new URL(server.url);
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...INSECURE }));
      const oauthClient: oauth.Client = { client_id: client.clientId };
      const auth = oauth.PrivateKeyJwt(
        { key: keys.ES256.pair.privateKey, kid: keys.ES256.kid },
        {
          [oauth.modifyAssertion]: (_header, payload) => {
            payload.aud = as.token_endpoint;
          },
        },
      );
      const response = await oauth.clientCredentialsGrantRequest(as, oauthClient, auth, { audience: api.identifier }, INSECURE);
      expect((await oauth.processClientCredentialsResponse(as, oauthClient, response)).access_token).toEqual(expect.any(String));
    });
  });

  describe('every access-token dialect', () => {
    const DIALECTS = ['RFC9068_PROFILE', 'RFC9068_PROFILE_AUTHZ', 'ACCESS_TOKEN', 'ACCESS_TOKEN_AUTHZ'] as const;
    const ALGS: Alg[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];

    it.each(DIALECTS.map((dialect, i) => [dialect, ALGS[i]] as const))('%s, with an assertion signed %s', async (dialect, alg) => {
      const dialectApi = await f.createApi({ tokenDialect: dialect });
      await f.createGrant(client, dialectApi, ['read:x']);
      const res = await server.token({
        grant_type: 'client_credentials',
        audience: dialectApi.identifier,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await assertion({}, { key: keys[alg] }),
      });
      expect(res.status).toBe(200);
      const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(res.body.access_token, jwks, { issuer: server.url, audience: dialectApi.identifier });
      expect(payload.scope).toBe('read:x');
      if (dialect.startsWith('RFC9068')) {
        expect(decodeProtectedHeader(res.body.access_token).typ).toBe('at+jwt');
        expect(payload).toMatchObject({ sub: client.clientId, client_id: client.clientId });
      } else {
        expect(decodeProtectedHeader(res.body.access_token).typ).toBe('JWT');
        expect(payload).toMatchObject({ sub: `${client.clientId}@clients`, azp: client.clientId, gty: 'client-credentials' });
      }
    });
  });

  describe('assertions', () => {
    it('a client_id in the body equal to sub is accepted; the client is named by sub without one', async () => {
      expect((await tokenWith(await assertion(), { client_id: client.clientId })).status).toBe(200);
      expect((await tokenWith(await assertion())).status).toBe(200);
    });

    it('the revocation and introspection endpoints accept their own URL as aud; the token endpoint does not', async () => {
      const token = (await tokenWith(await assertion())).body.access_token;
      const introspect = async (aud: string) =>
        post('/oauth/introspect', { token, client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion({ aud }) });
      expect((await introspect(`${server.url}/oauth/introspect`)).body).toMatchObject({ active: true });
      expect((await introspect(`${server.url}/oauth/token`)).body).toMatchObject({ active: true });
      expectInvalidClient(await introspect(`${server.url}/oauth/revoke`));

      expectInvalidClient(await tokenWith(await assertion({ aud: `${server.url}/oauth/introspect` })));
      expectInvalidClient(await tokenWith(await assertion({ aud: `${server.url}/oauth/revoke` })));

      const revoked = await post('/oauth/revoke', {
        token,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await assertion({ aud: `${server.url}/oauth/revoke` }),
      });
      expect(revoked.status).toBe(200);
      expect((await introspect(server.url)).body).toEqual({ active: false });
    });

    it('a replayed jti is refused, on every endpoint, and concurrent uses of one assertion let exactly one through', async () => {
      const once = await assertion();
      expect((await tokenWith(once)).status).toBe(200);
      expectInvalidClient(await tokenWith(once));
      expectInvalidClient(await post('/oauth/introspect', { token: 'x', client_assertion_type: ASSERTION_TYPE, client_assertion: once }));
      // The same jti in a new assertion is a replay too.
      const jti = randomUUID();
      expect((await tokenWith(await assertion({ jti }))).status).toBe(200);
      expectInvalidClient(await tokenWith(await assertion({ jti })));

      const racing = await assertion();
      const statuses = (await Promise.all([tokenWith(racing), tokenWith(racing), tokenWith(racing)])).map((r) => r.status).sort();
      expect(statuses).toEqual([200, 401, 401]);
    });

    /** The reasons of the failed client authentications logged since `logLines` was emptied. */
    const loggedReasons = () =>
      logLines
        .map((line) => JSON.parse(line))
        .filter((line) => line.msg === 'client authentication failed')
        .map((line) => line.reason);

    it('the reason of a refusal goes to the debug log only, without the assertion', async () => {
      const replayed = await assertion();
      await tokenWith(replayed);
      logLines.length = 0;
      expectInvalidClient(await tokenWith(replayed));
      const failures = logLines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'client authentication failed');
      expect(failures).toEqual([
        expect.objectContaining({ level: 20, clientId: client.clientId, method: 'private_key_jwt', reason: 'jti already used (replay)' }),
      ]);
      expect(logLines.join('\n')).not.toContain(replayed.split('.')[2]);
    });

    const now = () => Math.floor(Date.now() / 1000);
    const claimFailed = (claim: string) => `ERR_JWT_CLAIM_VALIDATION_FAILED: unexpected "${claim}" claim value`;
    const claimMissing = (claim: string) => `ERR_JWT_CLAIM_VALIDATION_FAILED: missing required "${claim}" claim`;
    const BAD_SIGNATURE = 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED: signature verification failed';
    /** Each attack, and the reason it is refused for (in the debug log; the answer is always the same invalid_client). */
    const ATTACKS: [string, () => Promise<string>, string][] = [
      ['aud of another server', () => assertion({ aud: 'https://other-server.example/' }), claimFailed('aud')],
      ['aud missing', () => assertion({ aud: undefined }), claimMissing('aud')],
      ['iss not the client (iss ≠ sub)', () => assertion({ iss: 'someone-else' }), claimFailed('iss')],
      ['sub not the client (iss = client_id)', () => assertion({ sub: 'someone-else' }), claimFailed('sub')],
      ['expired', () => assertion({ iat: now() - 300, exp: now() - 60 }), 'ERR_JWT_EXPIRED: "exp" claim timestamp check failed'],
      ['exp more than 5 minutes ahead', () => assertion({ exp: now() + 600 }), 'exp more than five minutes ahead'],
      ['exp missing', () => assertion({ exp: undefined }), claimMissing('exp')],
      ['jti missing', () => assertion({ jti: undefined }), claimMissing('jti')],
      ['jti longer than 255 characters', () => assertion({ jti: 'j'.repeat(256) }), 'jti missing or too long'],
      ['iat in the future', () => assertion({ iat: now() + 120, exp: now() + 180 }), 'iat in the future'],
      ['nbf in the future', () => assertion({ nbf: now() + 120 }), 'ERR_JWT_CLAIM_VALIDATION_FAILED: "nbf" claim timestamp check failed'],
      ['alg none', async () => `${b64({ alg: 'none', kid: 'rsa-1' })}.${b64(claimsOf(await assertion()))}.`, 'algorithm not allowed'],
      [
        "HS256 keyed with the RSA public key's PEM",
        async () =>
          new SignJWT(claimsOf(await assertion()))
            .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
            .sign(new TextEncoder().encode(await exportSPKI(keys.RS256.pair.publicKey))),
        'algorithm not allowed',
      ],
      [
        "HS256 keyed with the RSA public key's JWK",
        async () =>
          new SignJWT(claimsOf(await assertion()))
            .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
            .sign(new TextEncoder().encode(JSON.stringify(keys.RS256.jwk))),
        'algorithm not allowed',
      ],
      [
        'signed by a key the client did not register (same kid)',
        async () => assertion({}, { key: await keyPair('RS256', 'rsa-1') }),
        BAD_SIGNATURE,
      ],
      ['a signature altered', async () => (await assertion()).slice(0, -4) + 'AAAA', BAD_SIGNATURE],
      [
        'the kid of an RS256 key with PS256',
        () => assertion({}, { key: { ...keys.PS256, kid: 'rsa-1' } }),
        'no key of the client has this kid and algorithm',
      ],
      ['an unknown kid', () => assertion({}, { key: { ...keys.RS256, kid: 'nope' } }), 'no key of the client has this kid and algorithm'],
      [
        'no kid while the client has several keys',
        async () => new SignJWT(claimsOf(await assertion())).setProtectedHeader({ alg: 'RS256' }).sign(keys.RS256.pair.privateKey),
        'no kid, and the client has several keys',
      ],
      ['not a JWT', async () => 'not.a.jwt', 'malformed assertion'],
    ];

    it.each(ATTACKS)('refuses %s with invalid_client', async (_name, make, reason) => {
      const attack = await make();
      logLines.length = 0;
      // client_id in the body, as the libraries send it: the client is named even when sub is wrong.
      expectInvalidClient(await tokenWith(attack, { client_id: client.clientId }));
      expect(loggedReasons()).toEqual([reason]);
    });

    it('refuses a client_id in the body other than sub (even for a client with the same key), and an unknown client', async () => {
      const other = await createKeyClient([keys.RS256.jwk]);
      logLines.length = 0;
      expectInvalidClient(await tokenWith(await assertion(), { client_id: other.clientId }));
      expectInvalidClient(await tokenWith(await assertion({}, { clientId: 'no-such-client' })));
      expect(loggedReasons()).toEqual([claimFailed('iss'), 'unknown client']);
    });

    it("refuses an assertion from a client registered for a secret, even one holding keys, and a key client's old secret", async () => {
      const basic = await f.createClient({ jwks: { keys: [keys.ES256.jwk] } });
      expect(basic.clientSecret).toEqual(expect.any(String));
      await f.createGrant(basic, api, ['read:x']);
      logLines.length = 0;
      const refused = await tokenWith(await assertion({}, { key: keys.ES256, clientId: basic.clientId }));
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual({ error: 'invalid_client', error_description: 'This client is registered for client_secret_basic' });
      expect(loggedReasons()).toEqual(['client registered for CLIENT_SECRET_BASIC']);
      expect((await f.issueToken(basic, api)).length).toBeGreaterThan(0);

      // Switched to PRIVATE_KEY_JWT: its secret is gone, its keys work.
      const updated = await server.gql(
        `mutation($id: ID!) { clientUpdate(id: $id, input: { tokenEndpointAuthMethod: PRIVATE_KEY_JWT }) { ${CLIENT_FIELDS} userErrors { field code } } }`,
        { id: basic.id },
      );
      expect(updated.body.data.clientUpdate).toMatchObject({
        client: { tokenEndpointAuthMethod: 'PRIVATE_KEY_JWT', secrets: [] },
        userErrors: [],
      });
      expect((await tokenWith(await assertion({}, { key: keys.ES256, clientId: basic.clientId }))).status).toBe(200);
      const withSecret = await server.token(
        { grant_type: 'client_credentials', audience: api.identifier },
        { authorization: basicAuth(basic.clientId, basic.clientSecret!) },
      );
      expect(withSecret.status).toBe(401);
      expect(withSecret.body).toEqual({ error: 'invalid_client', error_description: 'This client is registered for private_key_jwt' });
    });

    it('refuses a request that mixes methods or names another assertion type (invalid_request)', async () => {
      const refusal = (description: string) => ({ error: 'invalid_request', error_description: description });
      const twoMethods = refusal('Use one client authentication method, not two');
      expect((await tokenWith(await assertion(), { client_secret: 'x' })).body).toEqual(twoMethods);
      const basic = await server.token(
        {
          grant_type: 'client_credentials',
          audience: api.identifier,
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: await assertion(),
        },
        { authorization: basicAuth(client.clientId, 'x') },
      );
      expect(basic.status).toBe(400);
      expect(basic.body).toEqual(twoMethods);
      const saml = await tokenWith(await assertion(), {
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
      });
      expect(saml.status).toBe(400);
      expect(saml.body).toEqual(refusal(`client_assertion_type must be ${ASSERTION_TYPE}`));
      const missing = await server.token({
        grant_type: 'client_credentials',
        audience: api.identifier,
        client_assertion_type: ASSERTION_TYPE,
      });
      expect(missing.body).toEqual(refusal('client_assertion is required with client_assertion_type'));
    });

    it('keys replaced through GraphQL apply at once: the old key is refused, the new one accepted', async () => {
      const first = await keyPair('ES256', 'first');
      const second = await keyPair('ES256', 'second');
      const rotating = await createKeyClient([first.jwk]);
      await f.createGrant(rotating, api, ['read:x']);
      expect((await tokenWith(await assertion({}, { key: first, clientId: rotating.clientId }))).status).toBe(200);
      const res = await server.gql(
        `mutation($id: ID!, $jwks: JSONObject!) { clientUpdate(id: $id, input: { jwks: $jwks }) { userErrors { field } } }`,
        {
          id: rotating.id,
          jwks: { keys: [second.jwk] },
        },
      );
      expect(res.body.data.clientUpdate.userErrors).toEqual([]);
      expectInvalidClient(await tokenWith(await assertion({}, { key: first, clientId: rotating.clientId })));
      expect((await tokenWith(await assertion({}, { key: second, clientId: rotating.clientId }))).status).toBe(200);
    });

    it("a client's only key, registered without kid, verifies assertions with or without one", async () => {
      const only = await keyPair('ES256', 'any');
      const { kid: _kid, ...withoutKid } = only.jwk;
      const single = await createKeyClient([withoutKid]);
      await f.createGrant(single, api, ['read:x']);
      expect((await tokenWith(await assertion({}, { key: only, clientId: single.clientId }))).status).toBe(200);
      const noKid = await new SignJWT(claimsOf(await assertion({}, { key: only, clientId: single.clientId })))
        .setProtectedHeader({ alg: 'ES256' })
        .sign(only.pair.privateKey);
      expect((await tokenWith(noKid)).status).toBe(200);
    });

    it('housekeeping purges the jtis of expired assertions and keeps the others', async () => {
      const jti = randomUUID();
      expect((await tokenWith(await assertion({ jti }))).status).toBe(200);
      await server.db.query(`INSERT INTO used_jtis (issuer, jti, expires_at) VALUES ($1, 'old', now() - interval '1 minute')`, [
        `client:${uuidOf(client.id)}`,
      ]);
      expect((await server.app.housekeeping.runOnce()).usedJtis).toBeGreaterThanOrEqual(1);
      const left = (await server.db.query<{ jti: string }>(`SELECT jti FROM used_jtis`)).map((r) => r.jti);
      expect(left).toContain(jti);
      expect(left).not.toContain('old');
    });
  });

  describe('client keys through GraphQL', () => {
    it('create and update round-trip the public keys; no secret is issued or rotated', async () => {
      const rsa = await keyPair('RS256', 'k1');
      // Members beyond the public key (key_ops, ext, x5t) are not kept.
      const given = { ...rsa.jwk, key_ops: ['verify'], ext: true, x5t: 'abc' };
      const created = await server.gql(
        `mutation($input: ClientCreateInput!) { clientCreate(input: $input) { ${CLIENT_FIELDS} clientSecret userErrors { field code } } }`,
        { input: { name: 'keys', appType: 'REGULAR_WEB', tokenEndpointAuthMethod: 'PRIVATE_KEY_JWT', jwks: { keys: [given] } } },
      );
      const payload = created.body.data.clientCreate;
      expect(payload).toMatchObject({
        clientSecret: null,
        userErrors: [],
        client: { tokenEndpointAuthMethod: 'PRIVATE_KEY_JWT', secrets: [] },
      });
      expect(payload.client.jwks).toEqual({ keys: [rsa.jwk] });

      const read = await server.gql(`query($id: ID!) { node(id: $id) { ... on Client { jwks } } }`, { id: payload.client.id });
      expect(read.body.data.node.jwks).toEqual({ keys: [rsa.jwk] });

      const ec = await keyPair('ES256', 'k2');
      const { kid: _kid, alg: _alg, use: _use, ...bareEc } = ec.jwk;
      const updated = await server.gql(
        `mutation($id: ID!, $jwks: JSONObject!) { clientUpdate(id: $id, input: { jwks: $jwks }) { ${CLIENT_FIELDS} userErrors { field code } } }`,
        { id: payload.client.id, jwks: { keys: [rsa.jwk, { ...bareEc, kid: 'k2' }] } },
      );
      expect(updated.body.data.clientUpdate.userErrors).toEqual([]);
      expect(updated.body.data.clientUpdate.client.jwks).toEqual({ keys: [rsa.jwk, { ...bareEc, kid: 'k2' }] });

      const rotate = await server.gql(
        `mutation($id: ID!) { clientSecretRotate(id: $id) { clientSecret userErrors { field code message } } }`,
        { id: payload.client.id },
      );
      expect(rotate.body.data.clientSecretRotate).toEqual({ clientSecret: null, userErrors: userErrors([['id'], 'INVALID']) });
      expect(rotate.body.data.clientSecretRotate.userErrors[0].message).toMatch(/PRIVATE_KEY_JWT/);

      // Keys cannot be removed while the client authenticates with them; switching back leaves it without a secret until rotated.
      const emptied = await server.gql(
        `mutation($id: ID!) { clientUpdate(id: $id, input: { jwks: { keys: [] } }) { userErrors { field code message } } }`,
        { id: payload.client.id },
      );
      expect(emptied.body.data.clientUpdate.userErrors).toEqual(userErrors([['input', 'jwks'], 'INVALID']));
      const back = await server.gql(
        `mutation($id: ID!) { clientUpdate(id: $id, input: { tokenEndpointAuthMethod: CLIENT_SECRET_POST, jwks: { keys: [] } }) { ${CLIENT_FIELDS} userErrors { field code } } }`,
        { id: payload.client.id },
      );
      expect(back.body.data.clientUpdate).toMatchObject({
        client: { tokenEndpointAuthMethod: 'CLIENT_SECRET_POST', jwks: null, secrets: [] },
        userErrors: [],
      });
      const rotated = await server.gql(`mutation($id: ID!) { clientSecretRotate(id: $id) { clientSecret userErrors { field } } }`, {
        id: payload.client.id,
      });
      expect(rotated.body.data.clientSecretRotate).toEqual({ clientSecret: expect.any(String), userErrors: [] });
    });

    it('switching to PRIVATE_KEY_JWT needs valid keys', async () => {
      const plain = await f.createClient();
      await f.createGrant(plain, api, ['read:x']);
      const res = await server.gql(
        `mutation($id: ID!) { clientUpdate(id: $id, input: { tokenEndpointAuthMethod: PRIVATE_KEY_JWT }) { userErrors { field code message } } }`,
        { id: plain.id },
      );
      expect(res.body.data.clientUpdate.userErrors).toEqual(userErrors([['input', 'jwks'], 'INVALID']));
      // A refused key set is reported alone, at update as at create, and nothing changes.
      const privateKey = { ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)), kid: 'p' };
      const refused = await server.gql(
        `mutation($id: ID!, $jwks: JSONObject!) { clientUpdate(id: $id, input: { tokenEndpointAuthMethod: PRIVATE_KEY_JWT, jwks: $jwks }) { userErrors { field code message } } }`,
        { id: plain.id, jwks: { keys: [privateKey] } },
      );
      expect(refused.body.data.clientUpdate.userErrors).toEqual(userErrors([['input', 'jwks', 'keys', '0', 'd'], 'INVALID']));
      expect((await f.issueToken(plain, api)).length).toBeGreaterThan(0);
    });

    const rsaPrivate = async () => {
      const pair = await generateKeyPair('RS256', { extractable: true });
      return { ...(await exportJWK(pair.privateKey)), kid: 'private' };
    };
    const weakRsa = async () => {
      const { generateKeyPairSync } = await import('node:crypto');
      return { ...generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }), kid: 'weak' };
    };
    const p384 = async () => exportJWK((await generateKeyPair('ES384', { extractable: true })).publicKey);
    const REFUSALS: [string, () => Promise<Record<string, unknown>>, Record<string, unknown>, string[], string][] = [
      ['a private key (d)', async () => ({ keys: [await rsaPrivate()] }), {}, ['input', 'jwks', 'keys', '0', 'd'], 'INVALID'],
      [
        'an oct (symmetric) key',
        async () => ({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }),
        {},
        ['input', 'jwks', 'keys', '0', 'kty'],
        'INVALID',
      ],
      [
        'more than 5 keys',
        async () => ({ keys: await Promise.all([1, 2, 3, 4, 5, 6].map(async (i) => (await keyPair('ES256', `k${i}`)).jwk)) }),
        {},
        ['input', 'jwks', 'keys'],
        'LIMIT_EXCEEDED',
      ],
      ['an RSA key under 2048 bits', async () => ({ keys: [await weakRsa()] }), {}, ['input', 'jwks', 'keys', '0', 'n'], 'INVALID'],
      ['an EC key off P-256', async () => ({ keys: [await p384()] }), {}, ['input', 'jwks', 'keys', '0', 'crv'], 'INVALID'],
      [
        'an alg that does not fit the key',
        async () => ({ keys: [{ ...keys.RS256.jwk, alg: 'ES256' }] }),
        {},
        ['input', 'jwks', 'keys', '0', 'alg'],
        'INVALID',
      ],
      ['alg HS256', async () => ({ keys: [{ ...keys.RS256.jwk, alg: 'HS256' }] }), {}, ['input', 'jwks', 'keys', '0', 'alg'], 'INVALID'],
      ['use enc', async () => ({ keys: [{ ...keys.RS256.jwk, use: 'enc' }] }), {}, ['input', 'jwks', 'keys', '0', 'use'], 'INVALID'],
      [
        'two keys with one kid',
        async () => ({ keys: [keys.ES256.jwk, { ...keys.RS256.jwk, kid: keys.ES256.kid }] }),
        {},
        ['input', 'jwks', 'keys', '1', 'kid'],
        'INVALID',
      ],
      [
        'several keys without kid',
        async () => ({ keys: [keys.ES256.jwk, { ...keys.RS256.jwk, kid: undefined }] }),
        {},
        ['input', 'jwks', 'keys', '1', 'kid'],
        'INVALID',
      ],
      [
        'a broken key',
        async () => ({ keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' }] }),
        {},
        ['input', 'jwks', 'keys', '0'],
        'INVALID',
      ],
      ['no keys member', async () => ({ key: [] }), {}, ['input', 'jwks'], 'INVALID'],
      [
        'more than 16 KB',
        async () => ({ keys: [{ ...keys.RS256.jwk, x5c: ['A'.repeat(17_000)] }] }),
        {},
        ['input', 'jwks'],
        'LIMIT_EXCEEDED',
      ],
      ['no keys for PRIVATE_KEY_JWT', async () => ({ keys: [] }), {}, ['input', 'jwks'], 'INVALID'],
      [
        'keys on a public client',
        async () => ({ keys: [keys.ES256.jwk] }),
        { appType: 'SPA', tokenEndpointAuthMethod: 'NONE' },
        ['input', 'jwks'],
        'INVALID',
      ],
    ];

    it.each(REFUSALS)('refuses %s at create', async (_name, jwks, input, field, code) => {
      const res = await server.gql(
        `mutation($input: ClientCreateInput!) { clientCreate(input: $input) { client { id } clientSecret userErrors { field code message } } }`,
        {
          input: {
            name: 'refused',
            appType: 'MACHINE_TO_MACHINE',
            tokenEndpointAuthMethod: 'PRIVATE_KEY_JWT',
            jwks: await jwks(),
            ...input,
          },
        },
      );
      expect(res.body.data.clientCreate).toEqual({ client: null, clientSecret: null, userErrors: userErrors([field, code]) });
    });
  });
});
