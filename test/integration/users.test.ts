import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startTestServer, TestServer } from '../helpers/test-app';
import { fixtures, globalId, userErrors, uuidOf } from '../helpers/fixtures';
import { exchangeCode } from '../helpers/refresh-flow';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';

const USER_FIELDS = `id email emailVerified name blocked createdAt updatedAt lastLoginAt`;
const CREATE = `mutation($input: UserCreateInput!) {
  userCreate(input: $input) { user { ${USER_FIELDS} } userErrors { field message code } }
}`;
const UPDATE = `mutation($id: ID!, $input: UserUpdateInput!) {
  userUpdate(id: $id, input: $input) { user { ${USER_FIELDS} } userErrors { field message code } }
}`;
const DELETE = `mutation($id: ID!) { userDelete(id: $id) { deletedId userErrors { field message code } } }`;
const PASSWORD_SET = `mutation($id: ID!, $input: UserPasswordSetInput!) {
  userPasswordSet(id: $id, input: $input) { user { ${USER_FIELDS} } userErrors { field message code } }
}`;
const USER = `query($id: ID!) { user(id: $id) { ${USER_FIELDS} } }`;
const USERS = `query($first: Int, $after: String, $last: Int, $before: String, $filter: UserFilter) {
  users(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { id email }
  }
}`;

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

