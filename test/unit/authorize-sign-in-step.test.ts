import { SecretBox } from '../../src/crypto/secret-box';
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../src/crypto/random';
import {
  delayAfter,
  FAILURE_WINDOW_SECONDS,
  FIRST_DELAY_SECONDS,
  LoginThrottleService,
  MAX_DELAY_SECONDS,
} from '../../src/domain/sign-in/login-throttle.service';
import { PasswordHasher } from '../../src/domain/user/password';
import { UserService } from '../../src/domain/user/user.service';
import { WorkLimiter } from '../../src/lib/work-limiter';
import { SessionService } from '../../src/domain/sign-in/session.service';
import { AUTHORIZE_ROUTES, InteractionForms, InteractionRoutes } from '../../src/oauth/authorize/interaction';
import {
  clearedSessionCookie,
  currentSignIn,
  sessionCookie,
  sessionIdFromCookies,
  signIn,
  SignInDeps,
  signInForm,
} from '../../src/oauth/authorize/sign-in-step';
import { ACCOUNT_AT_IP_FAILURE_LIMIT, IP_FAILURE_LIMIT } from '../../src/oauth/authorize/throttle';
import { openTransaction, TX_ID, TX_LIFETIME_SECONDS } from '../../src/oauth/authorize/transaction';
import { DomainServices, openDomainServices } from '../helpers/domain-services';
import { FakeClock } from '../helpers/test-app';

const PASSWORD = 'correct horse battery staple';
const SESSION_LIFETIME_SECONDS = 86_400;
const SESSION_IDLE_TIMEOUT_SECONDS = 86_400;
/** The signed-in user's id of a session id, or null. */
const currentUser = async (deps: SignInDeps, sessionId: string | undefined) => (await currentSignIn(deps, sessionId))?.user ?? null;

