import { startTestServer, TestServer } from '../helpers/test-app';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

let counter = 0;
const run = Date.now().toString(36);
/** A fresh identifier for each call. */
const uid = () => `https://rs-${run}-${++counter}.example/`;

const RS_FIELDS = `id name identifier signingAlgorithm tokenLifetime tokenLifetimeForWeb allowSkippingUserConsent
  allowOfflineAccess enforcePolicies tokenDialect isSystem createdAt updatedAt scopes { value description }`;
const USER_ERRORS = `userErrors { field message code }`;

const CREATE = `mutation($input: ResourceServerCreateInput!) {
  resourceServerCreate(input: $input) { resourceServer { ${RS_FIELDS} } signingSecret ${USER_ERRORS} } }`;
const UPDATE = `mutation($id: ID!, $input: ResourceServerUpdateInput!) {
  resourceServerUpdate(id: $id, input: $input) { resourceServer { ${RS_FIELDS} } ${USER_ERRORS} } }`;
const DELETE = `mutation($id: ID!) { resourceServerDelete(id: $id) { deletedId ${USER_ERRORS} } }`;
const SCOPES_ADD = `mutation($id: ID!, $scopes: [ScopeInput!]!) {
  resourceServerScopesAdd(id: $id, scopes: $scopes) { resourceServer { id scopes { value description } } ${USER_ERRORS} } }`;
const SCOPES_REMOVE = `mutation($id: ID!, $values: [String!]!) {
  resourceServerScopesRemove(id: $id, values: $values) { resourceServer { id scopes { value description } } ${USER_ERRORS} } }`;

interface UserErr {
  field: string[] | null;
  message: string;
  code: string;
}

function expectUserErrors(errors: UserErr[], expected: { field: string[] | null; code: string }[]) {
  expect(errors.map(({ field, code }) => ({ field, code }))).toEqual(expected);
  for (const e of errors) {
    expect(typeof e.message).toBe('string');
    expect(e.message.length).toBeGreaterThan(0);
  }
}

function expectNoStacktrace(body: unknown) {
  expect(JSON.stringify(body)).not.toContain('stacktrace');
}

async function create(input: Record<string, unknown>) {
  const res = await server.gql(CREATE, { input });
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  return res.body.data.resourceServerCreate as { resourceServer: any; signingSecret: string | null; userErrors: UserErr[] };
}

async function createOk(input: Record<string, unknown> = {}) {
  const payload = await create({ name: 'API', identifier: uid(), ...input });
  expect(payload.userErrors).toEqual([]);
  return payload.resourceServer;
}

async function update(id: string, input: Record<string, unknown>) {
  const res = await server.gql(UPDATE, { id, input });
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  return res.body.data.resourceServerUpdate as { resourceServer: any; userErrors: UserErr[] };
}

async function scopesAdd(id: string, scopes: { value: string; description?: string }[]) {
  const res = await server.gql(SCOPES_ADD, { id, scopes });
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  return res.body.data.resourceServerScopesAdd as { resourceServer: any; userErrors: UserErr[] };
}

async function scopesRemove(id: string, values: string[]) {
  const res = await server.gql(SCOPES_REMOVE, { id, values });
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  return res.body.data.resourceServerScopesRemove as { resourceServer: any; userErrors: UserErr[] };
}

async function count(sql: string, params: unknown[]): Promise<number> {
  const rows = await server.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params);
  return Number(rows[0].n);
}

async function systemApi() {
  const res = await server.gql(`query($identifier: String!) { resourceServer(identifier: $identifier) { ${RS_FIELDS} } }`, {
    identifier: server.config.managementAudience,
  });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.resourceServer;
}

async function createM2mClient(name = 'm2m') {
  const res = await server.gql(
    `mutation($input: ClientCreateInput!) { clientCreate(input: $input) { client { id } userErrors { field message code } } }`,
    { input: { name, appType: 'MACHINE_TO_MACHINE' } },
  );
  expect(res.body.errors).toBeUndefined();
  expect(res.body.data.clientCreate.userErrors).toEqual([]);
  return res.body.data.clientCreate.client.id as string;
}

async function createGrant(clientId: string, resourceServerId: string, scopes: string[]) {
  const res = await server.gql(
    `mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { clientGrant { id scopes } userErrors { field message code } } }`,
    { input: { clientId, resourceServerId, scopes } },
  );
  expect(res.body.errors).toBeUndefined();
  expect(res.body.data.clientGrantCreate.userErrors).toEqual([]);
  return res.body.data.clientGrantCreate.clientGrant as { id: string; scopes: string[] };
}

/** A global ID for a type/uuid pair (the documented opaque format, built here only to probe errors). */
const globalId = (type: string, uuid: string) => Buffer.from(`${type}:${uuid}`, 'utf8').toString('base64url');
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';

