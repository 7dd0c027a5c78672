import { createHash, randomUUID } from 'node:crypto';
import { startTestServer, TestServer } from '../helpers/test-app';
import { globalId, userErrors, uuidOf } from '../helpers/fixtures';
import { ASYMMETRIC_ALGORITHMS } from '../../src/crypto/key-pairs';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';
import { AuditLog } from '../../src/domain/audit/audit-log';
import { ClientService } from '../../src/domain/client/client.service';
import { systemClock } from '../../src/lib/clock';

const CLIENT_FIELDS = `id clientId name description appType isFirstParty grantTypes tokenEndpointAuthMethod callbacks allowedOrigins
  allowedLogoutUrls idTokenSigningAlgorithm idTokenLifetime createdAt updatedAt`;
const CREATE = `mutation($input: ClientCreateInput!) {
  clientCreate(input: $input) { client { ${CLIENT_FIELDS} } clientSecret userErrors { field message code } }
}`;
const UPDATE = `mutation($id: ID!, $input: ClientUpdateInput!) {
  clientUpdate(id: $id, input: $input) { client { ${CLIENT_FIELDS} } userErrors { field message code } }
}`;
const DELETE = `mutation($id: ID!) { clientDelete(id: $id) { deletedId userErrors { field message code } } }`;
const ROTATE = `mutation($id: ID!) {
  clientSecretRotate(id: $id) { client { id updatedAt } clientSecret userErrors { field message code } }
}`;

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

