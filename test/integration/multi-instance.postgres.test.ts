import { randomBytes, randomUUID } from 'node:crypto';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { within } from '../helpers/within';
import { startTestServer, TestServer } from '../helpers/test-app';

describe('two instances on one database', () => {
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  const masterKey = randomBytes(32).toString('base64');
  // Instances behind one load balancer share the issuer (and so the Management API audience).
  const issuer = 'https://auth.multi-instance.test';

  beforeAll(async () => {
    db = await createTestDatabase();
    // DPoP nonces required: only DPoP proofs see it (the DPoP test below).
    a = await startTestServer({ db, masterKey, env: { ISSUER: issuer, DPOP_NONCE_REQUIRED: 'true' } });
    b = await startTestServer({ db, masterKey, env: { ISSUER: issuer, DPOP_NONCE_REQUIRED: 'true' } });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await db.drop();
  });

  /** An API, a machine client and its grant; with `introspect`, the grant lets the client introspect. */
  async function setup(algorithm: string, name = algorithm, { introspect: canIntrospect = false } = {}) {
    const extra = canIntrospect ? ['introspect'] : [];
    const api = await b.gql(
      `mutation($input: ResourceServerCreateInput!) { resourceServerCreate(input: $input) { resourceServer { id identifier } } }`,
      {
        input: {
          name: 'Shared',
          identifier: `https://shared-${name}.example/`,
          signingAlgorithm: algorithm,
          scopes: ['read:x', 'write:x', ...extra].map((value) => ({ value })),
        },
      },
    );
    const server = api.body.data.resourceServerCreate.resourceServer;
    const client = await b.gql(
      `mutation { clientCreate(input: { name: "m2m", appType: MACHINE_TO_MACHINE, tokenEndpointAuthMethod: CLIENT_SECRET_POST }) { client { id clientId } clientSecret } }`,
    );
    const { client: c, clientSecret } = client.body.data.clientCreate;
    const grant = await b.gql(`mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { clientGrant { id } } }`, {
      input: { clientId: c.id, resourceServerId: server.id, scopes: ['read:x', 'write:x', ...extra] },
    });
    const params = { grant_type: 'client_credentials', client_id: c.clientId, client_secret: clientSecret, audience: server.identifier };
    /** Introspects on `instance` as this client (its grant holds `introspect`). */
    const introspect = async (instance: TestServer, token: string) => {
      const response = await fetch(`${instance.url}/oauth/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, client_id: c.clientId, client_secret: clientSecret }).toString(),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { active: boolean; kid?: string };
    };
    return { server, client: c, grantId: grant.body.data.clientGrantCreate.clientGrant.id, params, introspect };
  }

  const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid as string;

  it("a token issued by one instance verifies against the other instance's JWKS", async () => {
    const { server, params } = await setup('ES256');
    const issued = await a.token(params);
    expect(issued.status).toBe(200);
    // Verify A's token with B's key set: the instances share keys through the database.
    const jwks = createRemoteJWKSet(new URL(`${b.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(issued.body.access_token, jwks, { issuer, audience: server.identifier });
    expect(payload.scope).toBe('read:x write:x');
  });

  it('a grant deleted on one instance stops tokens on the other within 1 second', async () => {
    const { grantId, params } = await setup('EdDSA');
    expect((await a.token(params)).status).toBe(200); // A now caches the grant
    const deleted = await b.gql(`mutation($id: ID!) { clientGrantDelete(id: $id) { deletedId } }`, { id: grantId });
    expect(deleted.body.data.clientGrantDelete.deletedId).toBe(grantId);
    await within(1000, async () => (await a.token(params)).status === 403);
  });

  it("a scope removed on one instance leaves the other instance's tokens within 1 second", async () => {
    const { server, params } = await setup('RS256');
    expect((await a.token(params)).body.scope).toBe('read:x write:x');
    await b.gql(`mutation($id: ID!) { resourceServerScopesRemove(id: $id, values: ["write:x"]) { userErrors { message } } }`, {
      id: server.id,
    });
    await within(1000, async () => (await a.token(params)).body.scope === 'read:x');
    expect((await a.token({ ...params, scope: 'write:x' })).body.error).toBe('invalid_scope');
  });

  it('a secret rotated or a client deleted on one instance is refused by the other within 1 second', async () => {
    const { client, params } = await setup('PS256');
    expect((await a.token(params)).status).toBe(200);
    const rotated = await b.gql(`mutation($id: ID!) { clientSecretRotate(id: $id) { clientSecret } }`, { id: client.id });
    const newSecret = rotated.body.data.clientSecretRotate.clientSecret;
    await within(1000, async () => (await a.token(params)).status === 401);
    expect((await a.token({ ...params, client_secret: newSecret })).status).toBe(200);

    await b.gql(`mutation($id: ID!) { clientDelete(id: $id) { deletedId } }`, { id: client.id });
    await within(1000, async () => (await a.token({ ...params, client_secret: newSecret })).status === 401);
  });

  it("a client assertion's jti used on one instance is a replay on the other; keys replaced on one are used by the other within 1 second", async () => {
    const { server } = await setup('ES256', 'pkjwt');
    const [first, second] = await Promise.all([generateKeyPair('ES256'), generateKeyPair('ES256')]);
    const jwk = async (key: CryptoKey, kid: string) => ({ ...(await exportJWK(key)), kid });
    const created = await b.gql(
      `mutation($input: ClientCreateInput!) { clientCreate(input: $input) { client { id clientId } clientSecret } }`,
      {
        input: {
          name: 'keys',
          appType: 'MACHINE_TO_MACHINE',
          tokenEndpointAuthMethod: 'PRIVATE_KEY_JWT',
          jwks: { keys: [await jwk(first.publicKey, 'k1')] },
        },
      },
    );
    const { client, clientSecret } = created.body.data.clientCreate;
    expect(clientSecret).toBeNull();
    await b.gql(`mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { clientGrant { id } } }`, {
      input: { clientId: client.id, resourceServerId: server.id, scopes: ['read:x'] },
    });
    const assertion = (key: CryptoKey, kid: string) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: client.clientId, sub: client.clientId, aud: issuer, iat: now, exp: now + 60, jti: randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid })
        .sign(key);
    };
    const params = (clientAssertion: string) => ({
      grant_type: 'client_credentials',
      audience: server.identifier,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion,
    });
    const once = await assertion(first.privateKey, 'k1');
    expect((await a.token(params(once))).status).toBe(200);
    const replayed = await b.token(params(once));
    expect(replayed.status).toBe(401);
    expect(replayed.body.error).toBe('invalid_client');

    await b.gql(`mutation($id: ID!, $jwks: JSONObject!) { clientUpdate(id: $id, input: { jwks: $jwks }) { userErrors { message } } }`, {
      id: client.id,
      jwks: { keys: [await jwk(second.publicKey, 'k2')] },
    });
    await within(1000, async () => (await a.token(params(await assertion(second.privateKey, 'k2')))).status === 200);
    expect((await a.token(params(await assertion(first.privateKey, 'k1')))).status).toBe(401);
  });

  it("DPoP: one instance's nonce is accepted by the other, a proof used on one is a replay on the other, a policy set on one applies on the other within 1 second", async () => {
    const { server, params } = await setup('ES256', 'dpop');
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    // htu is the issuer's URL of the endpoint, whatever Host the request reached.
    const proof = (nonce?: string) =>
      new SignJWT({ htm: 'POST', htu: `${issuer}/oauth/token`, iat: Math.floor(Date.now() / 1000), jti: randomUUID(), nonce })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .sign(privateKey);
    const challenged = await a.token(params, { dpop: await proof() });
    expect(challenged.status).toBe(400);
    expect(challenged.body.error).toBe('use_dpop_nonce');
    const nonce = challenged.headers.get('dpop-nonce')!;
    const once = await proof(nonce);
    const first = await b.token(params, { dpop: once });
    expect(first.status).toBe(200);
    // The API's default, NONE: the proof was checked, the token is a Bearer token.
    expect(first.body.token_type).toBe('Bearer');
    const replayed = await a.token(params, { dpop: once });
    expect(replayed.status).toBe(400);
    expect(replayed.body).toEqual({ error: 'invalid_dpop_proof', error_description: expect.stringMatching(/already used/) });

    await b.gql(
      `mutation($id: ID!) { resourceServerUpdate(id: $id, input: { proofOfPossession: DPOP_REQUIRED }) { userErrors { code } } }`,
      {
        id: server.id,
      },
    );
    await within(1000, async () => (await a.token(params)).body.error === 'invalid_request');
    const bound = await a.token(params, { dpop: await proof(nonce) });
    expect(bound.status).toBe(200);
    expect(bound.body.token_type).toBe('DPoP');
  });

  it('a token revoked on one instance is refused by the other at once (introspection and Management API)', async () => {
    const { params, introspect } = await setup('ES256', 'revoke-jti', { introspect: true });
    const token = (await a.token(params)).body.access_token as string;
    expect((await introspect(a, token)).active).toBe(true);
    const revoked = await b.gql(`mutation($t: String!) { accessTokenRevoke(input: { token: $t }) { userErrors { message } } }`, {
      t: token,
    });
    expect(revoked.body.data.accessTokenRevoke.userErrors).toEqual([]);
    await within(1000, async () => (await introspect(a, token)).active === false);

    // A Management API token revoked on B is refused by A's /graphql.
    const management = await b.managementToken(['read:clients']);
    expect((await a.gql('{ clients(first: 1) { totalCount } }', {}, management)).status).toBe(200);
    await b.gql(`mutation($t: String!) { accessTokenRevoke(input: { token: $t }) { userErrors { message } } }`, { t: management });
    await within(1000, async () => (await a.gql('{ clients(first: 1) { totalCount } }', {}, management)).status === 401);
  });

  it('a grant deleted with revokeIssuedTokens on one instance makes the other refuse its issued tokens at once', async () => {
    const { grantId, params, introspect } = await setup('ES256', 'watermark', { introspect: true });
    const token = (await a.token(params)).body.access_token as string;
    expect((await introspect(a, token)).active).toBe(true);
    await b.gql(`mutation($id: ID!) { clientGrantDelete(id: $id, input: { revokeIssuedTokens: true }) { deletedId } }`, { id: grantId });
    // The deleted grant was the caller's own: introspect as an observer client holding `introspect` on the API.
    const observer = await b.gql(
      `mutation { clientCreate(input: { name: "observer", appType: MACHINE_TO_MACHINE, tokenEndpointAuthMethod: CLIENT_SECRET_POST }) { client { id clientId } clientSecret } }`,
    );
    const { client: o, clientSecret: oSecret } = observer.body.data.clientCreate;
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    const api = await b.gql(`query($i: String!) { resourceServer(identifier: $i) { id } }`, { i: payload.aud });
    await b.gql(`mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { userErrors { message } } }`, {
      input: { clientId: o.id, resourceServerId: api.body.data.resourceServer.id, scopes: ['introspect'] },
    });
    const asObserver = async () => {
      const response = await fetch(`${a.url}/oauth/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, client_id: o.clientId, client_secret: oSecret }).toString(),
      });
      return (await response.json()) as { active: boolean };
    };
    await within(1000, async () => (await asObserver()).active === false);
  });

  it('a key rotated and revoked on one instance is used and refused by the other within 1 second', async () => {
    const { params, introspect } = await setup('EdDSA', 'rotation', { introspect: true });
    const before = (await a.token(params)).body.access_token as string;
    const rotated = await b.gql(
      `mutation { signingKeyRotate(algorithm: EdDSA) { current { kid } previous { kid } next { kid } userErrors { message } } }`,
    );
    const { current, previous, next } = rotated.body.data.signingKeyRotate;
    expect(kidOf(before)).toBe(previous.kid);
    // A signs with the new current key and publishes the new next key within a second.
    await within(1000, async () => kidOf((await a.token(params)).body.access_token) === current.kid);
    await within(1000, async () => {
      const kids = ((await (await fetch(`${a.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      return kids.includes(next.kid) && kids.includes(previous.kid);
    });
    expect((await introspect(a, before)).active).toBe(true);

    const revoked = await b.gql(`mutation($kid: String!) { signingKeyRevoke(kid: $kid) { signingKey { state } userErrors { message } } }`, {
      kid: previous.kid,
    });
    expect(revoked.body.data.signingKeyRevoke.signingKey.state).toBe('REVOKED');
    await within(1000, async () => (await introspect(a, before)).active === false);
    const kids = ((await (await fetch(`${a.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    expect(kids).not.toContain(previous.kid);
  });
});
