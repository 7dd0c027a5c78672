import { FakeClock, startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, ClientFixture, fixtures } from '../helpers/fixtures';
import { AgentResponse, BrowserAgent, pkce, textOf } from '../helpers/browser-agent';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';
import { ACCOUNT_AT_IP_FAILURE_LIMIT, IP_FAILURE_LIMIT } from '../../src/oauth/authorize/throttle';
import { BUSY, WRONG_CREDENTIALS } from '../../src/oauth/authorize/endpoint';

/**
 * Sign-in throttling over real HTTP, under concurrency: attempts are reserved before any password
 * is checked, so a flood checks no more passwords than the limits allow; delays are per account at
 * an address (never a lock of the account) and per address; password hashing has a process-wide
 * cap answered with 503. Time moves with a FakeClock only: nothing here depends on timing.
 */

const PASSWORD = 'correct horse battery staple';
const CB = 'https://web.example/cb';
const TOO_MANY_1S = 'Too many attempts. Try again in 1 second.';

/** Starts a server with a first-party web client and an API that skips consent, and its users. */
async function startServer(env: Record<string, string>, emails: string[], clock?: FakeClock) {
  const server = await startTestServer({ env, clock });
  const f = fixtures(() => server, 'throttle');
  const api: ApiFixture = await f.createApi({ allowSkippingUserConsent: true });
  const web: ClientFixture = await f.createClient({
    appType: 'REGULAR_WEB',
    isFirstParty: true,
    grantTypes: ['AUTHORIZATION_CODE'],
    callbacks: [CB],
  });
  for (const email of emails) await server.app.users.create({ email, password: PASSWORD }, SYSTEM_ACTOR);
  const authorizeUrl = () =>
    `/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: web.clientId,
      redirect_uri: CB,
      audience: api.identifier,
      scope: 'read:x',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    })}`;
  return { server, authorizeUrl };
}

const statusCounts = (answers: AgentResponse[]) =>
  answers.reduce<Record<number, number>>((counts, a) => ({ ...counts, [a.status]: (counts[a.status] ?? 0) + 1 }), {});

function expectTooMany(answer: AgentResponse, seconds = 1) {
  expect(answer.status).toBe(429);
  expect(answer.headers.get('retry-after')).toBe(String(seconds));
  expect(textOf(answer.text)).toContain(seconds === 1 ? TOO_MANY_1S : `Too many attempts. Try again in ${seconds} seconds.`);
  expect(textOf(answer.text)).not.toContain(WRONG_CREDENTIALS);
}

function expectWrongCredentials(answer: AgentResponse) {
  expect(answer.status).toBe(200);
  expect(textOf(answer.text)).toContain(WRONG_CREDENTIALS);
}