describe('resourceServerCreate', () => {
  it('creates an API with defaults and returns it', async () => {
    const identifier = uid();
    const payload = await create({ name: 'Appointments', identifier });
    expect(payload.userErrors).toEqual([]);
    expect(payload.signingSecret).toBeNull();
    const rs = payload.resourceServer;
    expect(rs).toMatchObject({
      name: 'Appointments',
      identifier,
      signingAlgorithm: 'RS256',
      tokenLifetime: 86400,
      tokenLifetimeForWeb: 7200,
      allowSkippingUserConsent: true,
      allowOfflineAccess: false,
      enforcePolicies: false,
      tokenDialect: 'RFC9068_PROFILE',
      isSystem: false,
      scopes: [],
    });
    expect(typeof rs.id).toBe('string');
    expect(new Date(rs.createdAt).toString()).not.toBe('Invalid Date');
    const rows = await server.db.query<{ name: string }>('SELECT name FROM resource_servers WHERE identifier = $1', [identifier]);
    expect(rows).toEqual([{ name: 'Appointments' }]);
  });

  it('stores every given setting and scopes in order', async () => {
    const identifier = uid();
    const payload = await create({
      name: 'Full',
      identifier,
      signingAlgorithm: 'ES256',
      tokenLifetime: 3600,
      tokenLifetimeForWeb: 600,
      allowSkippingUserConsent: false,
      allowOfflineAccess: true,
      enforcePolicies: true,
      tokenDialect: 'ACCESS_TOKEN_AUTHZ',
      scopes: [{ value: 'read:b', description: 'Read B' }, { value: 'write:a' }],
    });
    expect(payload.userErrors).toEqual([]);
    expect(payload.resourceServer).toMatchObject({
      signingAlgorithm: 'ES256',
      tokenLifetime: 3600,
      tokenLifetimeForWeb: 600,
      allowSkippingUserConsent: false,
      allowOfflineAccess: true,
      enforcePolicies: true,
      tokenDialect: 'ACCESS_TOKEN_AUTHZ',
      scopes: [
        { value: 'read:b', description: 'Read B' },
        { value: 'write:a', description: '' },
      ],
    });
  });

  it('returns a signing secret for HS256 only', async () => {
    const hs = await create({ name: 'HS', identifier: uid(), signingAlgorithm: 'HS256' });
    expect(hs.userErrors).toEqual([]);
    expect(hs.resourceServer.signingAlgorithm).toBe('HS256');
    expect(typeof hs.signingSecret).toBe('string');
    expect(hs.signingSecret!.length).toBeGreaterThanOrEqual(43);
    expect(hs.signingSecret).toMatch(/^[A-Za-z0-9_-]+$/);
    for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) {
      const other = await create({ name: alg, identifier: uid(), signingAlgorithm: alg });
      expect(other.userErrors).toEqual([]);
      expect(other.resourceServer.signingAlgorithm).toBe(alg);
      expect(other.signingSecret).toBeNull();
    }
  });

  it('accepts every token dialect', async () => {
    for (const dialect of ['ACCESS_TOKEN', 'ACCESS_TOKEN_AUTHZ', 'RFC9068_PROFILE', 'RFC9068_PROFILE_AUTHZ']) {
      const rs = await createOk({ tokenDialect: dialect });
      expect(rs.tokenDialect).toBe(dialect);
    }
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['too long', 'x'.repeat(201)],
    ['with <', 'a<b'],
    ['with >', 'a>b'],
  ])('rejects a name that is %s', async (_label, name) => {
    const identifier = uid();
    const payload = await create({ name, identifier });
    expect(payload.resourceServer).toBeNull();
    expectUserErrors(payload.userErrors, [{ field: ['input', 'name'], code: 'INVALID' }]);
    expect(await count('resource_servers WHERE identifier = $1', [identifier])).toBe(0);
  });

  it('accepts a name of exactly 200 characters', async () => {
    const rs = await createOk({ name: 'n'.repeat(200) });
    expect(rs.name).toBe('n'.repeat(200));
  });

  it.each([
    ['empty', ''],
    ['relative', '/api'],
    ['without scheme', 'api.example.com'],
    ['with whitespace', 'https://api.example.com/a b'],
    ['with a fragment', 'https://api.example.com/#frag'],
    ['too long', `https://a.example/${'p'.repeat(600)}`],
  ])('rejects an identifier that is %s', async (_label, identifier) => {
    const payload = await create({ name: 'Bad identifier', identifier });
    expect(payload.resourceServer).toBeNull();
    expectUserErrors(payload.userErrors, [{ field: ['input', 'identifier'], code: 'INVALID' }]);
    expect(await count('resource_servers WHERE identifier = $1', [identifier])).toBe(0);
  });

  it('accepts non-http absolute URIs and a 600-character identifier', async () => {
    const urn = `urn:example:${run}:${++counter}`;
    expect((await createOk({ identifier: urn })).identifier).toBe(urn);
    const base = `https://long-${run}.example/`;
    const long = base + 'p'.repeat(600 - base.length);
    expect(long.length).toBe(600);
    expect((await createOk({ identifier: long })).identifier).toBe(long);
  });

  it('compares identifiers exactly: with and without trailing slash are different', async () => {
    const base = `https://exact-${run}.example`;
    await createOk({ identifier: `${base}/` });
    await createOk({ identifier: base });
    expect(await count('resource_servers WHERE identifier IN ($1, $2)', [base, `${base}/`])).toBe(2);
  });

  it('refuses a taken identifier with TAKEN', async () => {
    const identifier = uid();
    await createOk({ identifier });
    const payload = await create({ name: 'Again', identifier });
    expect(payload.resourceServer).toBeNull();
    expectUserErrors(payload.userErrors, [{ field: ['input', 'identifier'], code: 'TAKEN' }]);
    expect(await count('resource_servers WHERE identifier = $1', [identifier])).toBe(1);
  });

  it('defaults tokenLifetime to 86400 and tokenLifetimeForWeb to min(7200, tokenLifetime)', async () => {
    expect(await createOk({ tokenLifetime: 300 })).toMatchObject({ tokenLifetime: 300, tokenLifetimeForWeb: 300 });
    expect(await createOk({ tokenLifetime: 10000 })).toMatchObject({ tokenLifetime: 10000, tokenLifetimeForWeb: 7200 });
    expect(await createOk({ tokenLifetime: 7200 })).toMatchObject({ tokenLifetime: 7200, tokenLifetimeForWeb: 7200 });
  });

  it('accepts tokenLifetime at the bounds 60 and 2592000', async () => {
    expect(await createOk({ tokenLifetime: 60 })).toMatchObject({ tokenLifetime: 60, tokenLifetimeForWeb: 60 });
    expect(await createOk({ tokenLifetime: 2592000 })).toMatchObject({ tokenLifetime: 2592000, tokenLifetimeForWeb: 7200 });
  });

  it.each([59, 2592001, 0, -1])('rejects tokenLifetime %i', async (tokenLifetime) => {
    const identifier = uid();
    const payload = await create({ name: 'L', identifier, tokenLifetime, tokenLifetimeForWeb: 60 });
    expect(payload.resourceServer).toBeNull();
    expectUserErrors(payload.userErrors, [{ field: ['input', 'tokenLifetime'], code: 'INVALID' }]);
    expect(await count('resource_servers WHERE identifier = $1', [identifier])).toBe(0);
  });

  it('rejects tokenLifetimeForWeb above tokenLifetime', async () => {
    const identifier = uid();
    const payload = await create({ name: 'L', identifier, tokenLifetime: 600, tokenLifetimeForWeb: 601 });
    expect(payload.resourceServer).toBeNull();
    expectUserErrors(payload.userErrors, [{ field: ['input', 'tokenLifetimeForWeb'], code: 'INVALID' }]);
    // Equal is fine.
    expect(await createOk({ tokenLifetime: 600, tokenLifetimeForWeb: 600 })).toMatchObject({ tokenLifetimeForWeb: 600 });
  });

  it('rejects tokenLifetimeForWeb above the default tokenLifetime', async () => {
    const payload = await create({ name: 'L', identifier: uid(), tokenLifetimeForWeb: 86401 });
    expect(payload.resourceServer).toBeNull();
    expect(payload.userErrors.map((e) => e.field)).toContainEqual(['input', 'tokenLifetimeForWeb']);
    expect(payload.userErrors.every((e) => e.code === 'INVALID')).toBe(true);
  });

  it.each([
    ['with a space', 'read items'],
    ['with a double quote', 'read"items'],
    ['with a backslash', 'read\\items'],
    ['empty', ''],
    ['too long', 's'.repeat(281)],
    ['non-ASCII', 'lire:élément'],
  ])('rejects a scope value %s at its index on create, leaving nothing behind', async (_label, value) => {
    const identifier = uid();
    const payload = await create({
      name: 'Valid name',
      identifier,
      scopes: [{ value: 'read:ok' }, { value }, { value: 'write:ok' }],
    });
    expect(payload.resourceServer).toBeNull();
    expectUserErrors(payload.userErrors, [{ field: ['input', 'scopes', '1', 'value'], code: 'INVALID' }]);
    expect(await count('resource_servers WHERE identifier = $1', [identifier])).toBe(0);
    expect(await count('scopes s JOIN resource_servers r ON r.id = s.resource_server_id WHERE r.identifier = $1', [identifier])).toBe(0);
  });

  it('accepts a 280-character scope and every scope-token punctuation', async () => {
    const long = 's'.repeat(280);
    const odd = "!#$%&'()*+,-./:;<=>?@[]^_`{|}~";
    const rs = await createOk({ scopes: [{ value: long }, { value: odd }] });
    expect(rs.scopes.map((s: any) => s.value)).toEqual([long, odd]);
  });

  it('rejects a scope description over 500 characters', async () => {
    const identifier = uid();
    const payload = await create({ name: 'D', identifier, scopes: [{ value: 'a', description: 'd'.repeat(501) }] });
    expect(payload.resourceServer).toBeNull();
    expectUserErrors(payload.userErrors, [{ field: ['input', 'scopes', '0', 'description'], code: 'INVALID' }]);
    const ok = await createOk({ scopes: [{ value: 'a', description: 'd'.repeat(500) }] });
    expect(ok.scopes[0].description).toHaveLength(500);
  });

  it('rejects a duplicate scope value within the batch', async () => {
    const identifier = uid();
    const payload = await create({ name: 'Dup', identifier, scopes: [{ value: 'a' }, { value: 'b' }, { value: 'a' }] });
    expect(payload.resourceServer).toBeNull();
    expectUserErrors(payload.userErrors, [{ field: ['input', 'scopes', '2'], code: 'INVALID' }]);
    expect(await count('resource_servers WHERE identifier = $1', [identifier])).toBe(0);
  });

  it('accepts 1000 scopes on create and refuses 1001 with LIMIT_EXCEEDED', async () => {
    const scopes = (k: number) => Array.from({ length: k }, (_, i) => ({ value: `s${i}` }));
    const over = uid();
    const refused = await create({ name: 'Too many', identifier: over, scopes: scopes(1001) });
    expect(refused.resourceServer).toBeNull();
    expectUserErrors(refused.userErrors, [{ field: ['input', 'scopes'], code: 'LIMIT_EXCEEDED' }]);
    expect(await count('resource_servers WHERE identifier = $1', [over])).toBe(0);
    const rs = await createOk({ scopes: scopes(1000) });
    expect(rs.scopes).toHaveLength(1000);
  });

  it('reports several problems at once', async () => {
    const payload = await create({ name: '', identifier: 'nope', scopes: [{ value: 'bad scope' }] });
    expect(payload.resourceServer).toBeNull();
    expectUserErrors(payload.userErrors, [
      { field: ['input', 'name'], code: 'INVALID' },
      { field: ['input', 'identifier'], code: 'INVALID' },
      { field: ['input', 'scopes', '0', 'value'], code: 'INVALID' },
    ]);
  });
});