describe('/authorize sign-in step (real sessions, throttle and users; a fake clock)', () => {
  const clock = new FakeClock();
  let services: DomainServices;
  let deps: SignInDeps;
  let ip = 0;
  /** A fresh client address per test, so address counts do not carry over. */
  const nextIp = () => `192.0.2.${++ip}`;

  beforeAll(async () => {
    services = await openDomainServices(clock);
    deps = {
      users: services.users,
      sessions: new SessionService(services.dataSource, clock, {
        lifetimeSeconds: SESSION_LIFETIME_SECONDS,
        idleTimeoutSeconds: SESSION_IDLE_TIMEOUT_SECONDS,
      }),
      throttle: new LoginThrottleService(services.dataSource, clock),
    };
  });
  afterAll(async () => {
    await services.close();
  });

  const failures = (key: string) =>
    services.db.query<{ failures: number; locked_until: Date | null }>(`SELECT failures, locked_until FROM login_failures WHERE key = $1`, [
      key,
    ]);

  it('signs in with the right password: a new session (stored as a digest) for the user, whose login is recorded', async () => {
    const user = await services.createUser('ada@example.com', PASSWORD);
    const result = await signIn(deps, { email: ' Ada@Example.com ', password: PASSWORD, ip: nextIp() }, undefined);
    expect(result).toEqual({
      status: 'signed-in',
      user: expect.objectContaining({ id: user.id }),
      sessionId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    if (result.status !== 'signed-in') throw new Error('not signed in');
    const [row] = await services.db.query<any>(`SELECT * FROM user_sessions WHERE id_hash = $1`, [sha256Hex(result.sessionId)]);
    expect(row).toMatchObject({
      user_id: user.id,
      created_at: clock.now(),
      expires_at: new Date(clock.now().getTime() + SESSION_LIFETIME_SECONDS * 1000),
      idle_expires_at: new Date(clock.now().getTime() + SESSION_IDLE_TIMEOUT_SECONDS * 1000),
      // The public id: never the cookie's secret, nor derived from it.
      sid: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    });
    expect(row.sid).not.toBe(result.sessionId);
    const signedIn = await currentSignIn(deps, result.sessionId);
    expect(signedIn?.session).toEqual({ userId: user.id, sid: row.sid, authTime: clock.now() });
    expect((await currentUser(deps, result.sessionId))?.id).toBe(user.id);
    expect((await services.users.findById(user.id))!.lastLoginAt).not.toBeNull();
  });

  it('a sign-in ends the previous session of the browser (no fixation)', async () => {
    await services.createUser('grace@example.com', PASSWORD);
    const first = await signIn(deps, { email: 'grace@example.com', password: PASSWORD, ip: nextIp() }, undefined);
    if (first.status !== 'signed-in') throw new Error('not signed in');
    const second = await signIn(deps, { email: 'grace@example.com', password: PASSWORD, ip: nextIp() }, first.sessionId);
    if (second.status !== 'signed-in') throw new Error('not signed in');
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(await currentUser(deps, first.sessionId)).toBeNull();
    expect(await currentUser(deps, second.sessionId)).not.toBeNull();
  });

  it('a session lasts SESSION_LIFETIME_SECONDS by the clock', async () => {
    await services.createUser('linus@example.com', PASSWORD);
    const result = await signIn(deps, { email: 'linus@example.com', password: PASSWORD, ip: nextIp() }, undefined);
    if (result.status !== 'signed-in') throw new Error('not signed in');
    clock.advance(SESSION_LIFETIME_SECONDS - 1);
    expect(await currentUser(deps, result.sessionId)).not.toBeNull();
    clock.advance(1);
    expect(await currentUser(deps, result.sessionId)).toBeNull();
  });

  it('no user for a malformed, unknown or missing session id, nor for a blocked user', async () => {
    expect(await currentUser(deps, undefined)).toBeNull();
    expect(await currentUser(deps, 'not-a-session')).toBeNull();
    expect(await currentUser(deps, 'A'.repeat(43))).toBeNull();
    const user = await services.createUser('blocked-later@example.com', PASSWORD);
    const result = await signIn(deps, { email: 'blocked-later@example.com', password: PASSWORD, ip: nextIp() }, undefined);
    if (result.status !== 'signed-in') throw new Error('not signed in');
    await services.db.query(`UPDATE users SET blocked = true WHERE id = $1`, [user.id]);
    expect(await currentUser(deps, result.sessionId)).toBeNull();
  });

  it('refuses a wrong password, an unknown email and a blocked user alike, counting against the account at the address and the address', async () => {
    await services.createUser('eve@example.com', PASSWORD, { blocked: true });
    const address = nextIp();
    for (const [email, password] of [
      ['ada@example.com', 'wrong password!'],
      ['nobody@example.com', PASSWORD],
      ['eve@example.com', PASSWORD],
      ['', PASSWORD],
    ]) {
      expect(await signIn(deps, { email, password, ip: address }, undefined)).toEqual({ status: 'refused' });
    }
    expect(await failures(`account-ip:${address}|ada@example.com`)).toEqual([{ failures: 1, locked_until: null }]);
    expect(await failures(`account-ip:${address}|nobody@example.com`)).toEqual([{ failures: 1, locked_until: null }]);
    expect(await failures(`account-ip:${address}|eve@example.com`)).toEqual([{ failures: 1, locked_until: null }]);
    // An empty email counts against the address only.
    expect(await failures(`account-ip:${address}|`)).toEqual([]);
    expect(await failures(`ip:${address}`)).toEqual([{ failures: 4, locked_until: null }]);
    expect(
      await services.db.query(`SELECT 1 FROM user_sessions WHERE user_id = (SELECT id FROM users WHERE email = 'eve@example.com')`),
    ).toEqual([]);
    // A success forgets the account's count at the address, and does not count against the address.
    expect((await signIn(deps, { email: 'Ada@Example.com', password: PASSWORD, ip: address }, undefined)).status).toBe('signed-in');
    expect(await failures(`account-ip:${address}|ada@example.com`)).toEqual([]);
    expect(await failures(`ip:${address}`)).toEqual([{ failures: 4, locked_until: null }]);
  });

  it(`after ${ACCOUNT_AT_IP_FAILURE_LIMIT} failures of an account at one address, each further attempt there waits a doubling delay by the clock, even with the right password; elsewhere the owner signs in`, async () => {
    await services.createUser('throttled@example.com', PASSWORD);
    const attacker = nextIp();
    const owner = nextIp();
    const key = `account-ip:${attacker}|throttled@example.com`;
    const at = (seconds: number) => new Date(clock.now().getTime() + seconds * 1000);
    for (let i = 0; i < ACCOUNT_AT_IP_FAILURE_LIMIT; i++) {
      expect(await signIn(deps, { email: 'throttled@example.com', password: `wrong ${i} password`, ip: attacker }, undefined)).toEqual({
        status: 'refused',
      });
    }
    expect(await failures(key)).toEqual([{ failures: ACCOUNT_AT_IP_FAILURE_LIMIT, locked_until: at(FIRST_DELAY_SECONDS) }]);
    expect(await signIn(deps, { email: 'THROTTLED@example.com', password: PASSWORD, ip: attacker }, undefined)).toEqual({
      status: 'throttled',
      retryAfterSeconds: 1,
    });
    // The owner, from their own address, is not delayed; the attacker's pair stays delayed.
    expect((await signIn(deps, { email: 'throttled@example.com', password: PASSWORD, ip: owner }, undefined)).status).toBe('signed-in');
    expect(await failures(key)).toEqual([{ failures: ACCOUNT_AT_IP_FAILURE_LIMIT, locked_until: at(1) }]);

    // Each attempt once the delay is over doubles the next one: 1, 2, 4, 8 … seconds.
    for (const delay of [1, 2, 4, 8, 16]) {
      clock.advance(delay - 1);
      expect(await signIn(deps, { email: 'throttled@example.com', password: 'wrong password!', ip: attacker }, undefined)).toEqual({
        status: 'throttled',
        retryAfterSeconds: 1,
      });
      clock.advance(1);
      expect(await signIn(deps, { email: 'throttled@example.com', password: 'wrong password!', ip: attacker }, undefined)).toEqual({
        status: 'refused',
      });
      expect((await failures(key))[0].locked_until).toEqual(at(delay * 2));
    }
    // Refused attempts did not count.
    expect((await failures(key))[0].failures).toBe(ACCOUNT_AT_IP_FAILURE_LIMIT + 5);
    clock.advance(32);
    expect((await signIn(deps, { email: 'throttled@example.com', password: PASSWORD, ip: attacker }, undefined)).status).toBe('signed-in');
    expect(await failures(key)).toEqual([]);
  });

  it('the delay doubles up to MAX_DELAY_SECONDS', () => {
    expect([0, 4, 5, 6, 7].map((attempts) => delayAfter(attempts, 5))).toEqual([0, 0, 1, 2, 4]);
    expect(delayAfter(5 + 9, 5)).toBe(512);
    expect(delayAfter(5 + 10, 5)).toBe(MAX_DELAY_SECONDS);
    expect(delayAfter(5 + 1000, 5)).toBe(MAX_DELAY_SECONDS);
  });

  it('counts attempts within FAILURE_WINDOW_SECONDS of the first; a window over (and any delay over as long) starts over', async () => {
    const address = nextIp();
    const key = `account-ip:${address}|slow@example.com`;
    const attempt = () => signIn(deps, { email: 'slow@example.com', password: 'wrong password!', ip: address }, undefined);
    for (let i = 0; i < ACCOUNT_AT_IP_FAILURE_LIMIT - 1; i++) await attempt();
    clock.advance(FAILURE_WINDOW_SECONDS);
    expect(await attempt()).toEqual({ status: 'refused' });
    expect(await failures(key)).toEqual([{ failures: 1, locked_until: null }]);

    // Delayed: a window over does not start over while the delay ended less than a window ago.
    for (let i = 1; i < ACCOUNT_AT_IP_FAILURE_LIMIT; i++) await attempt();
    expect((await failures(key))[0].failures).toBe(ACCOUNT_AT_IP_FAILURE_LIMIT);
    clock.advance(FAILURE_WINDOW_SECONDS);
    expect(await attempt()).toEqual({ status: 'refused' });
    expect((await failures(key))[0]).toEqual({
      failures: ACCOUNT_AT_IP_FAILURE_LIMIT + 1,
      locked_until: new Date(clock.now().getTime() + 2000),
    });
    clock.advance(2 + FAILURE_WINDOW_SECONDS);
    expect(await attempt()).toEqual({ status: 'refused' });
    expect(await failures(key)).toEqual([{ failures: 1, locked_until: null }]);
  });

  it(`after ${IP_FAILURE_LIMIT} failures from one address, whatever the accounts, each further attempt from it waits`, async () => {
    await services.createUser('fresh@example.com', PASSWORD);
    const address = nextIp();
    for (let i = 0; i < IP_FAILURE_LIMIT; i++) {
      // No email: nothing to check, only the address counts.
      expect(await signIn(deps, { email: '', password: 'x', ip: address }, undefined)).toEqual({ status: 'refused' });
    }
    expect(await signIn(deps, { email: 'fresh@example.com', password: PASSWORD, ip: address }, undefined)).toEqual({
      status: 'throttled',
      retryAfterSeconds: 1,
    });
    expect((await signIn(deps, { email: 'fresh@example.com', password: PASSWORD, ip: nextIp() }, undefined)).status).toBe('signed-in');
    clock.advance(1);
    expect((await signIn(deps, { email: 'fresh@example.com', password: PASSWORD, ip: address }, undefined)).status).toBe('signed-in');
  });

  it('however many attempts arrive at once, no more than the limits check a password', async () => {
    await services.createUser('crowd@example.com', PASSWORD);
    const address = nextIp();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        signIn(deps, { email: 'crowd@example.com', password: `wrong ${i} password`, ip: address }, undefined),
      ),
    );
    expect(results.filter((r) => r.status === 'refused')).toHaveLength(ACCOUNT_AT_IP_FAILURE_LIMIT);
    expect(results.filter((r) => r.status === 'throttled')).toHaveLength(30 - ACCOUNT_AT_IP_FAILURE_LIMIT);
    expect(await failures(`account-ip:${address}|crowd@example.com`)).toEqual([
      { failures: ACCOUNT_AT_IP_FAILURE_LIMIT, locked_until: new Date(clock.now().getTime() + 1000) },
    ]);

    // Many accounts from one address: the address's limit.
    const sprayer = nextIp();
    const sprayed = await Promise.all(
      Array.from({ length: 2 * IP_FAILURE_LIMIT }, (_, i) =>
        signIn(deps, { email: `spray-${i}@example.com`, password: 'wrong password!', ip: sprayer }, undefined),
      ),
    );
    expect(sprayed.filter((r) => r.status === 'refused')).toHaveLength(IP_FAILURE_LIMIT);
    expect(sprayed.filter((r) => r.status === 'throttled')).toHaveLength(IP_FAILURE_LIMIT);
  });

  it('busy: with every password-check slot taken and no room to wait, nothing is checked and nothing counted', async () => {
    const work = new WorkLimiter({ concurrency: 1, queue: 0 });
    const busyDeps: SignInDeps = {
      ...deps,
      users: new UserService(services.dataSource, { publish: async () => {} }, services.audit, new PasswordHasher(work)),
    };
    await services.createUser('patient@example.com', PASSWORD);
    const address = nextIp();
    let release!: () => void;
    const held = work.run(() => new Promise<void>((resolve) => (release = resolve)));
    for (let i = 0; i < ACCOUNT_AT_IP_FAILURE_LIMIT + 1; i++) {
      expect(await signIn(busyDeps, { email: 'patient@example.com', password: PASSWORD, ip: address }, undefined)).toEqual({
        status: 'busy',
      });
    }
    expect(await failures(`account-ip:${address}|patient@example.com`)).toEqual([{ failures: 0, locked_until: null }]);
    expect(await failures(`ip:${address}`)).toEqual([{ failures: 0, locked_until: null }]);
    release();
    await held;
    expect((await signIn(busyDeps, { email: 'patient@example.com', password: PASSWORD, ip: address }, undefined)).status).toBe('signed-in');
  });

  it('the session cookie: the whole site, HttpOnly, SameSite=Lax, as long as the session; Secure and __Host- on https', () => {
    expect(sessionCookie('S'.repeat(43), false, SESSION_LIFETIME_SECONDS)).toBe(
      `apiauth_session=${'S'.repeat(43)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_LIFETIME_SECONDS}`,
    );
    expect(sessionCookie('S'.repeat(43), true, SESSION_LIFETIME_SECONDS)).toBe(
      `__Host-apiauth_session=${'S'.repeat(43)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_LIFETIME_SECONDS}; Secure`,
    );
    expect(clearedSessionCookie(true)).toBe('__Host-apiauth_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure');
    // Read back under the same name only: on https a plain-named cookie (planted over http, or by a sibling host) is none.
    expect(sessionIdFromCookies('__Host-apiauth_session=a; apiauth_session=b', true)).toBe('a');
    expect(sessionIdFromCookies('apiauth_session=b', true)).toBeUndefined();
    expect(sessionIdFromCookies('__Host-apiauth_session=a; apiauth_session=b', false)).toBe('b');
  });

  describe('the sign-in form', () => {
    const box = new SecretBox(randomBytes(32));
    const forms = new InteractionForms({ box, clock, secure: false });
    const params: [string, string][] = [
      ['client_id', 'c'],
      ['state', 's'],
    ];

    it('posts to the flow’s sign-in route, with the request sealed (expiring by the clock) and a new CSRF cookie', () => {
      const { page, setCookies } = signInForm(forms, AUTHORIZE_ROUTES, undefined, {
        params,
        applicationName: 'App',
        redirectUri: 'https://app.example/cb',
      });
      expect(page).toMatchObject({
        action: '/authorize/login',
        applicationName: 'App',
        redirectUri: 'https://app.example/cb',
        csrf: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      });
      expect(setCookies).toEqual([`apiauth_csrf=${page.csrf}; Path=/; HttpOnly; SameSite=Lax`]);
      const now = clock.now().getTime();
      expect(openTransaction(box, page.tx, 'login', now)).toEqual({
        id: expect.stringMatching(TX_ID),
        kind: 'login',
        params,
        csrf: page.csrf,
        exp: Math.floor(now / 1000) + TX_LIFETIME_SECONDS,
      });
      expect(openTransaction(box, page.tx, 'consent', now)).toBeNull();

      const fields = new Map([
        ['tx', page.tx],
        ['csrf', page.csrf],
      ]);
      const cookie = `apiauth_csrf=${page.csrf}`;
      expect(forms.open(cookie, fields, 'login')?.params).toEqual(params);
      expect(forms.open(`apiauth_csrf=${'x'.repeat(43)}`, fields, 'login')).toBeNull();
      expect(forms.open(cookie, fields, 'consent')).toBeNull();
      clock.advance(TX_LIFETIME_SECONDS);
      expect(forms.open(cookie, fields, 'login')).toBeNull();
    });

    it('keeps the browser’s CSRF cookie, and follows other routes (a device-verification page)', () => {
      const device: InteractionRoutes = { continuePath: '/device', signInAction: '/device/login', consentAction: '/device/consent' };
      const csrf = 'C'.repeat(43);
      const { page, setCookies } = signInForm(forms, device, `apiauth_csrf=${csrf}`, {
        params: [['user_code', 'ABCD-EFGH']],
        applicationName: 'TV',
        email: 'ada@example.com',
        error: 'Nope',
      });
      expect(setCookies).toEqual([]);
      expect(page).toMatchObject({ action: '/device/login', csrf, email: 'ada@example.com', error: 'Nope', redirectUri: undefined });
      // One CSRF cookie for the whole site, whichever flow sets it.
      expect(signInForm(forms, device, undefined, { params: [], applicationName: 'TV' }).setCookies[0]).toMatch(/; Path=\/;/);
    });
  });
});
