import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { startTestServer, TestServer } from '../helpers/test-app';

/** Polls `check` until it returns true or `ms` passes; returns the time it took. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (Date.now() - start <= ms) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`not within ${ms} ms`);
}

describe('two instances on one database', () => {
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  const masterKey = randomBytes(32).toString('base64');

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await startTestServer({ db, masterKey });
    b = await startTestServer({ db, masterKey });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await db.drop();
  });

  async function setup(algorithm: string) {
    const api = await b.gql(
      `mutation($input: ResourceServerCreateInput!) { resourceServerCreate(input: $input) { resourceServer { id identifier } } }`,
      { input: { name: 'Shared', identifier: `https://shared-${algorithm}.example/`, signingAlgorithm: algorithm, scopes: [{ value: 'read:x' }, { value: 'write:x' }] } },
    );
    const server = api.body.data.resourceServerCreate.resourceServer;
    const client = await b.gql(`mutation { clientCreate(input: { name: "m2m", appType: MACHINE_TO_MACHINE, tokenEndpointAuthMethod: CLIENT_SECRET_POST }) { client { id clientId } clientSecret } }`);
    const { client: c, clientSecret } = client.body.data.clientCreate;
    const grant = await b.gql(`mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { clientGrant { id } } }`, {
      input: { clientId: c.id, resourceServerId: server.id, scopes: ['read:x', 'write:x'] },
    });
    const params = { grant_type: 'client_credentials', client_id: c.clientId, client_secret: clientSecret, audience: server.identifier };
    return { server, client: c, grantId: grant.body.data.clientGrantCreate.clientGrant.id, params };
  }

  it('a token issued by one instance verifies against the other instance\'s JWKS', async () => {
    const { server, params } = await setup('ES256');
    const issued = await a.token(params);
    expect(issued.status).toBe(200);
    // Both instances share the issuer only in name here; verify the signature with B's key set.
    const jwks = createRemoteJWKSet(new URL(`${b.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(issued.body.access_token, jwks, { issuer: a.url, audience: server.identifier });
    expect(payload.scope).toBe('read:x write:x');
  });

  it('a grant deleted on one instance stops tokens on the other within 1 second', async () => {
    const { grantId, params } = await setup('EdDSA');
    expect((await a.token(params)).status).toBe(200); // A now caches the grant
    const deleted = await b.gql(`mutation($id: ID!) { clientGrantDelete(id: $id) { deletedId } }`, { id: grantId });
    expect(deleted.body.data.clientGrantDelete.deletedId).toBe(grantId);
    await within(1000, async () => (await a.token(params)).status === 403);
  });

  it('a scope removed on one instance leaves the other instance\'s tokens within 1 second', async () => {
    const { server, params } = await setup('RS256');
    expect((await a.token(params)).body.scope).toBe('read:x write:x');
    await b.gql(`mutation($id: ID!) { resourceServerScopesRemove(id: $id, values: ["write:x"]) { userErrors { message } } }`, { id: server.id });
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
});