describe('resourceServerUpdate', () => {
  it('changes mutable settings and keeps omitted ones', async () => {
    const rs = await createOk({ name: 'Before', allowOfflineAccess: true, scopes: [{ value: 'x' }] });
    const payload = await update(rs.id, {
      name: 'After',
      allowSkippingUserConsent: false,
      enforcePolicies: true,
      tokenDialect: 'ACCESS_TOKEN',
      tokenLifetime: 5000,
      tokenLifetimeForWeb: 100,
    });
    expect(payload.userErrors).toEqual([]);
    expect(payload.resourceServer).toMatchObject({
      id: rs.id,
      name: 'After',
      identifier: rs.identifier,
      signingAlgorithm: 'RS256',
      allowOfflineAccess: true,
      allowSkippingUserConsent: false,
      enforcePolicies: true,
      tokenDialect: 'ACCESS_TOKEN',
      tokenLifetime: 5000,
      tokenLifetimeForWeb: 100,
      scopes: [{ value: 'x', description: '' }],
    });
    const rows = await server.db.query<{ name: string }>('SELECT name FROM resource_servers WHERE identifier = $1', [rs.identifier]);
    expect(rows).toEqual([{ name: 'After' }]);
  });

  it('refuses a different identifier with IMMUTABLE and accepts the same one', async () => {
    const rs = await createOk();
    const refused = await update(rs.id, { identifier: uid() });
    expect(refused.resourceServer).toBeNull();
    expectUserErrors(refused.userErrors, [{ field: ['input', 'identifier'], code: 'IMMUTABLE' }]);
    const same = await update(rs.id, { identifier: rs.identifier, name: 'Renamed' });
    expect(same.userErrors).toEqual([]);
    expect(same.resourceServer).toMatchObject({ identifier: rs.identifier, name: 'Renamed' });
  });

  it('refuses a different signingAlgorithm with IMMUTABLE and accepts the same one', async () => {
    const rs = await createOk({ signingAlgorithm: 'PS256' });
    const refused = await update(rs.id, { signingAlgorithm: 'RS256', name: 'Changed' });
    expect(refused.resourceServer).toBeNull();
    expectUserErrors(refused.userErrors, [{ field: ['input', 'signingAlgorithm'], code: 'IMMUTABLE' }]);
    // Nothing changed, not even the valid name.
    const rows = await server.db.query<{ name: string; signing_algorithm: string }>(
      'SELECT name, signing_algorithm FROM resource_servers WHERE identifier = $1',
      [rs.identifier],
    );
    expect(rows).toEqual([{ name: 'API', signing_algorithm: 'PS256' }]);
    const same = await update(rs.id, { signingAlgorithm: 'PS256' });
    expect(same.userErrors).toEqual([]);
    expect(same.resourceServer.signingAlgorithm).toBe('PS256');
  });

  it.each([
    ['blank', '  '],
    ['too long', 'x'.repeat(201)],
    ['with <', '<script>'],
  ])('refuses a name that is %s', async (_label, name) => {
    const rs = await createOk({ name: 'Kept' });
    const refused = await update(rs.id, { name });
    expect(refused.resourceServer).toBeNull();
    expectUserErrors(refused.userErrors, [{ field: ['input', 'name'], code: 'INVALID' }]);
    const rows = await server.db.query<{ name: string }>('SELECT name FROM resource_servers WHERE identifier = $1', [rs.identifier]);
    expect(rows).toEqual([{ name: 'Kept' }]);
  });

  it('refuses tokenLifetime out of range', async () => {
    const rs = await createOk();
    for (const tokenLifetime of [59, 2592001]) {
      const refused = await update(rs.id, { tokenLifetime });
      expect(refused.resourceServer).toBeNull();
      expect(refused.userErrors.map((e) => e.code)).toEqual(['INVALID']);
      expect(refused.userErrors[0].field).toEqual(['input', 'tokenLifetime']);
    }
  });

  it('refuses lowering tokenLifetime below the current tokenLifetimeForWeb', async () => {
    const rs = await createOk({ tokenLifetime: 10000, tokenLifetimeForWeb: 5000 });
    const refused = await update(rs.id, { tokenLifetime: 4000 });
    expect(refused.resourceServer).toBeNull();
    expect(refused.userErrors).toHaveLength(1);
    expect(refused.userErrors[0].code).toBe('INVALID');
    expect(refused.userErrors[0].message.length).toBeGreaterThan(0);
    const rows = await server.db.query<{ token_lifetime: number }>('SELECT token_lifetime FROM resource_servers WHERE identifier = $1', [
      rs.identifier,
    ]);
    expect(Number(rows[0].token_lifetime)).toBe(10000);
    // Lowering both together is fine.
    const ok = await update(rs.id, { tokenLifetime: 4000, tokenLifetimeForWeb: 4000 });
    expect(ok.userErrors).toEqual([]);
    expect(ok.resourceServer).toMatchObject({ tokenLifetime: 4000, tokenLifetimeForWeb: 4000 });
  });

  it('refuses raising tokenLifetimeForWeb above tokenLifetime', async () => {
    const rs = await createOk({ tokenLifetime: 1000 });
    const refused = await update(rs.id, { tokenLifetimeForWeb: 1001 });
    expect(refused.resourceServer).toBeNull();
    expectUserErrors(refused.userErrors, [{ field: ['input', 'tokenLifetimeForWeb'], code: 'INVALID' }]);
  });

  it('answers NOT_FOUND at ["id"] for unknown and malformed ids', async () => {
    for (const id of [globalId('ResourceServer', UNKNOWN_UUID), 'not-an-id', '', globalId('Client', UNKNOWN_UUID)]) {
      const refused = await update(id, { name: 'x' });
      expect(refused.resourceServer).toBeNull();
      expectUserErrors(refused.userErrors, [{ field: ['id'], code: 'NOT_FOUND' }]);
    }
  });
});