describe('sign-in throttling behind a proxy (TRUST_PROXY=1: each agent has its own forwarded address)', () => {
  const clock = new FakeClock();
  let server: TestServer;
  let authorizeUrl: () => string;
  /** A browser whose requests reach the service through the proxy from `ip`. */
  const browserAt = (ip: string) => new BrowserAgent(server.url, { 'x-forwarded-for': ip });

  beforeAll(async () => {
    ({ server, authorizeUrl } = await startServer({ TRUST_PROXY: '1' }, ['victim@example.com', 'owner@example.com'], clock));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('100 concurrent wrong passwords for one account from one address (one form): only the limit is checked, the rest are 429 at once', async () => {
    const attacker = browserAt('198.51.100.7');
    const form = await attacker.get(authorizeUrl());
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => attacker.submit(form, { email: 'victim@example.com', password: `wrong guess ${i}!` })),
    );
    expect(statusCounts(answers)).toEqual({ 200: ACCOUNT_AT_IP_FAILURE_LIMIT, 429: 100 - ACCOUNT_AT_IP_FAILURE_LIMIT });
    for (const answer of answers) {
      if (answer.status === 200) expectWrongCredentials(answer);
      else expectTooMany(answer);
    }

    // The right password, sent now (concurrently too), is refused: the limit is reached.
    const right = await Promise.all(
      Array.from({ length: 10 }, () => attacker.submit(form, { email: 'victim@example.com', password: PASSWORD })),
    );
    for (const answer of right) expectTooMany(answer);
    expect(attacker.cookie('apiauth_session')).toBeUndefined();

    // Meanwhile the owner signs in from their own address.
    const owner = browserAt('203.0.113.9');
    expect((await owner.submit(await owner.get(authorizeUrl()), { email: 'victim@example.com', password: PASSWORD })).status).toBe(303);
    expectTooMany(await attacker.submit(form, { email: 'victim@example.com', password: PASSWORD }));

    // Once the delay has passed, the right password signs in from that address too.
    clock.advance(1);
    expect((await attacker.submit(form, { email: 'victim@example.com', password: PASSWORD })).status).toBe(303);
  });

  it('an attacker hammering an account from many addresses never delays its owner at their own address', async () => {
    const addresses = ['198.51.100.21', '198.51.100.22', '198.51.100.23', '2001:db8::24'];
    await Promise.all(
      addresses.map(async (ip) => {
        const attacker = browserAt(ip);
        const form = await attacker.get(authorizeUrl());
        const answers = await Promise.all(
          Array.from({ length: ACCOUNT_AT_IP_FAILURE_LIMIT + 5 }, () =>
            attacker.submit(form, { email: 'owner@example.com', password: 'not it!' }),
          ),
        );
        expect(statusCounts(answers)).toEqual({ 200: ACCOUNT_AT_IP_FAILURE_LIMIT, 429: 5 });
      }),
    );
    const owner = browserAt('203.0.113.50');
    const form = await owner.get(authorizeUrl());
    // A typo first: the owner's own count starts from zero.
    expectWrongCredentials(await owner.submit(form, { email: 'owner@example.com', password: 'typo!' }));
    expect((await owner.submit(form, { email: 'owner@example.com', password: PASSWORD })).status).toBe(303);
  });

  it(`the address limit applies across accounts: ${IP_FAILURE_LIMIT} checks from one address, whatever the accounts`, async () => {
    const sprayer = browserAt('198.51.100.99');
    const form = await sprayer.get(authorizeUrl());
    const answers = await Promise.all(
      Array.from({ length: 2 * IP_FAILURE_LIMIT }, (_, i) =>
        sprayer.submit(form, { email: `spray-${i}@example.com`, password: 'wrong guess!' }),
      ),
    );
    expect(statusCounts(answers)).toEqual({ 200: IP_FAILURE_LIMIT, 429: IP_FAILURE_LIMIT });
    for (const answer of answers) if (answer.status === 429) expectTooMany(answer);
    // A real account from that address waits too; from another address it signs in.
    expectTooMany(await sprayer.submit(form, { email: 'owner@example.com', password: PASSWORD }));
    const elsewhere = browserAt('203.0.113.51');
    expect((await elsewhere.submit(await elsewhere.get(authorizeUrl()), { email: 'owner@example.com', password: PASSWORD })).status).toBe(
      303,
    );
  });

  it('counts by the forwarded address: the one the trusted proxy saw (the last of X-Forwarded-For), never the proxy’s', async () => {
    const client = new BrowserAgent(server.url, { 'x-forwarded-for': '10.9.9.9, 192.0.2.77' });
    const form = await client.get(authorizeUrl());
    expectWrongCredentials(await client.submit(form, { email: 'nobody@example.com', password: 'wrong guess!' }));
    const keys = (
      await server.db.query<{ key: string }>(`SELECT key FROM login_failures WHERE key LIKE '%192.0.2.77%' OR key LIKE '%10.9.9.9%'`)
    ).map((r) => r.key);
    expect(keys.sort()).toEqual(['account-ip:192.0.2.77|nobody@example.com', 'ip:192.0.2.77']);
    expect(await server.db.query(`SELECT key FROM login_failures WHERE key LIKE '%127.0.0.1%'`)).toEqual([]);
  });
});