describe('users', () => {
  let server: TestServer;
  const uniqueEmail = (prefix = 'user') => `${prefix}.${randomUUID().slice(0, 8)}@example.com`;
  const password = () => `pw-${randomBytes(9).toString('base64url')}`;
  const { createApi, createClient } = fixtures(() => server, 'users');

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  async function gqlOk(query: string, variables: Record<string, unknown>, token?: string) {
    const res = await server.gql(query, variables, token);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }

  async function create(input: Record<string, unknown>) {
    return (await gqlOk(CREATE, { input })).userCreate;
  }

  async function createOk(input: Record<string, unknown> = {}) {
    const payload = await create({ email: uniqueEmail(), password: password(), ...input });
    expect(payload.userErrors).toEqual([]);
    return payload.user as { id: string; email: string; emailVerified: boolean; name: string; blocked: boolean; updatedAt: string };
  }

  async function storedHash(id: string): Promise<string | null> {
    const [row] = await server.db.query<{ password_hash: string | null }>('SELECT password_hash FROM users WHERE id = $1', [uuidOf(id)]);
    return row.password_hash;
  }

  describe('userCreate', () => {
    it('creates a user with defaults: unverified, not blocked, no name, never signed in', async () => {
      const email = uniqueEmail('Ada');
      const payload = await create({ email, password: password() });
      expect(payload).toEqual({
        user: {
          id: expect.any(String),
          email,
          emailVerified: false,
          name: '',
          blocked: false,
          createdAt: expect.stringMatching(ISO),
          updatedAt: expect.stringMatching(ISO),
          lastLoginAt: null,
        },
        userErrors: [],
      });
      expect(Buffer.from(payload.user.id, 'base64url').toString()).toMatch(/^User:[0-9a-f-]{36}$/);
    });

    it('takes name, emailVerified and blocked, and trims the email (keeping its case)', async () => {
      const email = uniqueEmail('Grace.Hopper');
      const user = await createOk({ email: `  ${email} `, name: 'Grace Hopper', emailVerified: true, blocked: true });
      expect(user).toMatchObject({ email, name: 'Grace Hopper', emailVerified: true, blocked: true });
    });

    it('creates a user without a password, who cannot sign in', async () => {
      const email = uniqueEmail();
      const user = await createOk({ email, password: null });
      expect(await storedHash(user.id)).toBeNull();
      expect(await server.app.users.authenticate(email, 'anything at all')).toBeNull();
    });

    it('refuses an email already used, whatever its case: TAKEN, nothing stored', async () => {
      const email = uniqueEmail('Case');
      await createOk({ email });
      for (const variant of [email.toUpperCase(), email.toLowerCase(), ` ${email.toUpperCase()}`]) {
        const payload = await create({ email: variant, password: password() });
        expect(payload).toEqual({ user: null, userErrors: userErrors([['input', 'email'], 'TAKEN']) });
      }
      const rows = await server.db.query('SELECT id FROM users WHERE lower(email) = lower($1)', [email]);
      expect(rows).toHaveLength(1);
    });

    it('reports a unique violation lost to a concurrent writer as TAKEN', async () => {
      const email = uniqueEmail('race');
      const results = await Promise.all([0, 1, 2].map(() => create({ email, password: password() })));
      const ok = results.filter((p) => p.userErrors.length === 0);
      const taken = results.filter((p) => p.userErrors.length > 0);
      expect(ok).toHaveLength(1);
      for (const payload of taken) expect(payload.userErrors).toEqual(userErrors([['input', 'email'], 'TAKEN']));
    });

    it.each([
      ['empty', ''],
      ['no @', 'ada.example.com'],
      ['two @', 'ada@lovelace@example.com'],
      ['empty local part', '@example.com'],
      ['empty domain', 'ada@'],
      ['domain without a dot', 'ada@example'],
      ['domain with an empty label', 'ada@example..com'],
      ['a space inside', 'ada lovelace@example.com'],
      ['a control character', 'ada\u0007@example.com'],
      ['over 320 characters', `${'a'.repeat(64)}@${'b'.repeat(250)}.example.com`],
    ])('refuses an invalid email (%s): INVALID at input.email', async (_case, email) => {
      const payload = await create({ email, password: password() });
      expect(payload).toEqual({ user: null, userErrors: userErrors([['input', 'email'], 'INVALID']) });
    });

    it('accepts an email at localhost and plus-addressing', async () => {
      await createOk({ email: `dev.${randomUUID().slice(0, 8)}@localhost` });
      await createOk({ email: `ada+tag.${randomUUID().slice(0, 8)}@mail.example.co.uk` });
    });

    it.each([
      ['shorter than 8 characters', () => 'short7!', ''],
      ['over 256 characters', () => 'x'.repeat(257), ''],
      ['with a control character', () => 'password\u0007with bell', ''],
      ['equal to the email in another case', (email: string) => email.toUpperCase(), ''],
    ])('refuses a password %s: INVALID at input.password, nothing stored', async (_case, make) => {
      const email = uniqueEmail();
      const payload = await create({ email, password: make(email) });
      expect(payload).toEqual({ user: null, userErrors: userErrors([['input', 'password'], 'INVALID']) });
      expect(await server.db.query('SELECT id FROM users WHERE lower(email) = lower($1)', [email])).toEqual([]);
    });

    it('reports every problem at once', async () => {
      const payload = await create({ email: 'nope', password: 'short', name: '<b>' });
      expect(payload.userErrors).toEqual(
        userErrors([['input', 'email'], 'INVALID'], [['input', 'name'], 'INVALID'], [['input', 'password'], 'INVALID']),
      );
    });

    it('refuses a name over 200 characters or with < >', async () => {
      for (const name of ['x'.repeat(201), 'Ada <script>']) {
        const payload = await create({ email: uniqueEmail(), password: password(), name });
        expect(payload.userErrors).toEqual(userErrors([['input', 'name'], 'INVALID']));
      }
    });
  });

  describe('passwords', () => {
    it('stores an Argon2id hash (OWASP parameters), never the password', async () => {
      const secret = password();
      const user = await createOk({ password: secret });
      const hash = await storedHash(user.id);
      expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
      expect(hash).not.toContain(secret);
      const [row] = await server.db.query('SELECT * FROM users WHERE id = $1', [uuidOf(user.id)]);
      expect(JSON.stringify(row)).not.toContain(secret);
    });

    it('salts every hash: the same password gives different hashes', async () => {
      const secret = password();
      const a = await createOk({ password: secret });
      const b = await createOk({ password: secret });
      expect(await storedHash(a.id)).not.toBe(await storedHash(b.id));
    });

    it('has no API field that could return a password or its hash', async () => {
      // One type per operation: an operation selects __type at most once (graphql/limits.ts).
      const fieldsOf = async (name: string): Promise<string[]> =>
        (await gqlOk(`query($name: String!) { __type(name: $name) { fields { name } } }`, { name })).__type.fields
          .map((f: { name: string }) => f.name)
          .sort();
      expect(await fieldsOf('User')).toEqual([
        'appMetadata',
        'blocked',
        'createdAt',
        'email',
        'emailVerified',
        'id',
        'lastLoginAt',
        'name',
        'permissions',
        'roles',
        'sub',
        'updatedAt',
      ]);
      for (const type of ['UserCreatePayload', 'UserUpdatePayload', 'UserPasswordSetPayload']) {
        expect(await fieldsOf(type)).toEqual(['user', 'userErrors']);
      }
      // And nothing a user query returns carries the hash.
      const secret = password();
      const user = await createOk({ password: secret });
      const hash = (await storedHash(user.id))!;
      const read = await server.gql(USER, { id: user.id });
      expect(JSON.stringify(read.body)).not.toContain(hash.split('$').pop()!);
      expect(JSON.stringify(read.body)).not.toContain(secret);
    });

    it('userPasswordSet replaces the password: the new one signs in, the old one no longer does', async () => {
      const email = uniqueEmail('Rotate');
      const oldPassword = password();
      const user = await createOk({ email, password: oldPassword });
      expect((await server.app.users.authenticate(email, oldPassword))?.id).toBe(uuidOf(user.id));

      const newPassword = password();
      const payload = (await gqlOk(PASSWORD_SET, { id: user.id, input: { password: newPassword } })).userPasswordSet;
      expect(payload.userErrors).toEqual([]);
      expect(payload.user.id).toBe(user.id);
      expect(await storedHash(user.id)).toMatch(/^\$argon2id\$/);

      expect((await server.app.users.authenticate(email, newPassword))?.id).toBe(uuidOf(user.id));
      expect(await server.app.users.authenticate(email, oldPassword)).toBeNull();
    });

    it('userPasswordSet gives a password to a user created without one', async () => {
      const email = uniqueEmail();
      const user = await createOk({ email, password: null });
      const secret = password();
      expect((await gqlOk(PASSWORD_SET, { id: user.id, input: { password: secret } })).userPasswordSet.userErrors).toEqual([]);
      expect((await server.app.users.authenticate(email, secret))?.id).toBe(uuidOf(user.id));
    });

    it('userPasswordSet applies the policy and keeps the old password when refused', async () => {
      const email = uniqueEmail();
      const secret = password();
      const user = await createOk({ email, password: secret });
      const before = await storedHash(user.id);
      for (const bad of ['short', email.toUpperCase()]) {
        const payload = (await gqlOk(PASSWORD_SET, { id: user.id, input: { password: bad } })).userPasswordSet;
        expect(payload).toEqual({ user: null, userErrors: userErrors([['input', 'password'], 'INVALID']) });
      }
      expect(await storedHash(user.id)).toBe(before);
      expect(await server.app.users.authenticate(email, secret)).not.toBeNull();
    });

    it("userPasswordSet ends the user's login sessions", async () => {
      const user = await createOk();
      await insertSession(user.id);
      expect((await gqlOk(PASSWORD_SET, { id: user.id, input: { password: password() } })).userPasswordSet.userErrors).toEqual([]);
      expect(await sessionsOf(user.id)).toEqual([]);
    });

    it('userPasswordSet on an unknown or foreign ID: NOT_FOUND at id', async () => {
      for (const id of [globalId('User', randomUUID()), globalId('Client', randomUUID()), 'garbage']) {
        const payload = (await gqlOk(PASSWORD_SET, { id, input: { password: password() } })).userPasswordSet;
        expect(payload).toEqual({ user: null, userErrors: userErrors([['id'], 'NOT_FOUND']) });
      }
    });
  });

  describe('authenticate', () => {
    it('matches the email whatever its case (and surrounding spaces)', async () => {
      const email = uniqueEmail('MiXeD');
      const secret = password();
      const user = await createOk({ email, password: secret });
      for (const variant of [email, email.toLowerCase(), email.toUpperCase(), ` ${email} `]) {
        const found = await server.app.users.authenticate(variant, secret);
        expect(found).toMatchObject({ id: uuidOf(user.id), email });
      }
    });

    it('returns null for a wrong password, an unknown email, or an empty one', async () => {
      const email = uniqueEmail();
      const secret = password();
      await createOk({ email, password: secret });
      expect(await server.app.users.authenticate(email, `${secret}x`)).toBeNull();
      expect(await server.app.users.authenticate(email, secret.toUpperCase())).toBeNull();
      expect(await server.app.users.authenticate(uniqueEmail('nobody'), secret)).toBeNull();
      expect(await server.app.users.authenticate('', secret)).toBeNull();
      expect(await server.app.users.authenticate(email, '')).toBeNull();
    });

    it('returns a blocked user (the caller decides and answers generically)', async () => {
      const email = uniqueEmail();
      const secret = password();
      await createOk({ email, password: secret, blocked: true });
      expect(await server.app.users.authenticate(email, secret)).toMatchObject({ email, blocked: true });
    });

    it('spends comparable time on an unknown email as on a wrong password', async () => {
      const email = uniqueEmail();
      await createOk({ email });
      const time = async (run: () => Promise<unknown>) => {
        const start = process.hrtime.bigint();
        await run();
        return Number(process.hrtime.bigint() - start) / 1e6;
      };
      await server.app.users.authenticate(uniqueEmail('warmup'), 'password'); // computes the dummy hash once
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 3; i++) {
        known.push(await time(() => server.app.users.authenticate(email, 'wrong password')));
        unknown.push(await time(() => server.app.users.authenticate(uniqueEmail('nobody'), 'wrong password')));
      }
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[1];
      // Both run one Argon2id verification (~tens of ms); a skipped one would be ~1 ms.
      expect(median(unknown)).toBeGreaterThan(median(known) / 4);
    });

    it('recordLogin stamps lastLoginAt and findById reads it', async () => {
      const user = await createOk();
      const before = Date.now();
      await server.app.users.recordLogin(uuidOf(user.id));
      const found = await server.app.users.findById(uuidOf(user.id));
      expect(found!.lastLoginAt!.getTime()).toBeGreaterThanOrEqual(before - 5000);
      const read = await gqlOk(USER, { id: user.id });
      expect(read.user.lastLoginAt).toMatch(ISO);
      expect(read.user.updatedAt).toBe(user.updatedAt);
      expect(await server.app.users.findById(randomUUID())).toBeNull();
      expect(await server.app.users.findById('not-a-uuid')).toBeNull();
    });
  });

  async function insertSession(userId: string) {
    await server.db.query(
      `INSERT INTO user_sessions (id_hash, sid, user_id, expires_at, idle_expires_at) VALUES ($1, $2, $3, now() + interval '1 hour', now() + interval '1 hour')`,
      [randomBytes(32).toString('hex'), randomBytes(16).toString('base64url'), uuidOf(userId)],
    );
  }

  const sessionsOf = (userId: string) => server.db.query('SELECT id_hash FROM user_sessions WHERE user_id = $1', [uuidOf(userId)]);

  describe('userUpdate', () => {
    it('changes the given fields only', async () => {
      const user = await createOk({ name: 'Ada', emailVerified: true });
      const payload = (await gqlOk(UPDATE, { id: user.id, input: { name: 'Ada Lovelace' } })).userUpdate;
      expect(payload.userErrors).toEqual([]);
      expect(payload.user).toMatchObject({ id: user.id, email: user.email, name: 'Ada Lovelace', emailVerified: true, blocked: false });
      const cleared = (await gqlOk(UPDATE, { id: user.id, input: { name: '' } })).userUpdate;
      expect(cleared.user.name).toBe('');
    });

    it('a new email is unverified unless emailVerified is given; a case change keeps it verified', async () => {
      const user = await createOk({ emailVerified: true });
      const recased = (await gqlOk(UPDATE, { id: user.id, input: { email: user.email.toUpperCase() } })).userUpdate;
      expect(recased.user).toMatchObject({ email: user.email.toUpperCase(), emailVerified: true });
      const moved = (await gqlOk(UPDATE, { id: user.id, input: { email: uniqueEmail('moved') } })).userUpdate;
      expect(moved.user.emailVerified).toBe(false);
      const verified = (await gqlOk(UPDATE, { id: user.id, input: { email: uniqueEmail('again'), emailVerified: true } })).userUpdate;
      expect(verified.user.emailVerified).toBe(true);
    });

    it('refuses an email another user has (any case) with TAKEN, and an invalid one with INVALID', async () => {
      const other = await createOk();
      const user = await createOk();
      const taken = (await gqlOk(UPDATE, { id: user.id, input: { email: other.email.toUpperCase() } })).userUpdate;
      expect(taken).toEqual({ user: null, userErrors: userErrors([['input', 'email'], 'TAKEN']) });
      const invalid = (await gqlOk(UPDATE, { id: user.id, input: { email: 'not an email' } })).userUpdate;
      expect(invalid).toEqual({ user: null, userErrors: userErrors([['input', 'email'], 'INVALID']) });
      expect((await gqlOk(USER, { id: user.id })).user.email).toBe(user.email);
    });

    it("blocking ends the user's login sessions in the same change; other users keep theirs", async () => {
      const user = await createOk();
      const bystander = await createOk();
      await insertSession(user.id);
      await insertSession(user.id);
      await insertSession(bystander.id);
      expect(await sessionsOf(user.id)).toHaveLength(2);
      const payload = (await gqlOk(UPDATE, { id: user.id, input: { blocked: true } })).userUpdate;
      expect(payload.userErrors).toEqual([]);
      expect(payload.user.blocked).toBe(true);
      expect(await sessionsOf(user.id)).toEqual([]);
      expect(await sessionsOf(bystander.id)).toHaveLength(1);
      // Unblocking works and signs nobody out.
      await insertSession(user.id);
      const unblocked = (await gqlOk(UPDATE, { id: user.id, input: { blocked: false } })).userUpdate;
      expect(unblocked.user.blocked).toBe(false);
      expect(await sessionsOf(user.id)).toHaveLength(1);
    });

    it('other profile changes keep the sessions', async () => {
      const user = await createOk();
      await insertSession(user.id);
      await gqlOk(UPDATE, { id: user.id, input: { name: 'Still here' } });
      expect(await sessionsOf(user.id)).toHaveLength(1);
    });

    it('NOT_FOUND at id for an unknown user or an ID of another type', async () => {
      for (const id of [globalId('User', randomUUID()), globalId('Client', randomUUID()), 'garbage']) {
        const payload = (await gqlOk(UPDATE, { id, input: { name: 'x' } })).userUpdate;
        expect(payload).toEqual({ user: null, userErrors: userErrors([['id'], 'NOT_FOUND']) });
      }
    });
  });

  describe('userDelete', () => {
    it('deletes the user with their sessions; then NOT_FOUND', async () => {
      const user = await createOk();
      await insertSession(user.id);
      const payload = (await gqlOk(DELETE, { id: user.id })).userDelete;
      expect(payload).toEqual({ deletedId: user.id, userErrors: [] });
      expect(await server.db.query('SELECT id FROM users WHERE id = $1', [uuidOf(user.id)])).toEqual([]);
      expect(await sessionsOf(user.id)).toEqual([]);
      expect((await gqlOk(USER, { id: user.id })).user).toBeNull();
      const again = (await gqlOk(DELETE, { id: user.id })).userDelete;
      expect(again).toEqual({ deletedId: null, userErrors: userErrors([['id'], 'NOT_FOUND']) });
    });

    it('frees the email for a new user', async () => {
      const email = uniqueEmail();
      const user = await createOk({ email });
      await gqlOk(DELETE, { id: user.id });
      await createOk({ email: email.toUpperCase() });
    });
  });

  describe('service contract', () => {
    it('create/update/setPassword/delete through app.users, with the same rules', async () => {
      const users = server.app.users;
      const email = uniqueEmail('svc');
      const user = await users.create({ email, password: password() }, SYSTEM_ACTOR);
      expect(user).toMatchObject({ email, emailVerified: false, blocked: false, name: '' });
      await expect(users.create({ email: email.toUpperCase() }, SYSTEM_ACTOR)).rejects.toMatchObject({
        issues: [expect.objectContaining({ code: 'TAKEN', field: ['input', 'email'] })],
      });
      await expect(users.update(randomUUID(), { name: 'x' }, SYSTEM_ACTOR)).rejects.toMatchObject({
        issues: [expect.objectContaining({ code: 'NOT_FOUND', field: ['id'] })],
      });
      await expect(users.setPassword(randomUUID(), password(), SYSTEM_ACTOR)).rejects.toMatchObject({
        issues: [expect.objectContaining({ code: 'NOT_FOUND', field: ['id'] })],
      });
      const secret = password();
      await users.setPassword(user.id, secret, SYSTEM_ACTOR);
      expect((await users.authenticate(email, secret))?.id).toBe(user.id);
      await users.delete(user.id, SYSTEM_ACTOR);
      await expect(users.delete(user.id, SYSTEM_ACTOR)).rejects.toMatchObject({
        issues: [expect.objectContaining({ code: 'NOT_FOUND', field: ['id'] })],
      });
    });
  });

  describe('users(...)', () => {
    it('pages forward and backward with cursors, oldest first, with totalCount', async () => {
      for (let i = 0; i < 3; i++) await createOk();
      const all = await server.db.query<{ id: string }>('SELECT id FROM users ORDER BY seq');
      const ids = all.map((row) => globalId('User', row.id));

      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = (await gqlOk(USERS, { first: 2, after })).users;
        expect(page.totalCount).toBe(ids.length);
        seen.push(...page.nodes.map((n: { id: string }) => n.id));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(seen).toEqual(ids);

      const last = (await gqlOk(USERS, { last: 2 })).users;
      expect(last.nodes.map((n: { id: string }) => n.id)).toEqual(ids.slice(-2));
      expect(last.pageInfo.hasPreviousPage).toBe(ids.length > 2);
      const before = (await gqlOk(USERS, { last: 1, before: last.pageInfo.startCursor })).users;
      expect(before.nodes.map((n: { id: string }) => n.id)).toEqual([ids[ids.length - 3]]);
    });

    it('filters by email: exact, whatever the case', async () => {
      const email = uniqueEmail('Filter');
      const user = await createOk({ email });
      await createOk({ email: `x${email}` });
      for (const variant of [email, email.toUpperCase()]) {
        const page = (await gqlOk(USERS, { filter: { email: variant } })).users;
        expect(page).toMatchObject({ totalCount: 1, nodes: [{ id: user.id, email }] });
      }
      const none = (await gqlOk(USERS, { filter: { email: email.slice(1) } })).users;
      expect(none).toMatchObject({ totalCount: 0, nodes: [] });
    });

    it('refuses first over 100', async () => {
      const res = await server.gql(USERS, { first: 101 });
      expect(res.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('sub', () => {
    const SUBS = `query($filter: UserFilter) { users(first: 100, filter: $filter) { totalCount nodes { id sub email } } }`;
    const findBySub = async (filter: Record<string, unknown>) => (await gqlOk(SUBS, { filter })).users;

    it('User.sub is the user uuid (what tokens carry in `sub`), and stays when the email changes', async () => {
      const user = await createOk();
      const [row] = await server.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [user.email]);
      expect(row.id).toBe(uuidOf(user.id));
      expect((await gqlOk(`query($id: ID!) { user(id: $id) { sub } }`, { id: user.id })).user).toEqual({ sub: row.id });
      const updated = await gqlOk(`mutation($id: ID!, $input: UserUpdateInput!) { userUpdate(id: $id, input: $input) { user { sub } } }`, {
        id: user.id,
        input: { email: uniqueEmail('moved') },
      });
      expect(updated.userUpdate.user.sub).toBe(row.id);
    });

    it('the `sub` of a verified access token issued for the user is User.sub, and the filter finds the user by it', async () => {
      const callback = 'https://web.example/callback';
      const api = await createApi();
      const web = await createClient({ appType: 'REGULAR_WEB', callbacks: [callback] });
      const user = await createOk();
      const verifier = randomBytes(32).toString('base64url');
      const code = await server.app.authorizationCodes.issue({
        clientUuid: uuidOf(web.id),
        userId: uuidOf(user.id),
        resourceServerId: uuidOf(api.id),
        redirectUri: callback,
        scopes: ['read:x'],
        codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
        codeChallengeMethod: 'S256',
      });
      const res = await exchangeCode(server, web, code, verifier, callback);
      expect(res.status).toBe(200);
      const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(res.body.access_token, jwks, { issuer: server.url, audience: api.identifier });

      const read = await gqlOk(`query($id: ID!) { user(id: $id) { sub } }`, { id: user.id });
      expect(read.user.sub).toBe(payload.sub);
      expect(await findBySub({ sub: payload.sub })).toEqual({
        totalCount: 1,
        nodes: [{ id: user.id, sub: payload.sub, email: user.email }],
      });
    });

    it('users(filter: { sub }) finds the user a token names, and only that user', async () => {
      const user = await createOk();
      await createOk();
      const sub = uuidOf(user.id);
      expect(await findBySub({ sub })).toEqual({ totalCount: 1, nodes: [{ id: user.id, sub, email: user.email }] });
    });

    it.each([
      ['an unknown uuid', () => randomUUID()],
      ['not a uuid', () => 'not-a-uuid'],
      ['empty', () => ''],
      ['a SQL-looking string', () => "' OR 1=1 --"],
      ['too long', () => 'x'.repeat(10_000)],
      ['a uuid with a suffix', () => `${randomUUID()}x`],
    ])('users(filter: { sub }) with %s is an empty result, not an error', async (_label, sub) => {
      await createOk();
      expect(await findBySub({ sub: sub() })).toEqual({ totalCount: 0, nodes: [] });
    });

    it('matches a sub exactly: the global id or an upper-cased uuid names no user', async () => {
      const user = await createOk();
      expect(await findBySub({ sub: user.id })).toEqual({ totalCount: 0, nodes: [] });
      expect(await findBySub({ sub: uuidOf(user.id).toUpperCase() })).toEqual({ totalCount: 0, nodes: [] });
    });

    it('the sub of a deleted user names no one', async () => {
      const user = await createOk();
      expect((await gqlOk(DELETE, { id: user.id })).userDelete.userErrors).toEqual([]);
      expect(await findBySub({ sub: uuidOf(user.id) })).toEqual({ totalCount: 0, nodes: [] });
    });

    it('a filter with email and sub matches users that have both', async () => {
      const a = await createOk();
      const b = await createOk();
      const sub = uuidOf(a.id);
      expect(await findBySub({ email: a.email.toUpperCase(), sub })).toEqual({ totalCount: 1, nodes: [{ id: a.id, sub, email: a.email }] });
      expect(await findBySub({ email: b.email, sub })).toEqual({ totalCount: 0, nodes: [] });
      expect(await findBySub({ email: a.email, sub: 'not-a-uuid' })).toEqual({ totalCount: 0, nodes: [] });
    });
  });

  describe('node(id)', () => {
    it('resolves a User by global ID', async () => {
      const user = await createOk({ name: 'Node' });
      const data = await gqlOk(`query($id: ID!) { node(id: $id) { __typename ... on User { id email name } } }`, { id: user.id });
      expect(data.node).toEqual({ __typename: 'User', id: user.id, email: user.email, name: 'Node' });
      const gone = await gqlOk(`query($id: ID!) { node(id: $id) { id } }`, { id: globalId('User', randomUUID()) });
      expect(gone.node).toBeNull();
    });

    it('needs read:users', async () => {
      const user = await createOk();
      const token = await server.managementToken(['read:clients']);
      const res = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: user.id }, token);
      expect(res.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'FORBIDDEN', missingScopes: ['read:users'] } })]);
    });
  });

  describe('scopes', () => {
    function expectForbidden(res: { status: number; body: any }, field: string, missing: string[]) {
      expect(res.status).toBe(200);
      // Null where the refused field is non-null (a connection, a payload), else the field is null.
      expect(res.body.data?.[field] ?? null).toBeNull();
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors[0].path).toEqual([field]);
      expect(res.body.errors[0].extensions).toEqual({ code: 'FORBIDDEN', missingScopes: missing });
    }

    it('reading needs read:users', async () => {
      const user = await createOk();
      const token = await server.managementToken(['create:users', 'update:users', 'delete:users']);
      expectForbidden(await server.gql(USERS, {}, token), 'users', ['read:users']);
      expectForbidden(await server.gql(USER, { id: user.id }, token), 'user', ['read:users']);
      const reader = await server.managementToken(['read:users']);
      expect((await gqlOk(USER, { id: user.id }, reader)).user.id).toBe(user.id);
    });

    it('each mutation needs its scope, and a refused one changes nothing', async () => {
      const user = await createOk({ name: 'Unchanged' });
      const reader = await server.managementToken(['read:users']);
      const email = uniqueEmail();
      expectForbidden(await server.gql(CREATE, { input: { email, password: password() } }, reader), 'userCreate', ['create:users']);
      expectForbidden(await server.gql(UPDATE, { id: user.id, input: { name: 'Changed' } }, reader), 'userUpdate', ['update:users']);
      expectForbidden(await server.gql(PASSWORD_SET, { id: user.id, input: { password: password() } }, reader), 'userPasswordSet', [
        'update:users',
      ]);
      expectForbidden(await server.gql(DELETE, { id: user.id }, reader), 'userDelete', ['delete:users']);
      expect(await server.db.query('SELECT id FROM users WHERE email = $1', [email])).toEqual([]);
      expect((await gqlOk(USER, { id: user.id })).user.name).toBe('Unchanged');

      const writer = await server.managementToken(['create:users', 'update:users', 'delete:users']);
      const created = (
        await gqlOk(
          `mutation($input: UserCreateInput!) { userCreate(input: $input) { userErrors { code } } }`,
          {
            input: { email, password: password() },
          },
          writer,
        )
      ).userCreate;
      expect(created.userErrors).toEqual([]);
      expect((await gqlOk(`mutation($id: ID!) { userDelete(id: $id) { deletedId } }`, { id: user.id }, writer)).userDelete.deletedId).toBe(
        user.id,
      );
    });
  });
});