describe('resourceServerDelete', () => {
  it('deletes the API with its scopes and client grants', async () => {
    const rs = await createOk({ scopes: [{ value: 'a' }, { value: 'b' }] });
    const clientId = await createM2mClient('deleter');
    await createGrant(clientId, rs.id, ['a']);
    const [{ id: uuid }] = await server.db.query<{ id: string }>('SELECT id FROM resource_servers WHERE identifier = $1', [rs.identifier]);
    expect(await count('scopes WHERE resource_server_id = $1', [uuid])).toBe(2);
    expect(await count('client_grants WHERE resource_server_id = $1', [uuid])).toBe(1);

    const res = await server.gql(DELETE, { id: rs.id });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.resourceServerDelete).toEqual({ deletedId: rs.id, userErrors: [] });
    expect(await count('resource_servers WHERE id = $1', [uuid])).toBe(0);
    expect(await count('scopes WHERE resource_server_id = $1', [uuid])).toBe(0);
    expect(await count('client_grants WHERE resource_server_id = $1', [uuid])).toBe(0);

    const gone = await server.gql(`query($id: ID!) { resourceServer(id: $id) { id } node(id: $id) { id } }`, { id: rs.id });
    expect(gone.body).toEqual({ data: { resourceServer: null, node: null } });

    const again = await server.gql(DELETE, { id: rs.id });
    expect(again.body.data.resourceServerDelete.deletedId).toBeNull();
    expectUserErrors(again.body.data.resourceServerDelete.userErrors, [{ field: ['id'], code: 'NOT_FOUND' }]);
  });

  it('deletes the signing secret of an HS256 API', async () => {
    const payload = await create({ name: 'HS', identifier: uid(), signingAlgorithm: 'HS256' });
    expect(payload.userErrors).toEqual([]);
    const [{ id: uuid }] = await server.db.query<{ id: string }>('SELECT id FROM resource_servers WHERE identifier = $1', [
      payload.resourceServer.identifier,
    ]);
    expect(await count('resource_server_secrets WHERE resource_server_id = $1', [uuid])).toBeGreaterThanOrEqual(1);
    const res = await server.gql(DELETE, { id: payload.resourceServer.id });
    expect(res.body.data.resourceServerDelete.userErrors).toEqual([]);
    expect(await count('resource_server_secrets WHERE resource_server_id = $1', [uuid])).toBe(0);
  });

  it('answers NOT_FOUND at ["id"] for unknown and malformed ids', async () => {
    for (const id of [globalId('ResourceServer', UNKNOWN_UUID), 'garbage!', globalId('ClientGrant', UNKNOWN_UUID)]) {
      const res = await server.gql(DELETE, { id });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.resourceServerDelete.deletedId).toBeNull();
      expectUserErrors(res.body.data.resourceServerDelete.userErrors, [{ field: ['id'], code: 'NOT_FOUND' }]);
    }
  });
});

