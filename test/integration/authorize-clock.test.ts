import { FakeClock, startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, ClientFixture, fixtures } from '../helpers/fixtures';
import { BrowserAgent, parseForms, pkce, responseParams, textOf } from '../helpers/browser-agent';
import { exchangeCode } from '../helpers/refresh-flow';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';
import { CODE_LIFETIME_SECONDS } from '../../src/domain/authorization/authorization-code.service';
import { ACCOUNT_AT_IP_FAILURE_LIMIT } from '../../src/oauth/authorize/throttle';
import { TX_LIFETIME_SECONDS } from '../../src/oauth/authorize/transaction';

/**
 * /authorize's time decisions read the service's clock: sessions, forms, codes and sign-in locks
 * end when the clock says so, without sleeping and whatever the database's own time.
 */
describe('/authorize on the injected clock', () => {
  let server: TestServer;
  const clock = new FakeClock();
  const f = fixtures(() => server, 'authz-clock');
  let api: ApiFixture;
  let web: ClientFixture;
  const CB = 'https://web.example/cb';
  const PASSWORD = 'correct horse battery staple';
  const SESSION_LIFETIME_SECONDS = 86_400;
  const SESSION_IDLE_TIMEOUT_SECONDS = 3_600;

  beforeAll(async () => {
    server = await startTestServer({
      clock,
      env: {
        SESSION_LIFETIME_SECONDS: String(SESSION_LIFETIME_SECONDS),
        SESSION_IDLE_TIMEOUT_SECONDS: String(SESSION_IDLE_TIMEOUT_SECONDS),
      },
    });
    api = await f.createApi({ allowSkippingUserConsent: true });
    web = await f.createClient({ appType: 'REGULAR_WEB', isFirstParty: true, grantTypes: ['AUTHORIZATION_CODE'], callbacks: [CB] });
    await server.app.users.create({ email: 'ada@example.com', password: PASSWORD }, SYSTEM_ACTOR);
  });
  afterAll(async () => {
    await server?.close();
  });

  function codeRequest() {
    const { verifier, challenge } = pkce();
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: web.clientId,
      redirect_uri: CB,
      audience: api.identifier,
      scope: 'read:x',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    return { url: `/authorize?${query}`, verifier };
  }

  async function signedIn(): Promise<BrowserAgent> {
    const agent = new BrowserAgent(server.url);
    const login = await agent.get(codeRequest().url);
    const posted = await agent.submit(login, { email: 'ada@example.com', password: PASSWORD });
    expect(posted.status).toBe(303);
    return agent;
  }

  it('a session in use ends after SESSION_LIFETIME_SECONDS by the clock: the sign-in page again', async () => {
    const agent = await signedIn();
    // Used every 50 minutes: never idle, yet it ends at its absolute lifetime.
    const step = SESSION_IDLE_TIMEOUT_SECONDS - 600;
    let elapsed = 0;
    while (elapsed + step < SESSION_LIFETIME_SECONDS) {
      clock.advance(step);
      elapsed += step;
      expect((await agent.get(codeRequest().url)).status).toBe(302);
    }
    clock.advance(SESSION_LIFETIME_SECONDS - 1 - elapsed);
    expect((await agent.get(codeRequest().url)).status).toBe(302);
    clock.advance(1);
    const again = await agent.get(codeRequest().url);
    expect(again.status).toBe(200);
    expect(parseForms(again.text)[0].action).toBe('/authorize/login');
  });

  it('a session unused for SESSION_IDLE_TIMEOUT_SECONDS ends; each use moves the idle timeout on', async () => {
    const agent = await signedIn();
    clock.advance(SESSION_IDLE_TIMEOUT_SECONDS - 1);
    expect((await agent.get(codeRequest().url)).status).toBe(302);
    // Counted from that use, not from the sign-in.
    clock.advance(SESSION_IDLE_TIMEOUT_SECONDS - 1);
    expect((await agent.get(codeRequest().url)).status).toBe(302);
    clock.advance(SESSION_IDLE_TIMEOUT_SECONDS);
    const again = await agent.get(codeRequest().url);
    expect(again.status).toBe(200);
    expect(parseForms(again.text)[0].action).toBe('/authorize/login');
  });

  it('a code can be exchanged until CODE_LIFETIME_SECONDS by the clock, not after', async () => {
    const agent = await signedIn();
    const first = codeRequest();
    const res = await agent.get(first.url);
    clock.advance(CODE_LIFETIME_SECONDS - 1);
    expect((await exchangeCode(server, web, responseParams(res.location!).code, first.verifier, CB)).status).toBe(200);

    const second = codeRequest();
    const late = await agent.get(second.url);
    clock.advance(CODE_LIFETIME_SECONDS);
    const refused = await exchangeCode(server, web, responseParams(late.location!).code, second.verifier, CB);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: 'invalid_grant', error_description: 'The authorization code is invalid or expired' });
  });

  it('a sign-in form expires after TX_LIFETIME_SECONDS by the clock', async () => {
    const agent = new BrowserAgent(server.url);
    const login = await agent.get(codeRequest().url);
    clock.advance(TX_LIFETIME_SECONDS);
    const posted = await agent.submit(login, { email: 'ada@example.com', password: PASSWORD });
    expect(posted.status).toBe(400);
    expect(textOf(posted.text)).toContain('This form has expired or is not valid.');
  });

  it('the delay of an account at an address runs on the clock, and doubles with each further attempt', async () => {
    const agent = new BrowserAgent(server.url);
    const login = await agent.get(codeRequest().url);
    const attempt = (password: string) => agent.submit(login, { email: 'ada@example.com', password });
    for (let i = 0; i < ACCOUNT_AT_IP_FAILURE_LIMIT; i++) expect((await attempt(`wrong ${i} password`)).status).toBe(200);
    const first = await attempt(PASSWORD);
    expect([first.status, first.headers.get('retry-after')]).toEqual([429, '1']);
    clock.advance(1);
    expect((await attempt('wrong again password')).status).toBe(200);
    const second = await attempt(PASSWORD);
    expect([second.status, second.headers.get('retry-after')]).toEqual([429, '2']);
    expect(textOf(second.text)).toContain('Too many attempts. Try again in 2 seconds.');
    clock.advance(1);
    expect((await attempt(PASSWORD)).headers.get('retry-after')).toBe('1');
    clock.advance(1);
    expect((await attempt(PASSWORD)).status).toBe(303);
  });
});
