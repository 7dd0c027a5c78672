import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../src/crypto/secret-box';
import type { ClientEntity } from '../../src/domain/client/client.entity';
import {
  ConsentDeps,
  consentDecision,
  consentForm,
  ConsentSubject,
  recordConsent,
  scopesToConfirm,
  spendConsentForm,
} from '../../src/oauth/authorize/consent-step';
import { AUTHORIZE_ROUTES, InteractionForms, InteractionRoutes } from '../../src/oauth/authorize/interaction';
import { openTransaction, TX_LIFETIME_SECONDS } from '../../src/oauth/authorize/transaction';
import { UsedTransactionService } from '../../src/domain/authorization/used-transaction.service';
import type { CachedApi } from '../../src/oauth/registry';
import { STANDARD_SCOPE_DESCRIPTIONS } from '../../src/oauth/standard-scopes';
import { DomainServices, openDomainServices } from '../helpers/domain-services';
import { FakeClock } from '../helpers/test-app';

describe('/authorize consent step (real consents and scopes)', () => {
  const clock = new FakeClock();
  const box = new SecretBox(randomBytes(32));
  const forms = new InteractionForms({ box, clock, secure: true });
  let services: DomainServices;
  let deps: ConsentDeps;
  let api: CachedApi;
  let skippingApi: CachedApi;
  let thirdParty: ClientEntity;
  let firstParty: ClientEntity;
  let user: { id: string; email: string };

  beforeAll(async () => {
    services = await openDomainServices(clock);
    deps = {
      userGrants: services.userGrants,
      resourceServers: services.resourceServers,
      usedTransactions: new UsedTransactionService(services.dataSource),
    };
    api = await services.createApi({
      name: 'Photos',
      allowSkippingUserConsent: false,
      scopes: [
        { value: 'read:photos', description: 'See your photos' },
        { value: 'write:photos', description: 'Change your photos' },
        { value: 'bare' },
      ],
    });
    skippingApi = await services.createApi({ allowSkippingUserConsent: true, scopes: [{ value: 'read:x' }] });
    thirdParty = await services.createClient({ name: 'Print Shop', isFirstParty: false });
    firstParty = await services.createClient({ name: 'Our App', isFirstParty: true });
    user = await services.createUser('ada@example.com', 'correct horse battery staple');
  });
  afterAll(async () => {
    await services.close();
  });

  const subject = (change: Partial<ConsentSubject> = {}): ConsentSubject => ({
    client: thirdParty,
    api,
    scopes: ['read:photos'],
    loopbackRedirect: false,
    promptConsent: false,
    ...change,
  });

  it('asks for what the user has not consented to; an allowed consent is recorded and not asked again', async () => {
    expect(await scopesToConfirm(deps, user.id, subject())).toEqual(['read:photos']);
    await recordConsent(deps, user.id, subject());
    expect(await scopesToConfirm(deps, user.id, subject())).toBeNull();
    // A new scope: only it is asked; the consent grows (a union).
    expect(await scopesToConfirm(deps, user.id, subject({ scopes: ['read:photos', 'write:photos'] }))).toEqual(['write:photos']);
    await recordConsent(deps, user.id, subject({ scopes: ['write:photos'] }));
    expect(await services.userGrants.consentedScopes(user.id, thirdParty.id, api.server.id)).toEqual(['read:photos', 'write:photos']);
    // prompt=consent asks again for everything requested.
    expect(await scopesToConfirm(deps, user.id, subject({ promptConsent: true }))).toEqual(['read:photos']);
  });

  it('a first-party client skips consent where the API allows it, but not to a loopback redirect', async () => {
    expect(await scopesToConfirm(deps, user.id, subject({ client: firstParty, api: skippingApi, scopes: ['read:x'] }))).toBeNull();
    expect(
      await scopesToConfirm(deps, user.id, subject({ client: firstParty, api: skippingApi, scopes: ['read:x'], loopbackRedirect: true })),
    ).toEqual(['read:x']);
    expect(await scopesToConfirm(deps, user.id, subject({ client: firstParty }))).toEqual(['read:photos']);
  });

  it('the consent page: the API’s scope descriptions (offline_access described here), posting to the flow’s consent route', async () => {
    const params: [string, string][] = [['client_id', thirdParty.clientId]];
    const { page, setCookies } = await consentForm(deps, forms, AUTHORIZE_ROUTES, undefined, {
      user,
      subject: subject(),
      ask: ['write:photos', 'bare', 'offline_access'],
      params,
      redirectUri: 'https://app.example/cb',
    });
    expect(page).toEqual({
      action: '/authorize/consent',
      applicationName: 'Print Shop',
      apiName: 'Photos',
      userEmail: 'ada@example.com',
      scopes: [
        { value: 'write:photos', description: 'Change your photos' },
        { value: 'bare', description: '' },
        { value: 'offline_access', description: STANDARD_SCOPE_DESCRIPTIONS.offline_access },
      ],
      tx: expect.any(String),
      csrf: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      redirectUri: 'https://app.example/cb',
    });
    expect(setCookies).toEqual([`__Host-apiauth_csrf=${page.csrf}; Path=/; HttpOnly; SameSite=Lax; Secure`]);
    // The answer counts only for the user who was shown the page.
    expect(openTransaction(box, page.tx, 'consent', clock.now().getTime())).toMatchObject({
      kind: 'consent',
      params,
      userId: user.id,
      csrf: page.csrf,
    });
  });

  it('a request naming no scope is asked once, with an empty list; other routes (a device-verification page) are followed', async () => {
    const other = await services.createClient({ isFirstParty: false });
    const device: InteractionRoutes = { continuePath: '/device', signInAction: '/device/login', consentAction: '/device/consent' };
    const ask = await scopesToConfirm(deps, user.id, subject({ client: other, scopes: [] }));
    expect(ask).toEqual([]);
    const { page } = await consentForm(deps, forms, device, undefined, {
      user,
      subject: subject({ client: other, scopes: [] }),
      ask: ask!,
      params: [],
    });
    expect(page).toMatchObject({ action: '/device/consent', scopes: [], redirectUri: undefined });
  });

  it('a consent form is spent once: a second answer (a replay, a double click) is refused, also when both come at once', async () => {
    const form = async () => {
      const { page } = await consentForm(deps, forms, AUTHORIZE_ROUTES, undefined, {
        user,
        subject: subject(),
        ask: ['read:photos'],
        params: [],
      });
      return openTransaction(box, page.tx, 'consent', clock.now().getTime())!;
    };
    const tx = await form();
    expect(await spendConsentForm(deps, tx)).toBe(true);
    expect(await spendConsentForm(deps, tx)).toBe(false);
    // Remembered a minute past the form's expiry (instances whose clocks lag still refuse it).
    const [row] = await services.dataSource.query(`SELECT expires_at FROM used_transactions WHERE id = $1`, [tx.id]);
    expect(row.expires_at.getTime()).toBe((tx.exp + 60) * 1000);
    expect(tx.exp * 1000).toBeGreaterThanOrEqual(clock.now().getTime() + (TX_LIFETIME_SECONDS - 1) * 1000);
    // Another form is its own.
    const other = await form();
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => spendConsentForm(deps, other)));
    expect(concurrent.filter(Boolean)).toHaveLength(1);
  });

  it('the decision field: allow or deny, nothing else', () => {
    expect(consentDecision('allow')).toBe('allow');
    expect(consentDecision('deny')).toBe('deny');
    expect(consentDecision('ALLOW')).toBeNull();
    expect(consentDecision(undefined)).toBeNull();
  });
});