describe('resourceServerScopesAdd', () => {
  it('appends scopes in order', async () => {
    const rs = await createOk({ scopes: [{ value: 'a' }] });
    const payload = await scopesAdd(rs.id, [{ value: 'c', description: 'C' }, { value: 'b' }]);
    expect(payload.userErrors).toEqual([]);
    expect(payload.resourceServer.scopes).toEqual([
      { value: 'a', description: '' },
      { value: 'c', description: 'C' },
      { value: 'b', description: '' },
    ]);
  });

  it('refuses an existing value with TAKEN at its index and adds none of the batch', async () => {
    const rs = await createOk({ scopes: [{ value: 'a' }, { value: 'b' }] });
    const payload = await scopesAdd(rs.id, [{ value: 'new1' }, { value: 'b' }, { value: 'new2' }]);
    expect(payload.resourceServer).toBeNull();
    expectUserErrors(payload.userErrors, [{ field: ['scopes', '1', 'value'], code: 'TAKEN' }]);
    expect(await count('scopes s JOIN resource_servers r ON r.id = s.resource_server_id WHERE r.identifier = $1', [rs.identifier])).toBe(2);
  });

  it('refuses invalid scope values at ["scopes", i, "value"]', async () => {
    const rs = await createOk();
    const payload = await scopesAdd(rs.id, [{ value: 'ok' }, { value: 'has space' }, { value: 'q"uote' }]);
    expect(payload.resourceServer).toBeNull();
    expectUserErrors(payload.userErrors, [
      { field: ['scopes', '1', 'value'], code: 'INVALID' },
      { field: ['scopes', '2', 'value'], code: 'INVALID' },
    ]);
    expect(await count('scopes s JOIN resource_servers r ON r.id = s.resource_server_id WHERE r.identifier = $1', [rs.identifier])).toBe(0);
  });

  it('refuses a too-long description and duplicates within the batch', async () => {
    const rs = await createOk();
    const long = await scopesAdd(rs.id, [{ value: 'a', description: 'x'.repeat(501) }]);
    expectUserErrors(long.userErrors, [{ field: ['scopes', '0', 'description'], code: 'INVALID' }]);
    const dup = await scopesAdd(rs.id, [{ value: 'a' }, { value: 'a' }]);
    expect(dup.resourceServer).toBeNull();
    expectUserErrors(dup.userErrors, [{ field: ['scopes', '1'], code: 'INVALID' }]);
  });

  it('refuses going over 1000 scopes with LIMIT_EXCEEDED', async () => {
    const rs = await createOk({ scopes: Array.from({ length: 999 }, (_, i) => ({ value: `s${i}` })) });
    const over = await scopesAdd(rs.id, [{ value: 'x1' }, { value: 'x2' }]);
    expect(over.resourceServer).toBeNull();
    expectUserErrors(over.userErrors, [{ field: ['scopes'], code: 'LIMIT_EXCEEDED' }]);
    const last = await scopesAdd(rs.id, [{ value: 'x1' }]);
    expect(last.userErrors).toEqual([]);
    expect(last.resourceServer.scopes).toHaveLength(1000);
    const more = await scopesAdd(rs.id, [{ value: 'x2' }]);
    expectUserErrors(more.userErrors, [{ field: ['scopes'], code: 'LIMIT_EXCEEDED' }]);
  });

  it('answers NOT_FOUND at ["id"] for unknown ids', async () => {
    for (const id of [globalId('ResourceServer', UNKNOWN_UUID), 'zzz']) {
      const payload = await scopesAdd(id, [{ value: 'a' }]);
      expect(payload.resourceServer).toBeNull();
      expectUserErrors(payload.userErrors, [{ field: ['id'], code: 'NOT_FOUND' }]);
    }
  });
});