describe('sign-in throttling without TRUST_PROXY', () => {
  let server: TestServer;
  let authorizeUrl: () => string;

  beforeAll(async () => {
    ({ server, authorizeUrl } = await startServer({}, ['ada@example.com']));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('ignores X-Forwarded-For: every attempt counts against the connection’s address', async () => {
    const agents = Array.from(
      { length: IP_FAILURE_LIMIT + 1 },
      (_, i) => new BrowserAgent(server.url, { 'x-forwarded-for': `198.51.100.${i + 1}` }),
    );
    for (const [i, agent] of agents.slice(0, IP_FAILURE_LIMIT).entries()) {
      // A different account each time: only the address's limit can be reached.
      expectWrongCredentials(
        await agent.submit(await agent.get(authorizeUrl()), { email: `spray-${i}@example.com`, password: 'wrong guess!' }),
      );
    }
    // The address's limit, reached with "different" forwarded addresses.
    const last = agents[IP_FAILURE_LIMIT];
    expectTooMany(await last.submit(await last.get(authorizeUrl()), { email: 'ada@example.com', password: PASSWORD }));
    expect(await server.db.query(`SELECT key, failures FROM login_failures WHERE key LIKE 'ip:%'`)).toEqual([
      { key: 'ip:127.0.0.1', failures: IP_FAILURE_LIMIT },
    ]);
  });
});

describe('the Argon2 cap (PASSWORD_HASH_CONCURRENCY=1, PASSWORD_HASH_QUEUE=1)', () => {
  let server: TestServer;
  let authorizeUrl: () => string;
  let release: () => void = () => {};
  let held: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    ({ server, authorizeUrl } = await startServer({ PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '1' }, ['patient@example.com']));
  });
  afterEach(async () => {
    release();
    await held;
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Occupies the one slot (and `queued` places of the queue) with work that ends on `release()`. */
  function occupy(queued = 0) {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const pieces = Array.from({ length: 1 + queued }, () => server.app.passwordWork.run(() => gate));
    release = open;
    held = Promise.all(pieces).then(() => undefined);
    expect([server.app.passwordWork.active, server.app.passwordWork.queued]).toEqual([1, queued]);
  }

  /** Resolves with the first `count` answers to settle, in the order they settle. */
  function firstSettled<T>(promises: Promise<T>[], count: number): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const settled: T[] = [];
      for (const promise of promises) {
        promise.then((value) => {
          settled.push(value);
          if (settled.length === count) resolve(settled);
        }, reject);
      }
    });
  }

  it('a flood while the slot is busy: one sign-in waits its turn, the others are 503 with Retry-After at once, none a 500', async () => {
    occupy();
    const agent = new BrowserAgent(server.url);
    const form = await agent.get(authorizeUrl());
    const flood = Array.from({ length: 10 }, (_, i) => agent.submit(form, { email: `flood-${i}@example.com`, password: 'wrong guess!' }));
    const refused = await firstSettled(flood, 9);
    for (const answer of refused) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('2');
      expect(textOf(answer.text)).toContain(BUSY);
    }
    expect(server.app.passwordWork.queued).toBe(1);
    release();
    const answers = await Promise.all(flood);
    expect(statusCounts(answers)).toEqual({ 200: 1, 503: 9 });
    expectWrongCredentials(answers.find((a) => a.status === 200)!);
  });

  it('a sign-in answered 503 is not counted: the owner signs in once the work is done', async () => {
    occupy(1);
    const agent = new BrowserAgent(server.url);
    const form = await agent.get(authorizeUrl());
    for (let i = 0; i < ACCOUNT_AT_IP_FAILURE_LIMIT + 2; i++) {
      const answer = await agent.submit(form, { email: 'patient@example.com', password: PASSWORD });
      expect([answer.status, answer.headers.get('retry-after')]).toEqual([503, '2']);
    }
    release();
    await held;
    expect((await agent.submit(form, { email: 'patient@example.com', password: PASSWORD })).status).toBe(303);
  });

  it('password mutations share the cap: SERVICE_UNAVAILABLE beyond it, nothing written; a user without password needs no hashing', async () => {
    const token = await server.managementToken();
    const create = (input: Record<string, unknown>) =>
      server.gql(`mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id } userErrors { code } } }`, { input }, token);
    const existing = (await create({ email: 'hashless@example.com' })).body.data.userCreate.user.id;
    const [before] = await server.db.query<{ password_hash: string | null }>(
      `SELECT password_hash FROM users WHERE email = 'patient@example.com'`,
    );
    occupy(1);

    const created = await create({ email: 'busy@example.com', password: PASSWORD });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      data: null,
      errors: [
        {
          message: 'The server is busy hashing passwords; nothing was changed. Try again in a few seconds.',
          path: ['userCreate'],
          locations: expect.any(Array),
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        },
      ],
    });
    const passwordSet = await server.gql(
      `mutation($id: ID!, $input: UserPasswordSetInput!) { userPasswordSet(id: $id, input: $input) { user { id } userErrors { code } } }`,
      { id: existing, input: { password: 'another long password' } },
      token,
    );
    expect(passwordSet.body.errors?.[0].extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
    expect((await create({ email: 'also-hashless@example.com' })).body.data.userCreate.userErrors).toEqual([]);

    expect(await server.db.query(`SELECT 1 FROM users WHERE email = 'busy@example.com'`)).toEqual([]);
    expect(await server.db.query(`SELECT password_hash FROM users WHERE email = 'hashless@example.com'`)).toEqual([
      { password_hash: null },
    ]);
    expect(await server.db.query(`SELECT password_hash FROM users WHERE email = 'patient@example.com'`)).toEqual([before]);
    release();
    await held;
    expect((await create({ email: 'busy@example.com', password: PASSWORD })).body.data.userCreate.userErrors).toEqual([]);
  });
});