describe('clients', () => {
  let server: TestServer;
  let seq = 0;
  const unique = (prefix: string) => `${prefix} ${++seq} ${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  async function create(input: Record<string, unknown>, token?: string) {
    const res = await server.gql(CREATE, { input }, token);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    return res.body.data.clientCreate;
  }

  async function createOk(input: Record<string, unknown>) {
    const payload = await create({ name: unique('app'), ...input });
    expect(payload.userErrors).toEqual([]);
    return payload as { client: any; clientSecret: string | null };
  }

  async function update(id: string, input: Record<string, unknown>) {
    const res = await server.gql(UPDATE, { id, input });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    return res.body.data.clientUpdate;
  }

  async function createApi(scopes: string[] = ['read:x', 'write:x']) {
    const identifier = `https://${randomUUID().slice(0, 8)}.example/`;
    const res = await server.gql(
      `mutation($input: ResourceServerCreateInput!) { resourceServerCreate(input: $input) { resourceServer { id identifier } userErrors { code } } }`,
      { input: { name: unique('api'), identifier, scopes: scopes.map((value) => ({ value, description: `can ${value}` })) } },
    );
    expect(res.body.data.resourceServerCreate.userErrors).toEqual([]);
    return res.body.data.resourceServerCreate.resourceServer as { id: string; identifier: string };
  }

  async function grant(clientId: string, resourceServerId: string, scopes: string[]) {
    const res = await server.gql(
      `mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { clientGrant { id } userErrors { field code message } } }`,
      { input: { clientId, resourceServerId, scopes } },
    );
    expect(res.body.data.clientGrantCreate.userErrors).toEqual([]);
    return res.body.data.clientGrantCreate.clientGrant.id as string;
  }

  function basic(clientId: string, secret: string) {
    return { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` };
  }

  describe('clientCreate defaults', () => {
    it('creates a machine-to-machine client with CLIENT_CREDENTIALS, CLIENT_SECRET_BASIC and a secret', async () => {
      const name = unique('m2m');
      const payload = await create({ name, appType: 'MACHINE_TO_MACHINE' });
      expect(payload.userErrors).toEqual([]);
      expect(payload.client).toEqual({
        id: expect.any(String),
        clientId: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
        name,
        description: '',
        appType: 'MACHINE_TO_MACHINE',
        isFirstParty: true,
        grantTypes: ['CLIENT_CREDENTIALS'],
        tokenEndpointAuthMethod: 'CLIENT_SECRET_BASIC',
        callbacks: [],
        allowedOrigins: [],
        allowedLogoutUrls: [],
        idTokenSigningAlgorithm: 'RS256',
        idTokenLifetime: 36000,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
        updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(typeof payload.clientSecret).toBe('string');
      expect(payload.clientSecret.length).toBeGreaterThanOrEqual(43);
      expect(payload.clientSecret).toMatch(/^[A-Za-z0-9_-]+$/);
      const rows = await server.db.query('SELECT name, app_type FROM clients WHERE id = $1', [uuidOf(payload.client.id)]);
      expect(rows).toHaveLength(1);
      expect(rows[0].name).toBe(name);
    });

    it('creates a regular web client with AUTHORIZATION_CODE + REFRESH_TOKEN, CLIENT_SECRET_BASIC and a secret', async () => {
      const { client, clientSecret } = await createOk({ appType: 'REGULAR_WEB' });
      expect(client.appType).toBe('REGULAR_WEB');
      expect(client.grantTypes).toEqual(['AUTHORIZATION_CODE', 'REFRESH_TOKEN']);
      expect(client.tokenEndpointAuthMethod).toBe('CLIENT_SECRET_BASIC');
      expect(client.isFirstParty).toBe(true);
      expect(clientSecret!.length).toBeGreaterThanOrEqual(43);
    });

    it.each(['NATIVE', 'SPA'])('creates a public %s client with NONE and no secret', async (appType) => {
      const { client, clientSecret } = await createOk({ appType });
      expect(client.appType).toBe(appType);
      expect(client.grantTypes).toEqual(['AUTHORIZATION_CODE', 'REFRESH_TOKEN']);
      expect(client.tokenEndpointAuthMethod).toBe('NONE');
      expect(clientSecret).toBeNull();
      const secrets = await server.db.query('SELECT id FROM client_secrets WHERE client_id = $1', [uuidOf(client.id)]);
      expect(secrets).toEqual([]);
    });

    it('generates a distinct URL-safe clientId of at least 128 bits for every client', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 6; i++) {
        const { client } = await createOk({ appType: i % 2 ? 'SPA' : 'MACHINE_TO_MACHINE' });
        expect(client.clientId).toMatch(/^[A-Za-z0-9_-]{32,}$/);
        expect(Buffer.from(client.clientId, 'base64url').length).toBeGreaterThanOrEqual(16);
        ids.add(client.clientId);
      }
      expect(ids.size).toBe(6);
    });

    it('keeps the description, isFirstParty and explicit settings given at creation', async () => {
      const { client } = await createOk({
        appType: 'REGULAR_WEB',
        description: 'Our web shop',
        isFirstParty: false,
        grantTypes: ['AUTHORIZATION_CODE', 'CLIENT_CREDENTIALS'],
        tokenEndpointAuthMethod: 'CLIENT_SECRET_POST',
        callbacks: ['https://shop.example.com/callback', 'http://localhost:3000/cb', 'http://127.0.0.1/cb'],
        allowedOrigins: ['https://shop.example.com', 'http://localhost:3000'],
      });
      expect(client).toMatchObject({
        description: 'Our web shop',
        isFirstParty: false,
        grantTypes: ['AUTHORIZATION_CODE', 'CLIENT_CREDENTIALS'],
        tokenEndpointAuthMethod: 'CLIENT_SECRET_POST',
        callbacks: ['https://shop.example.com/callback', 'http://localhost:3000/cb', 'http://127.0.0.1/cb'],
        allowedOrigins: ['https://shop.example.com', 'http://localhost:3000'],
      });
    });
  });

  describe('name and description', () => {
    it.each([
      ['empty', ''],
      ['blank', '   '],
      ['201 characters', 'a'.repeat(201)],
      ['a <', 'my <app'],
      ['a >', 'my app>'],
    ])('refuses a name that is %s: INVALID at input.name', async (_label, name) => {
      const payload = await create({ name, appType: 'SPA' });
      expect(payload.client).toBeNull();
      expect(payload.clientSecret).toBeNull();
      expect(payload.userErrors).toEqual(userErrors([['input', 'name'], 'INVALID']));
    });

    it('accepts names of 1 and 200 characters', async () => {
      const long = `${randomUUID()}${'n'.repeat(164)}`;
      expect(long).toHaveLength(200);
      expect((await createOk({ name: long, appType: 'SPA' })).client.name).toBe(long);
      expect((await createOk({ name: 'x', appType: 'SPA' })).client.name).toBe('x');
    });

    it('accepts a description of 140 characters and refuses 141: INVALID at input.description', async () => {
      expect((await createOk({ appType: 'SPA', description: 'd'.repeat(140) })).client.description).toBe('d'.repeat(140));
      const payload = await create({ name: unique('desc'), appType: 'SPA', description: 'd'.repeat(141) });
      expect(payload.client).toBeNull();
      expect(payload.userErrors).toEqual(userErrors([['input', 'description'], 'INVALID']));
    });
  });

  describe('grant types', () => {
    it.each(['NATIVE', 'SPA'])('never allows CLIENT_CREDENTIALS for a public %s client', async (appType) => {
      const payload = await create({ name: unique('pub'), appType, grantTypes: ['AUTHORIZATION_CODE', 'CLIENT_CREDENTIALS'] });
      expect(payload.client).toBeNull();
      expect(payload.userErrors).toEqual(userErrors([['input', 'grantTypes', '1'], 'INVALID']));
    });

    it('refuses adding CLIENT_CREDENTIALS to a public client through clientUpdate', async () => {
      const { client } = await createOk({ appType: 'NATIVE' });
      const payload = await update(client.id, { grantTypes: ['CLIENT_CREDENTIALS'] });
      expect(payload.client).toBeNull();
      expect(payload.userErrors).toEqual(userErrors([['input', 'grantTypes', '0'], 'INVALID']));
      const [row] = await server.db.query<any>('SELECT grant_types FROM clients WHERE id = $1', [uuidOf(client.id)]);
      expect(row.grant_types).toEqual(['AUTHORIZATION_CODE', 'REFRESH_TOKEN']);
    });

    it('allows only CLIENT_CREDENTIALS for machine-to-machine clients', async () => {
      const payload = await create({
        name: unique('m2m'),
        appType: 'MACHINE_TO_MACHINE',
        grantTypes: ['CLIENT_CREDENTIALS', 'AUTHORIZATION_CODE', 'REFRESH_TOKEN'],
      });
      expect(payload.client).toBeNull();
      expect(payload.userErrors).toEqual(userErrors([['input', 'grantTypes', '1'], 'INVALID'], [['input', 'grantTypes', '2'], 'INVALID']));
    });

    it('refuses IMPLICIT for third-party clients and allows it for first-party ones', async () => {
      const refused = await create({
        name: unique('3p'),
        appType: 'SPA',
        isFirstParty: false,
        grantTypes: ['AUTHORIZATION_CODE', 'IMPLICIT'],
      });
      expect(refused.client).toBeNull();
      expect(refused.userErrors).toEqual(userErrors([['input', 'grantTypes', '1'], 'INVALID']));

      const { client } = await createOk({ appType: 'SPA', grantTypes: ['AUTHORIZATION_CODE', 'IMPLICIT'] });
      expect(client.grantTypes).toEqual(['AUTHORIZATION_CODE', 'IMPLICIT']);

      const thirdParty = await createOk({ appType: 'REGULAR_WEB', isFirstParty: false });
      const updated = await update(thirdParty.client.id, { grantTypes: ['IMPLICIT'] });
      expect(updated.userErrors).toEqual(userErrors([['input', 'grantTypes', '0'], 'INVALID']));
    });

    it('refuses duplicate grant types: INVALID at the repeated index', async () => {
      const payload = await create({
        name: unique('dup'),
        appType: 'REGULAR_WEB',
        grantTypes: ['AUTHORIZATION_CODE', 'REFRESH_TOKEN', 'AUTHORIZATION_CODE'],
      });
      expect(payload.client).toBeNull();
      expect(payload.userErrors).toEqual(userErrors([['input', 'grantTypes', '2'], 'INVALID']));
    });

    it('refuses removing CLIENT_CREDENTIALS from a client that holds client grants, allows it once none are left', async () => {
      const { client } = await createOk({ appType: 'REGULAR_WEB', grantTypes: ['AUTHORIZATION_CODE', 'CLIENT_CREDENTIALS'] });
      const api = await createApi();
      const grantId = await grant(client.id, api.id, ['read:x']);

      const refused = await update(client.id, { grantTypes: ['AUTHORIZATION_CODE'] });
      expect(refused.client).toBeNull();
      expect(refused.userErrors).toEqual(userErrors([['input', 'grantTypes'], 'INVALID']));
      const [row] = await server.db.query<any>('SELECT grant_types FROM clients WHERE id = $1', [uuidOf(client.id)]);
      expect(row.grant_types).toEqual(['AUTHORIZATION_CODE', 'CLIENT_CREDENTIALS']);

      const deleted = await server.gql(`mutation($id: ID!) { clientGrantDelete(id: $id) { deletedId userErrors { code } } }`, {
        id: grantId,
      });
      expect(deleted.body.data.clientGrantDelete).toEqual({ deletedId: grantId, userErrors: [] });
      const allowed = await update(client.id, { grantTypes: ['AUTHORIZATION_CODE'] });
      expect(allowed.userErrors).toEqual([]);
      expect(allowed.client.grantTypes).toEqual(['AUTHORIZATION_CODE']);
    });
  });

  describe('token endpoint auth method', () => {
    it.each([
      ['SPA', 'CLIENT_SECRET_BASIC'],
      ['NATIVE', 'CLIENT_SECRET_POST'],
      ['REGULAR_WEB', 'NONE'],
      ['MACHINE_TO_MACHINE', 'NONE'],
    ])('refuses %s with %s: INVALID at input.tokenEndpointAuthMethod', async (appType, method) => {
      const payload = await create({ name: unique('auth'), appType, tokenEndpointAuthMethod: method });
      expect(payload.client).toBeNull();
      expect(payload.userErrors).toEqual(userErrors([['input', 'tokenEndpointAuthMethod'], 'INVALID']));
    });

    it('accepts CLIENT_SECRET_POST for a confidential client and NONE for a public one', async () => {
      expect(
        (await createOk({ appType: 'MACHINE_TO_MACHINE', tokenEndpointAuthMethod: 'CLIENT_SECRET_POST' })).client.tokenEndpointAuthMethod,
      ).toBe('CLIENT_SECRET_POST');
      expect((await createOk({ appType: 'SPA', tokenEndpointAuthMethod: 'NONE' })).client.tokenEndpointAuthMethod).toBe('NONE');
    });
  });

  describe('callbacks and allowed origins', () => {
    it('accepts https URLs and http on loopback', async () => {
      const callbacks = ['https://app.example.com/cb', 'http://localhost:3000/cb', 'http://127.0.0.1/cb', 'https://app.example.com/cb?x=1'];
      expect((await createOk({ appType: 'REGULAR_WEB', callbacks })).client.callbacks).toEqual(callbacks);
    });

    it.each([
      ['plain http on a public host', 'http://example.com/cb'],
      ['a fragment', 'https://app.example.com/cb#frag'],
      ['a relative URL', '/callback'],
      ['a javascript: URL', 'javascript:alert(1)'],
      ['whitespace', 'https://app.example.com/c b'],
    ])('refuses a callback with %s: INVALID at its index', async (_label, bad) => {
      const name = unique('cb');
      const payload = await create({ name, appType: 'REGULAR_WEB', callbacks: ['https://ok.example.com/cb', bad] });
      expect(payload.client).toBeNull();
      expect(payload.userErrors).toEqual(userErrors([['input', 'callbacks', '1'], 'INVALID']));
    });

    it('allows a reverse-domain custom scheme only for NATIVE clients', async () => {
      const native = await createOk({ appType: 'NATIVE', callbacks: ['com.example.app:/callback'] });
      expect(native.client.callbacks).toEqual(['com.example.app:/callback']);
      for (const appType of ['SPA', 'REGULAR_WEB']) {
        const payload = await create({ name: unique('scheme'), appType, callbacks: ['com.example.app:/callback'] });
        expect(payload.client).toBeNull();
        expect(payload.userErrors).toEqual(userErrors([['input', 'callbacks', '0'], 'INVALID']));
      }
    });

    it('accepts 100 callbacks and refuses 101: LIMIT_EXCEEDED at input.callbacks', async () => {
      const urls = (n: number) => Array.from({ length: n }, (_, i) => `https://app.example.com/cb/${i}`);
      expect((await createOk({ appType: 'REGULAR_WEB', callbacks: urls(100) })).client.callbacks).toHaveLength(100);
      const payload = await create({ name: unique('many'), appType: 'REGULAR_WEB', callbacks: urls(101) });
      expect(payload.client).toBeNull();
      expect(payload.userErrors).toEqual(userErrors([['input', 'callbacks'], 'LIMIT_EXCEEDED']));
    });

    it('accepts origins and refuses an origin with a path: INVALID at its index', async () => {
      const ok = await createOk({ appType: 'SPA', allowedOrigins: ['https://app.example.com', 'http://localhost:3000'] });
      expect(ok.client.allowedOrigins).toEqual(['https://app.example.com', 'http://localhost:3000']);
      for (const bad of ['https://app.example.com/path', 'http://app.example.com', 'https://app.example.com?q=1']) {
        const payload = await create({ name: unique('origin'), appType: 'SPA', allowedOrigins: ['https://ok.example.com', bad] });
        expect(payload.client).toBeNull();
        expect(payload.userErrors).toEqual(userErrors([['input', 'allowedOrigins', '1'], 'INVALID']));
      }
    });

    it('refuses 101 allowed origins: LIMIT_EXCEEDED at input.allowedOrigins', async () => {
      const origins = Array.from({ length: 101 }, (_, i) => `https://o${i}.example.com`);
      const payload = await create({ name: unique('origins'), appType: 'SPA', allowedOrigins: origins });
      expect(payload.userErrors).toEqual(userErrors([['input', 'allowedOrigins'], 'LIMIT_EXCEEDED']));
    });

    it('validates callbacks on clientUpdate too', async () => {
      const { client } = await createOk({ appType: 'REGULAR_WEB', callbacks: ['https://a.example.com/cb'] });
      const payload = await update(client.id, { callbacks: ['https://b.example.com/cb', 'http://example.com/cb'] });
      expect(payload.client).toBeNull();
      expect(payload.userErrors).toEqual(userErrors([['input', 'callbacks', '1'], 'INVALID']));
      const [row] = await server.db.query<any>('SELECT callbacks FROM clients WHERE id = $1', [uuidOf(client.id)]);
      expect(row.callbacks).toEqual(['https://a.example.com/cb']);
    });
  });

  describe('OpenID Connect settings: allowedLogoutUrls, idTokenSigningAlgorithm, idTokenLifetime', () => {
    const oidcRow = async (id: string) => {
      const [row] = await server.db.query<any>(
        'SELECT allowed_logout_urls, id_token_signing_alg, id_token_lifetime FROM clients WHERE id = $1',
        [uuidOf(id)],
      );
      return row;
    };

    it.each(['NATIVE', 'SPA', 'REGULAR_WEB', 'MACHINE_TO_MACHINE'])(
      'defaults a %s client to no logout URLs, RS256 and 36000 s, as stored',
      async (appType) => {
        const { client } = await createOk({ appType });
        expect(client).toMatchObject({ allowedLogoutUrls: [], idTokenSigningAlgorithm: 'RS256', idTokenLifetime: 36000 });
        expect(await oidcRow(client.id)).toEqual({ allowed_logout_urls: [], id_token_signing_alg: 'RS256', id_token_lifetime: 36000 });
      },
    );

    it('gives the defaults to a client inserted without the settings (the bootstrap client: column defaults)', async () => {
      const res = await server.gql(`{ clients(first: 100, filter: { appType: MACHINE_TO_MACHINE }) { nodes { ${CLIENT_FIELDS} } } }`);
      const bootstrap = res.body.data.clients.nodes.find((c: any) => c.name === 'Management bootstrap client');
      expect(bootstrap).toMatchObject({ allowedLogoutUrls: [], idTokenSigningAlgorithm: 'RS256', idTokenLifetime: 36000 });
    });

    it('keeps the settings given at creation, stored and read back', async () => {
      const allowedLogoutUrls = ['https://app.example.com/logged-out', 'http://localhost:3000/bye', 'https://app.example.com/?from=logout'];
      const { client } = await createOk({
        appType: 'REGULAR_WEB',
        allowedLogoutUrls,
        idTokenSigningAlgorithm: 'ES256',
        idTokenLifetime: 600,
      });
      expect(client).toMatchObject({ allowedLogoutUrls, idTokenSigningAlgorithm: 'ES256', idTokenLifetime: 600 });
      expect(await oidcRow(client.id)).toEqual({
        allowed_logout_urls: allowedLogoutUrls,
        id_token_signing_alg: 'ES256',
        id_token_lifetime: 600,
      });
      const reread = await server.gql(`query($id: ID!) { client(id: $id) { ${CLIENT_FIELDS} } }`, { id: client.id });
      expect(reread.body.data.client).toEqual(client);
    });

    it.each(['RS256', 'PS256', 'ES256', 'EdDSA'])('accepts %s as idTokenSigningAlgorithm', async (alg) => {
      const { client } = await createOk({ appType: 'SPA', idTokenSigningAlgorithm: alg });
      expect(client.idTokenSigningAlgorithm).toBe(alg);
      expect((await oidcRow(client.id)).id_token_signing_alg).toBe(alg);
    });

    it('offers exactly the key ring asymmetric algorithms in the IdTokenSigningAlgorithm enum', async () => {
      const res = await server.gql(`{ __type(name: "IdTokenSigningAlgorithm") { enumValues { name } } }`);
      expect(res.body.data.__type.enumValues.map((v: { name: string }) => v.name).sort()).toEqual([...ASYMMETRIC_ALGORITHMS].sort());
    });

    it('accepts idTokenLifetime 60 and 2592000 (the bounds)', async () => {
      for (const idTokenLifetime of [60, 2592000]) {
        expect((await createOk({ appType: 'SPA', idTokenLifetime })).client.idTokenLifetime).toBe(idTokenLifetime);
      }
    });

    it('changes each setting through clientUpdate, keeping the others; omitted settings stay', async () => {
      const { client } = await createOk({
        appType: 'REGULAR_WEB',
        allowedLogoutUrls: ['https://a.example.com/bye'],
        idTokenSigningAlgorithm: 'PS256',
        idTokenLifetime: 3600,
      });
      const steps: [Record<string, unknown>, Record<string, unknown>][] = [
        [{ name: 'renamed' }, { name: 'renamed' }],
        [
          { allowedLogoutUrls: ['https://b.example.com/bye', 'http://127.0.0.1:8080/'] },
          { allowedLogoutUrls: ['https://b.example.com/bye', 'http://127.0.0.1:8080/'] },
        ],
        [{ idTokenSigningAlgorithm: 'EdDSA' }, { idTokenSigningAlgorithm: 'EdDSA' }],
        [{ idTokenLifetime: 2592000 }, { idTokenLifetime: 2592000 }],
        [{ allowedLogoutUrls: [] }, { allowedLogoutUrls: [] }],
      ];
      let expected = client;
      for (const [input, change] of steps) {
        const payload = await update(client.id, input);
        expect(payload.userErrors).toEqual([]);
        expected = { ...expected, ...change, updatedAt: expect.any(String) };
        expect(payload.client).toEqual(expected);
      }
      expect(await oidcRow(client.id)).toEqual({ allowed_logout_urls: [], id_token_signing_alg: 'EdDSA', id_token_lifetime: 2592000 });
    });

    it('lets allowedLogoutUrls use a reverse-domain custom scheme only for NATIVE clients, as callbacks', async () => {
      const native = await createOk({ appType: 'NATIVE', allowedLogoutUrls: ['com.example.app:/logged-out'] });
      expect(native.client.allowedLogoutUrls).toEqual(['com.example.app:/logged-out']);
      for (const appType of ['SPA', 'REGULAR_WEB']) {
        const payload = await create({ name: unique('scheme'), appType, allowedLogoutUrls: ['com.example.app:/logged-out'] });
        expect(payload.client).toBeNull();
        expect(payload.userErrors).toEqual(userErrors([['input', 'allowedLogoutUrls', '0'], 'INVALID']));
      }
    });

    it.each([
      ['plain http on a public host', 'http://example.com/bye'],
      ['a fragment', 'https://app.example.com/bye#frag'],
      ['a relative URL', '/logged-out'],
      ['a javascript: URL', 'javascript:alert(1)'],
      ['whitespace', 'https://app.example.com/b ye'],
      ['credentials', 'https://user:pw@app.example.com/bye'],
      ['2001 characters', `https://app.example.com/${'a'.repeat(2001 - 'https://app.example.com/'.length)}`],
      ['a repeat of the first', 'https://ok.example.com/bye'],
    ])('refuses a logout URL with %s: INVALID at input.allowedLogoutUrls.1, nothing stored', async (_label, bad) => {
      const name = unique('logout');
      const payload = await create({ name, appType: 'REGULAR_WEB', allowedLogoutUrls: ['https://ok.example.com/bye', bad] });
      expect(payload.client).toBeNull();
      expect(payload.clientSecret).toBeNull();
      expect(payload.userErrors).toEqual(userErrors([['input', 'allowedLogoutUrls', '1'], 'INVALID']));
      expect(await server.db.query('SELECT id FROM clients WHERE name = $1', [name])).toEqual([]);
    });

    it('accepts a logout URL of 2000 characters', async () => {
      const url = `https://app.example.com/${'a'.repeat(2000 - 'https://app.example.com/'.length)}`;
      expect((await createOk({ appType: 'SPA', allowedLogoutUrls: [url] })).client.allowedLogoutUrls).toEqual([url]);
    });

    it('accepts 100 logout URLs and refuses 101: LIMIT_EXCEEDED at input.allowedLogoutUrls', async () => {
      const urls = (n: number) => Array.from({ length: n }, (_, i) => `https://app.example.com/bye/${i}`);
      expect((await createOk({ appType: 'SPA', allowedLogoutUrls: urls(100) })).client.allowedLogoutUrls).toHaveLength(100);
      const payload = await create({ name: unique('many'), appType: 'SPA', allowedLogoutUrls: urls(101) });
      expect(payload.client).toBeNull();
      expect(payload.userErrors).toEqual(userErrors([['input', 'allowedLogoutUrls'], 'LIMIT_EXCEEDED']));
    });

    it.each([59, 2592001, 0, -1])(
      'refuses idTokenLifetime %d: INVALID at input.idTokenLifetime, on create and update',
      async (idTokenLifetime) => {
        const name = unique('lifetime');
        const refused = await create({ name, appType: 'SPA', idTokenLifetime });
        expect(refused.client).toBeNull();
        expect(refused.userErrors).toEqual(userErrors([['input', 'idTokenLifetime'], 'INVALID']));
        expect(await server.db.query('SELECT id FROM clients WHERE name = $1', [name])).toEqual([]);

        const { client } = await createOk({ appType: 'SPA', idTokenLifetime: 120 });
        const payload = await update(client.id, { idTokenLifetime, name: 'not applied' });
        expect(payload.client).toBeNull();
        expect(payload.userErrors).toEqual(userErrors([['input', 'idTokenLifetime'], 'INVALID']));
        const [row] = await server.db.query<any>('SELECT name, id_token_lifetime FROM clients WHERE id = $1', [uuidOf(client.id)]);
        expect(row).toEqual({ name: client.name, id_token_lifetime: 120 });
      },
    );

    it('refuses a bad logout URL on clientUpdate and changes nothing', async () => {
      const { client } = await createOk({ appType: 'REGULAR_WEB', allowedLogoutUrls: ['https://a.example.com/bye'] });
      const payload = await update(client.id, {
        idTokenSigningAlgorithm: 'ES256',
        allowedLogoutUrls: ['https://b.example.com/bye', 'https://b.example.com/bye#x'],
      });
      expect(payload.client).toBeNull();
      expect(payload.userErrors).toEqual(userErrors([['input', 'allowedLogoutUrls', '1'], 'INVALID']));
      expect(await oidcRow(client.id)).toEqual({
        allowed_logout_urls: ['https://a.example.com/bye'],
        id_token_signing_alg: 'RS256',
        id_token_lifetime: 36000,
      });
    });

    it('refuses an algorithm outside IdTokenSigningAlgorithm (HS256, none): BAD_USER_INPUT, nothing stored', async () => {
      for (const alg of ['HS256', 'none', 'ES384']) {
        const name = unique('alg');
        const res = await server.gql(CREATE, { input: { name, appType: 'SPA', idTokenSigningAlgorithm: alg } });
        expect(res.body.data ?? null).toBeNull();
        expect(res.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
        expect(await server.db.query('SELECT id FROM clients WHERE name = $1', [name])).toEqual([]);
      }
      const { client } = await createOk({ appType: 'SPA' });
      const res = await server.gql(UPDATE, { id: client.id, input: { idTokenSigningAlgorithm: 'HS256' } });
      expect(res.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect((await oidcRow(client.id)).id_token_signing_alg).toBe('RS256');
    });

    it('refuses an unknown algorithm given to the client service directly: INVALID at input.idTokenSigningAlgorithm', async () => {
      // The service as the app builds it, on the app's database (the API's enum stops these values first).
      const dataSource = server.app.database.dataSource;
      const clients = new ClientService(dataSource, { publish: async () => {} }, new AuditLog(dataSource), systemClock);
      const name = unique('svc-alg');
      await expect(clients.create({ name, appType: 'SPA', idTokenSigningAlgorithm: 'HS256' as any }, SYSTEM_ACTOR)).rejects.toMatchObject({
        issues: [expect.objectContaining({ code: 'INVALID', field: ['input', 'idTokenSigningAlgorithm'] })],
      });
      expect(await server.db.query('SELECT id FROM clients WHERE name = $1', [name])).toEqual([]);
      const { client } = await createOk({ appType: 'SPA' });
      await expect(clients.update(uuidOf(client.id), { idTokenSigningAlgorithm: 'none' as any }, SYSTEM_ACTOR)).rejects.toMatchObject({
        issues: [expect.objectContaining({ code: 'INVALID', field: ['input', 'idTokenSigningAlgorithm'] })],
      });
      expect((await oidcRow(client.id)).id_token_signing_alg).toBe('RS256');
    });
  });

  describe('failed mutations change nothing', () => {
    it('clientCreate with one bad callback stores no client and no secret', async () => {
      const [{ clients: clientsBefore }] = await server.db.query<any>('SELECT count(*)::int AS clients FROM clients');
      const [{ secrets: secretsBefore }] = await server.db.query<any>('SELECT count(*)::int AS secrets FROM client_secrets');
      const name = unique('atomic');
      const payload = await create({
        name,
        appType: 'REGULAR_WEB',
        callbacks: ['https://good.example.com/cb', 'http://example.com/cb'],
      });
      expect(payload.userErrors).toEqual(userErrors([['input', 'callbacks', '1'], 'INVALID']));
      expect(await server.db.query('SELECT id FROM clients WHERE name = $1', [name])).toEqual([]);
      const [{ clients: clientsAfter }] = await server.db.query<any>('SELECT count(*)::int AS clients FROM clients');
      const [{ secrets: secretsAfter }] = await server.db.query<any>('SELECT count(*)::int AS secrets FROM client_secrets');
      expect(clientsAfter).toBe(clientsBefore);
      expect(secretsAfter).toBe(secretsBefore);
    });

    it('clientUpdate with one bad field changes no field', async () => {
      const { client } = await createOk({ appType: 'SPA', description: 'before' });
      const payload = await update(client.id, { name: 'renamed', description: 'after', allowedOrigins: ['https://x.example.com/p'] });
      expect(payload.userErrors).toEqual(userErrors([['input', 'allowedOrigins', '0'], 'INVALID']));
      const [row] = await server.db.query<any>('SELECT name, description, allowed_origins, updated_at FROM clients WHERE id = $1', [
        uuidOf(client.id),
      ]);
      expect(row.name).toBe(client.name);
      expect(row.description).toBe('before');
      expect(row.allowed_origins).toEqual([]);
      expect(new Date(row.updated_at).toISOString()).toBe(client.updatedAt);
    });
  });

  describe('clientUpdate', () => {
    it('changes the given fields, keeps the others and moves updatedAt', async () => {
      const { client } = await createOk({ appType: 'REGULAR_WEB', description: 'keep me', callbacks: ['https://a.example.com/cb'] });
      await new Promise((r) => setTimeout(r, 10));
      const payload = await update(client.id, {
        name: 'Renamed app',
        callbacks: ['https://b.example.com/cb'],
        tokenEndpointAuthMethod: 'CLIENT_SECRET_POST',
      });
      expect(payload.userErrors).toEqual([]);
      expect(payload.client).toEqual({
        ...client,
        name: 'Renamed app',
        callbacks: ['https://b.example.com/cb'],
        tokenEndpointAuthMethod: 'CLIENT_SECRET_POST',
        updatedAt: expect.any(String),
      });
      expect(Date.parse(payload.client.updatedAt)).toBeGreaterThan(Date.parse(client.updatedAt));
      const reread = await server.gql(`query($id: ID!) { client(id: $id) { ${CLIENT_FIELDS} } }`, { id: client.id });
      expect(reread.body.data.client).toEqual(payload.client);
    });

    it('validates the name on update: INVALID at input.name', async () => {
      const { client } = await createOk({ appType: 'SPA' });
      const payload = await update(client.id, { name: '<script>' });
      expect(payload.client).toBeNull();
      expect(payload.userErrors).toEqual(userErrors([['input', 'name'], 'INVALID']));
    });

    it('refuses changing appType: IMMUTABLE at input.appType, and accepts the same value', async () => {
      const { client } = await createOk({ appType: 'REGULAR_WEB' });
      const refused = await update(client.id, { appType: 'MACHINE_TO_MACHINE' });
      expect(refused.client).toBeNull();
      expect(refused.userErrors).toEqual(userErrors([['input', 'appType'], 'IMMUTABLE']));
      const [row] = await server.db.query<any>('SELECT app_type FROM clients WHERE id = $1', [uuidOf(client.id)]);
      expect(row.app_type).toBe('REGULAR_WEB');
      const same = await update(client.id, { appType: 'REGULAR_WEB', description: 'same type' });
      expect(same.userErrors).toEqual([]);
      expect(same.client).toMatchObject({ appType: 'REGULAR_WEB', description: 'same type' });
    });

    it('defaults isFirstParty to true and refuses changing it: IMMUTABLE at input.isFirstParty', async () => {
      const { client } = await createOk({ appType: 'SPA' });
      expect(client.isFirstParty).toBe(true);
      const refused = await update(client.id, { isFirstParty: false });
      expect(refused.client).toBeNull();
      expect(refused.userErrors).toEqual(userErrors([['input', 'isFirstParty'], 'IMMUTABLE']));

      const third = await createOk({ appType: 'SPA', isFirstParty: false });
      expect(third.client.isFirstParty).toBe(false);
      const refused2 = await update(third.client.id, { isFirstParty: true });
      expect(refused2.userErrors).toEqual(userErrors([['input', 'isFirstParty'], 'IMMUTABLE']));
      const same = await update(third.client.id, { isFirstParty: false });
      expect(same.userErrors).toEqual([]);
      expect(same.client.isFirstParty).toBe(false);
    });

    it('answers NOT_FOUND at id for an unknown or malformed id', async () => {
      for (const id of [globalId('Client', randomUUID()), 'not-an-id', globalId('ResourceServer', randomUUID())]) {
        const payload = await update(id, { name: 'x' });
        expect(payload.client).toBeNull();
        expect(payload.userErrors).toEqual(userErrors([['id'], 'NOT_FOUND']));
      }
    });
  });

  describe('secrets', () => {
    it('stores only the SHA-256 hex of the secret, never the secret itself', async () => {
      const { client, clientSecret } = await createOk({ appType: 'MACHINE_TO_MACHINE' });
      const uuid = uuidOf(client.id);
      const rows = await server.db.query<any>('SELECT secret_hash, last_four, expires_at FROM client_secrets WHERE client_id = $1', [uuid]);
      expect(rows).toEqual([{ secret_hash: sha256(clientSecret!), last_four: clientSecret!.slice(-4), expires_at: null }]);
      const dumps = await server.db.query<any>(
        `SELECT row_to_json(s)::text AS j FROM client_secrets s WHERE client_id = $1
         UNION ALL SELECT row_to_json(c)::text FROM clients c WHERE id = $1`,
        [uuid],
      );
      expect(dumps).toHaveLength(2);
      for (const { j } of dumps) expect(j).not.toContain(clientSecret);
      const anywhere = await server.db.query<any>(
        `SELECT count(*)::int AS n FROM client_secrets s WHERE row_to_json(s)::text LIKE '%' || $1 || '%'`,
        [clientSecret],
      );
      expect(anywhere[0].n).toBe(0);
    });

    it('exposes no secret value on the Client type: `secrets` is metadata only', async () => {
      // One type per operation: an operation selects __type at most once (graphql/limits.ts).
      const fieldsOf = async (name: string): Promise<string[]> =>
        (await server.gql(`query($name: String!) { __type(name: $name) { fields { name } } }`, { name })).body.data.__type.fields.map(
          (f: { name: string }) => f.name,
        );
      const names = await fieldsOf('Client');
      expect(names).toContain('clientId');
      expect(names.filter((n) => /secret|hash/i.test(n))).toEqual(['secrets']);
      expect((await fieldsOf('ClientSecret')).sort()).toEqual(['createdAt', 'expiresAt', 'lastFour']);
    });

    it('rotates a secret: the old one is refused at the token endpoint at once, the new one works', async () => {
      const { client, clientSecret: oldSecret } = await createOk({ appType: 'MACHINE_TO_MACHINE' });
      const api = await createApi(['read:x']);
      await grant(client.id, api.id, ['read:x']);
      const form = { grant_type: 'client_credentials', audience: api.identifier };

      const before = await server.token(form, basic(client.clientId, oldSecret!));
      expect(before.status).toBe(200);
      expect(typeof before.body.access_token).toBe('string');

      const res = await server.gql(ROTATE, { id: client.id });
      const rotated = res.body.data.clientSecretRotate;
      expect(rotated.userErrors).toEqual([]);
      expect(rotated.client.id).toBe(client.id);
      const newSecret: string = rotated.clientSecret;
      expect(newSecret.length).toBeGreaterThanOrEqual(43);
      expect(newSecret).not.toBe(oldSecret);

      const old = await server.token(form, basic(client.clientId, oldSecret!));
      expect(old.status).toBe(401);
      expect(old.body.error).toBe('invalid_client');
      const fresh = await server.token(form, basic(client.clientId, newSecret));
      expect(fresh.status).toBe(200);
      expect(typeof fresh.body.access_token).toBe('string');

      const rows = await server.db.query<any>('SELECT secret_hash FROM client_secrets WHERE client_id = $1', [uuidOf(client.id)]);
      expect(rows).toEqual([{ secret_hash: sha256(newSecret) }]);
    });

    it.each(['SPA', 'NATIVE'])('refuses rotating the secret of a public %s client: INVALID', async (appType) => {
      const { client } = await createOk({ appType });
      const res = await server.gql(ROTATE, { id: client.id });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.clientSecretRotate.clientSecret).toBeNull();
      expect(res.body.data.clientSecretRotate.client).toBeNull();
      expect(res.body.data.clientSecretRotate.userErrors).toEqual(userErrors([['id'], 'INVALID']));
      expect(await server.db.query('SELECT id FROM client_secrets WHERE client_id = $1', [uuidOf(client.id)])).toEqual([]);
    });

    it('answers NOT_FOUND at id when rotating an unknown client', async () => {
      const res = await server.gql(ROTATE, { id: globalId('Client', randomUUID()) });
      expect(res.body.data.clientSecretRotate.userErrors).toEqual(userErrors([['id'], 'NOT_FOUND']));
    });
  });

  describe('clientDelete', () => {
    it('deletes the client with its secrets and client grants', async () => {
      const { client } = await createOk({ appType: 'MACHINE_TO_MACHINE' });
      const uuid = uuidOf(client.id);
      const api = await createApi();
      await grant(client.id, api.id, ['read:x', 'write:x']);
      expect(await server.db.query('SELECT id FROM client_grants WHERE client_id = $1', [uuid])).toHaveLength(1);
      expect(await server.db.query('SELECT id FROM client_secrets WHERE client_id = $1', [uuid])).toHaveLength(1);

      const res = await server.gql(DELETE, { id: client.id });
      expect(res.body.data.clientDelete).toEqual({ deletedId: client.id, userErrors: [] });
      expect(await server.db.query('SELECT id FROM clients WHERE id = $1', [uuid])).toEqual([]);
      expect(await server.db.query('SELECT id FROM client_grants WHERE client_id = $1', [uuid])).toEqual([]);
      expect(await server.db.query('SELECT id FROM client_secrets WHERE client_id = $1', [uuid])).toEqual([]);
      const lookup = await server.gql(`query($id: ID!) { client(id: $id) { id } }`, { id: client.id });
      expect(lookup.body.data.client).toBeNull();
      // The API itself is untouched.
      expect(await server.db.query('SELECT id FROM resource_servers WHERE identifier = $1', [api.identifier])).toHaveLength(1);
    });

    it('answers NOT_FOUND at id for an unknown id and for a second delete', async () => {
      const { client } = await createOk({ appType: 'SPA' });
      expect((await server.gql(DELETE, { id: client.id })).body.data.clientDelete.userErrors).toEqual([]);
      for (const id of [client.id, globalId('Client', randomUUID()), 'garbage']) {
        const res = await server.gql(DELETE, { id });
        expect(res.body.data.clientDelete).toEqual({ deletedId: null, userErrors: userErrors([['id'], 'NOT_FOUND']) });
      }
    });
  });

  describe('queries', () => {
    it('finds one client by id or by clientId', async () => {
      const { client } = await createOk({ appType: 'REGULAR_WEB' });
      const byId = await server.gql(`query($id: ID!) { client(id: $id) { ${CLIENT_FIELDS} } }`, { id: client.id });
      expect(byId.body.data.client).toEqual(client);
      const byClientId = await server.gql(`query($c: String!) { client(clientId: $c) { ${CLIENT_FIELDS} } }`, { c: client.clientId });
      expect(byClientId.body.data.client).toEqual(client);
      const unknown = await server.gql(`query($c: String!) { client(clientId: $c) { id } }`, { c: 'no-such-client' });
      expect(unknown.body.data.client).toBeNull();
      const unknownId = await server.gql(`query($id: ID!) { client(id: $id) { id } }`, { id: globalId('Client', randomUUID()) });
      expect(unknownId.body.data.client).toBeNull();
    });

    it('requires exactly one of id and clientId', async () => {
      const { client } = await createOk({ appType: 'SPA' });
      const both = await server.gql(`query($id: ID!, $c: String!) { client(id: $id, clientId: $c) { id } }`, {
        id: client.id,
        c: client.clientId,
      });
      expect(both.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      const neither = await server.gql(`{ client { id } }`);
      expect(neither.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('filters clients by appType with a matching totalCount', async () => {
      const count = async (appType: string) =>
        (await server.gql(`query($t: ApplicationType!) { clients(filter: { appType: $t }) { totalCount } }`, { t: appType })).body.data
          .clients.totalCount as number;
      const all = async () => (await server.gql(`{ clients { totalCount } }`)).body.data.clients.totalCount as number;
      const [nativeBefore, spaBefore, allBefore] = [await count('NATIVE'), await count('SPA'), await all()];
      for (let i = 0; i < 3; i++) await createOk({ appType: 'NATIVE' });
      await createOk({ appType: 'SPA' });
      expect(await count('NATIVE')).toBe(nativeBefore + 3);
      expect(await count('SPA')).toBe(spaBefore + 1);
      expect(await all()).toBe(allBefore + 4);
      const [{ n }] = await server.db.query<any>(`SELECT count(*)::int AS n FROM clients WHERE app_type = 'NATIVE'`);
      expect(await count('NATIVE')).toBe(n);

      const listed = await server.gql(`{ clients(first: 100, filter: { appType: NATIVE }) { nodes { appType } totalCount } }`);
      expect(listed.body.data.clients.nodes).toHaveLength(n);
      expect(listed.body.data.clients.nodes.every((c: any) => c.appType === 'NATIVE')).toBe(true);
      const m2m = await server.gql(`{ clients(first: 100, filter: { appType: MACHINE_TO_MACHINE }) { nodes { name } } }`);
      expect(m2m.body.data.clients.nodes.map((c: any) => c.name)).toContain('Management bootstrap client');
    });

    it('pages forward with first/after and backward with last/before, oldest first', async () => {
      for (let i = 0; i < 5; i++) await createOk({ appType: 'NATIVE' });
      const q = `query($first: Int, $after: String, $last: Int, $before: String) {
        clients(first: $first, after: $after, last: $last, before: $before, filter: { appType: NATIVE }) {
          edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount
        }
      }`;
      const full = (await server.gql(q, { first: 100 })).body.data.clients;
      const ids: string[] = full.edges.map((e: any) => e.node.id);
      expect(ids.length).toBe(full.totalCount);
      expect(ids.length).toBeGreaterThanOrEqual(5);
      expect(full.pageInfo.hasNextPage).toBe(false);

      const collected: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page: any = (await server.gql(q, { first: 2, after })).body.data.clients;
        expect(page.totalCount).toBe(ids.length);
        expect(page.edges.length).toBeLessThanOrEqual(2);
        collected.push(...page.edges.map((e: any) => e.node.id));
        if (!page.pageInfo.hasNextPage) break;
        expect(page.pageInfo.endCursor).toBe(page.edges[page.edges.length - 1].cursor);
        after = page.pageInfo.endCursor;
      }
      expect(collected).toEqual(ids);

      const lastTwo = (await server.gql(q, { last: 2 })).body.data.clients;
      expect(lastTwo.edges.map((e: any) => e.node.id)).toEqual(ids.slice(-2));
      expect(lastTwo.pageInfo.hasPreviousPage).toBe(true);
      const beforeThose = (await server.gql(q, { last: 2, before: lastTwo.pageInfo.startCursor })).body.data.clients;
      expect(beforeThose.edges.map((e: any) => e.node.id)).toEqual(ids.slice(-4, -2));
    });

    it("lists a client's grants through Client.clientGrants", async () => {
      const { client } = await createOk({ appType: 'MACHINE_TO_MACHINE' });
      const a = await createApi();
      const b = await createApi();
      const ga = await grant(client.id, a.id, ['read:x']);
      const gb = await grant(client.id, b.id, ['write:x']);
      const res = await server.gql(
        `query($id: ID!) { client(id: $id) { clientGrants(first: 10) { nodes { id scopes resourceServer { identifier } } totalCount } } }`,
        { id: client.id },
      );
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.client.clientGrants).toEqual({
        nodes: [
          { id: ga, scopes: ['read:x'], resourceServer: { identifier: a.identifier } },
          { id: gb, scopes: ['write:x'], resourceServer: { identifier: b.identifier } },
        ],
        totalCount: 2,
      });
      const firstOnly = await server.gql(
        `query($id: ID!) { client(id: $id) { clientGrants(first: 1) { nodes { id } pageInfo { hasNextPage endCursor } } } }`,
        { id: client.id },
      );
      const page = firstOnly.body.data.client.clientGrants;
      expect(page.nodes).toEqual([{ id: ga }]);
      expect(page.pageInfo.hasNextPage).toBe(true);
      const next = await server.gql(
        `query($id: ID!, $after: String) { client(id: $id) { clientGrants(first: 1, after: $after) { nodes { id } pageInfo { hasNextPage } } } }`,
        { id: client.id, after: page.pageInfo.endCursor },
      );
      expect(next.body.data.client.clientGrants).toEqual({ nodes: [{ id: gb }], pageInfo: { hasNextPage: false } });
    });
  });

  describe('authorization', () => {
    it('refuses clientCreate without create:clients: FORBIDDEN naming the scope, nothing stored', async () => {
      const token = await server.managementToken(['read:clients']);
      const name = unique('forbidden');
      const res = await server.gql(CREATE, { input: { name, appType: 'SPA' } }, token);
      expect(res.status).toBe(200);
      expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(res.body.errors?.[0].message).toContain('create:clients');
      expect(res.body.data?.clientCreate ?? null).toBeNull();
      expect(await server.db.query('SELECT id FROM clients WHERE name = $1', [name])).toEqual([]);
    });

    it('lets a token with read:clients read clients but not update or delete them', async () => {
      const { client } = await createOk({ appType: 'SPA' });
      const token = await server.managementToken(['read:clients']);
      const read = await server.gql(`query($id: ID!) { client(id: $id) { name } }`, { id: client.id }, token);
      expect(read.body).toEqual({ data: { client: { name: client.name } } });
      const upd = await server.gql(UPDATE, { id: client.id, input: { name: 'nope' } }, token);
      expect(upd.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(upd.body.errors?.[0].message).toContain('update:clients');
      const del = await server.gql(DELETE, { id: client.id }, token);
      expect(del.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(del.body.errors?.[0].message).toContain('delete:clients');
      const [row] = await server.db.query<any>('SELECT name FROM clients WHERE id = $1', [uuidOf(client.id)]);
      expect(row.name).toBe(client.name);
    });

    it('refuses reading clients without read:clients', async () => {
      const token = await server.managementToken(['create:clients']);
      const res = await server.gql(`{ clients { totalCount } }`, undefined, token);
      expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(res.body.errors?.[0].message).toContain('read:clients');
    });

    it('needs update:client_keys for clientSecretRotate', async () => {
      const { client, clientSecret } = await createOk({ appType: 'MACHINE_TO_MACHINE' });
      const without = await server.managementToken(['update:clients', 'read:clients']);
      const refused = await server.gql(ROTATE, { id: client.id }, without);
      expect(refused.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(refused.body.errors?.[0].message).toContain('update:client_keys');
      const rows = await server.db.query<any>('SELECT secret_hash FROM client_secrets WHERE client_id = $1', [uuidOf(client.id)]);
      expect(rows).toEqual([{ secret_hash: sha256(clientSecret!) }]);

      const withKeys = await server.managementToken(['update:client_keys']);
      const ok = await server.gql(
        `mutation($id: ID!) { clientSecretRotate(id: $id) { clientSecret userErrors { code } } }`,
        { id: client.id },
        withKeys,
      );
      expect(ok.body.errors).toBeUndefined();
      expect(ok.body.data.clientSecretRotate.userErrors).toEqual([]);
      expect(ok.body.data.clientSecretRotate.clientSecret.length).toBeGreaterThanOrEqual(43);
    });

    it('answers 401 without a token', async () => {
      const res = await server.gql(`{ clients { totalCount } }`, undefined, null);
      expect(res.status).toBe(401);
    });
  });
});