describe('resourceServerScopesRemove', () => {
  it('removes scopes from the API and from every client grant of that API only', async () => {
    const rs = await createOk({ scopes: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    const other = await createOk({ scopes: [{ value: 'a' }, { value: 'b' }] });
    const c1 = await createM2mClient('remover 1');
    const c2 = await createM2mClient('remover 2');
    const g1 = await createGrant(c1, rs.id, ['a', 'b', 'c']);
    const g2 = await createGrant(c2, rs.id, ['b']);
    const g3 = await createGrant(c1, other.id, ['a', 'b']);

    const payload = await scopesRemove(rs.id, ['b', 'a']);
    expect(payload.userErrors).toEqual([]);
    expect(payload.resourceServer.scopes).toEqual([{ value: 'c', description: '' }]);

    const grants = await server.gql(
      `query($g1: ID!, $g2: ID!, $g3: ID!) { g1: clientGrant(id: $g1) { scopes } g2: clientGrant(id: $g2) { scopes } g3: clientGrant(id: $g3) { scopes } }`,
      { g1: g1.id, g2: g2.id, g3: g3.id },
    );
    expect(grants.body).toEqual({ data: { g1: { scopes: ['c'] }, g2: { scopes: [] }, g3: { scopes: ['a', 'b'] } } });
  });

  it('refuses unknown values with NOT_FOUND at ["values", i] and removes nothing', async () => {
    const rs = await createOk({ scopes: [{ value: 'a' }, { value: 'b' }] });
    const payload = await scopesRemove(rs.id, ['a', 'nope', 'b', 'zilch']);
    expect(payload.resourceServer).toBeNull();
    expectUserErrors(payload.userErrors, [
      { field: ['values', '1'], code: 'NOT_FOUND' },
      { field: ['values', '3'], code: 'NOT_FOUND' },
    ]);
    expect(await count('scopes s JOIN resource_servers r ON r.id = s.resource_server_id WHERE r.identifier = $1', [rs.identifier])).toBe(2);
  });

  it('answers NOT_FOUND at ["id"] for unknown ids', async () => {
    const payload = await scopesRemove(globalId('ResourceServer', UNKNOWN_UUID), ['a']);
    expect(payload.resourceServer).toBeNull();
    expectUserErrors(payload.userErrors, [{ field: ['id'], code: 'NOT_FOUND' }]);
  });
});

describe('the system API', () => {
  it('exists as the Management API', async () => {
    const api = await systemApi();
    expect(api).toMatchObject({ identifier: server.config.managementAudience, isSystem: true });
    expect(api.scopes.map((s: any) => s.value)).toEqual(expect.arrayContaining(['read:resource_servers', 'create:resource_servers']));
  });

  it('cannot be deleted', async () => {
    const api = await systemApi();
    const res = await server.gql(DELETE, { id: api.id });
    expect(res.body.data.resourceServerDelete.deletedId).toBeNull();
    expectUserErrors(res.body.data.resourceServerDelete.userErrors, [{ field: ['id'], code: 'SYSTEM_RESOURCE' }]);
    expect(await count('resource_servers WHERE identifier = $1', [server.config.managementAudience])).toBe(1);
  });

  it('its scopes cannot be added or removed', async () => {
    const api = await systemApi();
    const added = await scopesAdd(api.id, [{ value: 'brand:new' }]);
    expect(added.resourceServer).toBeNull();
    expectUserErrors(added.userErrors, [{ field: ['id'], code: 'SYSTEM_RESOURCE' }]);
    const removed = await scopesRemove(api.id, ['read:resource_servers']);
    expect(removed.resourceServer).toBeNull();
    expectUserErrors(removed.userErrors, [{ field: ['id'], code: 'SYSTEM_RESOURCE' }]);
    expect((await systemApi()).scopes).toEqual(api.scopes);
  });

  it.each([
    ['name', 'Renamed'],
    // The console signs people in with refresh tokens, their roles deciding (bootstrap.ts).
    ['allowOfflineAccess', false],
    ['allowSkippingUserConsent', true],
    ['enforcePolicies', false],
    ['tokenDialect', 'ACCESS_TOKEN'],
  ])('refuses changing %s with SYSTEM_RESOURCE', async (field, value) => {
    const api = await systemApi();
    expect(api[field]).not.toEqual(value);
    const refused = await update(api.id, { [field]: value });
    expect(refused.resourceServer).toBeNull();
    expectUserErrors(refused.userErrors, [{ field: ['input', field], code: 'SYSTEM_RESOURCE' }]);
    expect((await systemApi())[field]).toEqual(api[field]);
  });

  it('refuses changing its identifier or algorithm with IMMUTABLE', async () => {
    const api = await systemApi();
    const refused = await update(api.id, { identifier: uid() });
    expectUserErrors(refused.userErrors, [{ field: ['input', 'identifier'], code: 'IMMUTABLE' }]);
  });

  it('accepts unchanged values and changes to its lifetimes', async () => {
    const api = await systemApi();
    const same = await update(api.id, { name: api.name, identifier: api.identifier });
    expect(same.userErrors).toEqual([]);
    const changed = await update(api.id, { tokenLifetime: api.tokenLifetime - 1, tokenLifetimeForWeb: 120 });
    expect(changed.userErrors).toEqual([]);
    expect(changed.resourceServer).toMatchObject({ tokenLifetime: api.tokenLifetime - 1, tokenLifetimeForWeb: 120, isSystem: true });
    const back = await update(api.id, { tokenLifetime: api.tokenLifetime, tokenLifetimeForWeb: api.tokenLifetimeForWeb });
    expect(back.userErrors).toEqual([]);
    expect(back.resourceServer).toMatchObject({ tokenLifetime: api.tokenLifetime, tokenLifetimeForWeb: api.tokenLifetimeForWeb });
  });
});

describe('queries', () => {
  it('resourceServer finds by id and by identifier', async () => {
    const rs = await createOk({ scopes: [{ value: 'q' }] });
    const res = await server.gql(
      `query($id: ID!, $identifier: String!) { byId: resourceServer(id: $id) { id identifier } byIdentifier: resourceServer(identifier: $identifier) { id identifier } }`,
      { id: rs.id, identifier: rs.identifier },
    );
    expect(res.body).toEqual({
      data: { byId: { id: rs.id, identifier: rs.identifier }, byIdentifier: { id: rs.id, identifier: rs.identifier } },
    });
  });

  it('resourceServer answers null for unknown ids and identifiers', async () => {
    const res = await server.gql(
      `query($id: ID!) { a: resourceServer(id: $id) { id } b: resourceServer(identifier: "https://nothing.example/") { id } c: resourceServer(id: "bogus") { id } }`,
      { id: globalId('ResourceServer', UNKNOWN_UUID) },
    );
    expect(res.body).toEqual({ data: { a: null, b: null, c: null } });
  });

  it('resourceServer with both or neither argument is BAD_USER_INPUT', async () => {
    const rs = await createOk();
    for (const [query, vars] of [
      [
        `query($id: ID, $identifier: String) { resourceServer(id: $id, identifier: $identifier) { id } }`,
        { id: rs.id, identifier: rs.identifier },
      ],
      [`{ resourceServer { id } }`, {}],
    ] as const) {
      const res = await server.gql(query, vars);
      expect(res.status).toBe(200);
      expect(res.body.data?.resourceServer ?? null).toBeNull();
      expect(res.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expectNoStacktrace(res.body);
    }
  });

  it('node and nodes resolve resource servers by global id', async () => {
    const a = await createOk({ name: 'Node A' });
    const b = await createOk({ name: 'Node B' });
    const res = await server.gql(
      `query($a: ID!, $ids: [ID!]!) { node(id: $a) { id __typename ... on ResourceServer { name } } nodes(ids: $ids) { id ... on ResourceServer { name } } }`,
      { a: a.id, ids: [b.id, globalId('ResourceServer', UNKNOWN_UUID), 'junk', a.id] },
    );
    expect(res.body).toEqual({
      data: {
        node: { id: a.id, __typename: 'ResourceServer', name: 'Node A' },
        nodes: [{ id: b.id, name: 'Node B' }, null, null, { id: a.id, name: 'Node A' }],
      },
    });
  });

  it('nodes refuses more than 100 ids', async () => {
    const ids = Array.from({ length: 101 }, () => globalId('ResourceServer', UNKNOWN_UUID));
    const res = await server.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids });
    expect(res.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expectNoStacktrace(res.body);
    const ok = await server.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: ids.slice(0, 100) });
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.nodes).toHaveLength(100);
  });

  it('clientGrants on a resource server lists its grants', async () => {
    const rs = await createOk({ scopes: [{ value: 'a' }] });
    const c = await createM2mClient('lister');
    const g = await createGrant(c, rs.id, ['a']);
    const res = await server.gql(`query($id: ID!) { resourceServer(id: $id) { clientGrants { nodes { id scopes } totalCount } } }`, {
      id: rs.id,
    });
    expect(res.body).toEqual({ data: { resourceServer: { clientGrants: { nodes: [{ id: g.id, scopes: ['a'] }], totalCount: 1 } } } });
  });
});

describe('resourceServers pagination', () => {
  const LIST = `query($first: Int, $after: String, $last: Int, $before: String) {
    resourceServers(first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { id identifier isSystem } } nodes { id }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }`;

  async function list(vars: Record<string, unknown>) {
    const res = await server.gql(LIST, vars);
    expect(res.body.errors).toBeUndefined();
    return res.body.data.resourceServers;
  }

  it('pages forward and backward through every API, the system API first', async () => {
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await createOk({ name: `Page ${i}` })).id);
    const total = await count('resource_servers', []);

    // Forward with first: 2.
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: any = await list({ first: 2, after });
      pages++;
      expect(page.totalCount).toBe(total);
      expect(page.nodes.map((n: any) => n.id)).toEqual(page.edges.map((e: any) => e.node.id));
      expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
      expect(page.pageInfo.endCursor).toBe(page.edges[page.edges.length - 1]?.cursor ?? null);
      // Paging forward, hasPreviousPage may be false (Relay allows it); on the first page it must be.
      if (after === null) expect(page.pageInfo.hasPreviousPage).toBe(false);
      seen.push(...page.edges.map((e: any) => e.node.id));
      if (pages === 1) expect(page.edges[0].node.isSystem).toBe(true);
      if (!page.pageInfo.hasNextPage) {
        expect(page.edges.length).toBeGreaterThan(0);
        break;
      }
      expect(page.edges).toHaveLength(2);
      after = page.pageInfo.endCursor;
      expect(pages).toBeLessThan(1000);
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect(pages).toBe(Math.ceil(total / 2));
    // The five just created are the last five, oldest first.
    expect(seen.slice(-5)).toEqual(created);

    // Same as one big page.
    const all = await list({ first: 100 });
    if (total <= 100) {
      expect(all.nodes.map((n: any) => n.id)).toEqual(seen);
      expect(all.pageInfo.hasNextPage).toBe(false);
    }

    // Backward with last: 2.
    const back: string[] = [];
    let before: string | null = null;
    for (;;) {
      const page: any = await list({ last: 2, before });
      expect(page.totalCount).toBe(total);
      if (before === null) expect(page.pageInfo.hasNextPage).toBe(false);
      back.unshift(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasPreviousPage) break;
      expect(page.edges).toHaveLength(2);
      before = page.pageInfo.startCursor;
      expect(back.length).toBeLessThan(10000);
    }
    expect(back).toEqual(seen);

    const lastTwo = await list({ last: 2 });
    expect(lastTwo.nodes.map((n: any) => n.id)).toEqual(created.slice(-2));
    expect(lastTwo.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it('first: 0 returns no edges', async () => {
    const page = await list({ first: 0 });
    expect(page.edges).toEqual([]);
    expect(page.pageInfo.startCursor).toBeNull();
    expect(page.pageInfo.endCursor).toBeNull();
  });

  // A page size out of range is refused before the operation runs (HTTP 400, graphql/limits.ts);
  // the other arguments are checked by the resolver (HTTP 200, the field null).
  it.each([
    ['first: 101', { first: 101 }, 400],
    ['last: 101', { last: 101 }, 400],
    ['first: -1', { first: -1 }, 400],
    ['first and last', { first: 1, last: 1 }, 200],
    ['a bad after cursor', { first: 2, after: 'not-a-cursor' }, 200],
    ['a bad before cursor', { last: 2, before: Buffer.from('seq:abc').toString('base64url') }, 200],
    ['an overlong cursor', { first: 2, after: 'A'.repeat(500) }, 200],
  ])('refuses %s with BAD_USER_INPUT (HTTP %s)', async (_label, vars, status) => {
    const res = await server.gql(LIST, vars);
    expect(res.status).toBe(status);
    expect(res.body.data?.resourceServers ?? null).toBeNull();
    expect(res.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0].message.length).toBeGreaterThan(0);
    expectNoStacktrace(res.body);
  });

  it('accepts first: 100 and last: 100', async () => {
    expect((await list({ first: 100 })).nodes.length).toBeGreaterThan(0);
    expect((await list({ last: 100 })).nodes.length).toBeGreaterThan(0);
  });
});

describe('authorization', () => {
  it('refuses resourceServerCreate without create:resource_servers', async () => {
    const token = await server.managementToken(['read:resource_servers']);
    const identifier = uid();
    const res = await server.gql(CREATE, { input: { name: 'Nope', identifier } }, token);
    expect(res.body.data?.resourceServerCreate ?? null).toBeNull();
    expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(res.body.errors?.[0].message).toContain('create:resource_servers');
    expectNoStacktrace(res.body);
    expect(await count('resource_servers WHERE identifier = $1', [identifier])).toBe(0);
  });

  it('refuses update, delete and scope changes without update/delete scopes', async () => {
    const rs = await createOk({ scopes: [{ value: 'a' }] });
    const token = await server.managementToken(['read:resource_servers']);
    const cases: [string, Record<string, unknown>, string, string][] = [
      [UPDATE, { id: rs.id, input: { name: 'x' } }, 'resourceServerUpdate', 'update:resource_servers'],
      [DELETE, { id: rs.id }, 'resourceServerDelete', 'delete:resource_servers'],
      [SCOPES_ADD, { id: rs.id, scopes: [{ value: 'b' }] }, 'resourceServerScopesAdd', 'update:resource_servers'],
      [SCOPES_REMOVE, { id: rs.id, values: ['a'] }, 'resourceServerScopesRemove', 'update:resource_servers'],
    ];
    for (const [query, vars, field, scope] of cases) {
      const res = await server.gql(query, vars, token);
      expect(res.body.data?.[field] ?? null).toBeNull();
      expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(res.body.errors?.[0].message).toContain(scope);
    }
    const check = await server.gql(`query($id: ID!) { resourceServer(id: $id) { name scopes { value } } }`, { id: rs.id });
    expect(check.body.data.resourceServer).toEqual({ name: 'API', scopes: [{ value: 'a' }] });
  });

  it('read:resource_servers alone reads APIs but not their clientGrants', async () => {
    const rs = await createOk({ name: 'Readable' });
    const token = await server.managementToken(['read:resource_servers']);
    const listed = await server.gql(`{ resourceServers(first: 1) { nodes { isSystem } } }`, undefined, token);
    expect(listed.body).toEqual({ data: { resourceServers: { nodes: [{ isSystem: true }] } } });

    const res = await server.gql(`query($id: ID!) { resourceServer(id: $id) { name clientGrants { totalCount } } }`, { id: rs.id }, token);
    expect(res.status).toBe(200);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0].extensions?.code).toBe('FORBIDDEN');
    expect(res.body.errors![0].message).toContain('read:client_grants');
    expect(res.body.errors![0].path).toEqual(['resourceServer', 'clientGrants']);
    expect(res.body.data).toEqual({ resourceServer: { name: 'Readable', clientGrants: null } });
    expectNoStacktrace(res.body);
  });

  it('a token without read:resource_servers cannot read APIs or their nodes', async () => {
    const rs = await createOk();
    const token = await server.managementToken(['read:clients']);
    const res = await server.gql(`{ resourceServers { totalCount } }`, undefined, token);
    expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(res.body.errors?.[0].message).toContain('read:resource_servers');
    const node = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: rs.id }, token);
    expect(node.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(node.body.data?.node ?? null).toBeNull();
  });

  it('allows schema introspection without a token', async () => {
    const res = await server.gql(`{ __schema { queryType { name } } }`, undefined, null);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it.each([
    ['no token', null],
    ['a garbage token', 'not.a.jwt'],
  ])('answers 401 with %s', async (_label, token) => {
    const res = await server.gql(`{ resourceServers { totalCount } }`, undefined, token);
    expect(res.status).toBe(401);
    const header = res.headers.get('www-authenticate') ?? '';
    expect(header).toContain('Bearer');
    expect(header).toContain('error="invalid_token"');
    expect(res.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.body.data).toBeUndefined();
    expectNoStacktrace(res.body);
  });

  it('a mutation without a token answers 401 and changes nothing', async () => {
    const identifier = uid();
    const res = await server.gql(CREATE, { input: { name: 'Anon', identifier } }, null);
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await count('resource_servers WHERE identifier = $1', [identifier])).toBe(0);
  });
});

describe('query limits', () => {
  it('refuses a query deeper than 15 levels with QUERY_TOO_DEEP (HTTP 400)', async () => {
    const deep = `{ resourceServers { nodes { clientGrants { nodes { client { clientGrants { nodes { resourceServer {
      clientGrants { nodes { client { clientGrants { nodes { resourceServer { scopes { value } } } } } } } } } } } } } } } }`;
    const res = await server.gql(deep);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0].extensions).toEqual({ code: 'QUERY_TOO_DEEP', depth: 16, maxDepth: 15 });
    expect(res.body.data).toBeUndefined();
    expectNoStacktrace(res.body);
  });

  it('accepts a query of exactly 15 levels', async () => {
    // resourceServers(1) nodes(2) clientGrants(3) nodes(4) client(5) clientGrants(6) nodes(7)
    // resourceServer(8) clientGrants(9) nodes(10) client(11) clientGrants(12) nodes(13) resourceServer(14) id(15)
    const ok = `{ resourceServers(first: 2) { nodes { clientGrants(first: 2) { nodes { client { clientGrants(first: 2) { nodes { resourceServer {
      clientGrants(first: 2) { nodes { client { clientGrants(first: 2) { nodes { resourceServer { id } } } } } } } } } } } } } } }`;
    const res = await server.gql(ok);
    expect(res.body.errors).toBeUndefined();
    expect(Array.isArray(res.body.data.resourceServers.nodes)).toBe(true);
  });

  it('refuses a very costly query with QUERY_TOO_COMPLEX', async () => {
    const costly = `{ resourceServers(first: 100) { nodes { clientGrants(first: 100) { nodes { client {
      clientGrants(first: 100) { nodes { id } } } } } } } }`;
    const res = await server.gql(costly);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(res.body.data).toBeUndefined();
    expectNoStacktrace(res.body);
  });
});

describe('error responses', () => {
  it('never include a stacktrace for validation, user and server-side errors', async () => {
    const responses = await Promise.all([
      server.gql(`{ resourceServers(first: "x") { totalCount } }`),
      server.gql(`{ nope }`),
      server.gql(`{ resourceServers(after: "@@@") { totalCount } }`),
      server.gql(CREATE, { input: { name: 'x', identifier: 'bad' } }),
      server.gql(
        `mutation { resourceServerCreate(input: { name: "x", identifier: "https://x/", signingAlgorithm: HS512 }) { userErrors { code } } }`,
      ),
    ]);
    for (const res of responses) expectNoStacktrace(res.body);
    expect(responses[0].body.errors?.length).toBeGreaterThan(0);
    expect(responses[1].body.errors?.length).toBeGreaterThan(0);
    expect(responses[4].body.errors?.length).toBeGreaterThan(0);
  });
});
