import * as oidc from 'openid-client';
import * as oauth from 'oauth4webapi';
import { createHash } from 'node:crypto';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import { FakeClock, startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, ClientFixture, fixtures } from '../helpers/fixtures';
import { AgentResponse, BrowserAgent, pkce, responseParams, textOf } from '../helpers/browser-agent';
import { postForm } from '../helpers/post-form';
import { exchangeCode } from '../helpers/refresh-flow';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';
import { PUSHED_REQUEST_LIFETIME_SECONDS } from '../../src/domain/authorization/pushed-authorization-request.service';
import { PUSHED_PARAMS_MAX_BYTES } from '../../src/oauth/par-endpoint';

const EMAIL = 'ada@par.example';
const PASSWORD = 'correct horse battery staple';
const WEB_CALLBACK = 'https://web.example/callback';
const SPA_CALLBACK = 'https://spa.example/callback';
const SPA_ORIGIN = 'https://spa.example';
const INSECURE = { [oauth.allowInsecureRequests]: true } as const;
const REQUEST_URI = /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/;
const REFUSED_URI = 'The request_uri is not valid: it has expired or was already used. Go back to the application and start again.';
const INVALID_CLIENT = { error: 'invalid_client', error_description: 'Client authentication failed' };

/**
 * Pushed authorization requests (RFC 9126) against the running server: openid-client's
 * buildAuthorizationUrlWithPAR and oauth4webapi's pushedAuthorizationRequest through the real
 * sign-in and consent pages, with secret, private_key_jwt and public clients; each refusal as a
 * client or an attacker meets it.
 */
describe('pushed authorization requests (RFC 9126)', () => {
  let server: TestServer;
  const clock = new FakeClock();
  const f = fixtures(() => server, 'par');
  let api: ApiFixture;
  /** First party, confidential, requires pushed requests. */
  let web: ClientFixture;
  /** Third party, public: the consent page is shown. */
  let spa: ClientFixture;

  beforeAll(async () => {
    server = await startTestServer({ clock });
    api = await f.createApi({ allowSkippingUserConsent: true, allowOfflineAccess: true });
    web = await f.createClient({ appType: 'REGULAR_WEB', callbacks: [WEB_CALLBACK], requirePushedAuthorizationRequests: true });
    spa = await f.createClient({ appType: 'SPA', callbacks: [SPA_CALLBACK], allowedOrigins: [SPA_ORIGIN], isFirstParty: false });
    await server.app.users.create({ email: EMAIL, password: PASSWORD, name: 'Ada' }, SYSTEM_ACTOR);
  });
  afterAll(async () => {
    await server?.close();
  });
  // The server's clock stands still unless moved: each test starts from the real time (client libraries sign with it).
  beforeEach(() => clock.set(new Date()));

  /** The parameters of a valid code request of `client` (PKCE), with `extra`. */
  function codeParams(client: ClientFixture, redirectUri: string, extra: Record<string, string> = {}) {
    const { verifier, challenge } = pkce();
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: redirectUri,
      audience: api.identifier,
      scope: 'openid read:x',
      state: 'st-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...extra,
    };
    return { params, verifier };
  }

  const pushAsWeb = (params: Record<string, string>, secret = web.clientSecret!) =>
    postForm(server, '/oauth/par', params, { authorization: basicAuth(web.clientId, secret) });

  /** Pushes a valid request of `web` and returns its request_uri and PKCE verifier. */
  async function pushed(extra: Record<string, string> = {}) {
    const { params, verifier } = codeParams(web, WEB_CALLBACK, extra);
    const answer = await pushAsWeb(params);
    expect(answer.status).toBe(201);
    return { requestUri: answer.body.request_uri as string, verifier };
  }

  const authorizeUrl = (clientId: string, requestUri: string, extra: Record<string, string> = {}) =>
    `/authorize?${new URLSearchParams({ client_id: clientId, request_uri: requestUri, ...extra })}`;

  /** A browser signed in (through a pushed request of `web`, whose response is discarded). */
  async function signedInBrowser(): Promise<BrowserAgent> {
    const browser = new BrowserAgent(server.url);
    const { requestUri } = await pushed();
    const login = await browser.get(authorizeUrl(web.clientId, requestUri));
    expect((await browser.follow(await browser.submit(login, { email: EMAIL, password: PASSWORD }))).status).toBe(302);
    return browser;
  }

  function expectRefusedPage(page: AgentResponse, text = REFUSED_URI) {
    expect(page.status).toBe(400);
    expect(page.location).toBeNull();
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(textOf(page.text)).toContain(text);
  }

  it('discovery names the endpoint; not required globally', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const metadata = await (await fetch(`${server.url}${path}`)).json();
      expect(metadata.pushed_authorization_request_endpoint).toBe(`${server.url}/oauth/par`);
      expect(metadata.require_pushed_authorization_requests).toBe(false);
    }
  });

  it('openid-client buildAuthorizationUrlWithPAR: code + PKCE + nonce through sign-in, for a client that requires pushed requests', async () => {
    const config = await oidc.discovery(new URL(server.url), web.clientId, {}, oidc.ClientSecretBasic(web.clientSecret!), {
      execute: [oidc.allowInsecureRequests],
    });
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const state = oidc.randomState();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: WEB_CALLBACK,
      scope: 'openid email read:x',
      audience: api.identifier,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
      state,
    });
    // Only client_id and request_uri reach the browser.
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(url.searchParams.get('request_uri')).toMatch(REQUEST_URI);

    const browser = new BrowserAgent(server.url);
    const login = await browser.get(url.href);
    expect(login.status).toBe(200);
    const posted = await browser.submit(login, { email: EMAIL, password: PASSWORD });
    expect(posted.status).toBe(303);
    // The request continues after sign-in without its parameters in the clear.
    const continuation = new URL(posted.location!, server.url);
    expect([...continuation.searchParams.keys()]).toEqual(['pushed_request']);
    expect(posted.location).not.toContain(encodeURIComponent(WEB_CALLBACK));
    expect(posted.location).not.toContain(state);
    const callback = await browser.follow(posted);
    expect(callback.status).toBe(302);
    expect(callback.location!.startsWith(`${WEB_CALLBACK}?`)).toBe(true);

    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.location!), {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      expectedState: state,
      idTokenExpected: true,
    });
    expect(tokens.claims()!.nonce).toBe(nonce);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: expect.arrayContaining([api.identifier]), scope: 'openid email read:x' });

    // Signed in now: a second pushed request answers at once (no form), and its request_uri is spent.
    const second = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: WEB_CALLBACK,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const answered = await browser.get(second.href);
    expect(answered.status).toBe(302);
    expect(responseParams(answered.location!).code).toBeDefined();
    expectRefusedPage(await browser.get(second.href));
  });

  it('oauth4webapi pushedAuthorizationRequest by a public client (none): the consent page, then the code', async () => {
    const issuer = new URL(server.url);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...INSECURE }));
    const client: oauth.Client = { client_id: spa.clientId };
    const verifier = oauth.generateRandomCodeVerifier();
    const response = await oauth.pushedAuthorizationRequest(
      as,
      client,
      oauth.None(),
      {
        redirect_uri: SPA_CALLBACK,
        response_type: 'code',
        scope: 'read:x',
        audience: api.identifier,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      },
      INSECURE,
    );
    const { request_uri, expires_in } = await oauth.processPushedAuthorizationResponse(as, client, response);
    expect(expires_in).toBe(PUSHED_REQUEST_LIFETIME_SECONDS);

    const browser = await signedInBrowser();
    const consent = await browser.get(authorizeUrl(spa.clientId, request_uri));
    expect(consent.status).toBe(200);
    expect(consent.text).toContain('/authorize/consent');
    const answered = await browser.submit(consent, { decision: 'allow' });
    expect(answered.status).toBe(303);
    const callback = new URL(answered.location!);
    expect(callback.origin + callback.pathname).toBe(SPA_CALLBACK);
    const params = oauth.validateAuthResponse(as, client, callback);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, SPA_CALLBACK, verifier, INSECURE),
    );
    expect(decodeJwt(tokens.access_token).scope).toBe('read:x');
  });

  it('private_key_jwt clients push with an assertion (openid-client PrivateKeyJwt)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const keyed = await f.createClient({
      appType: 'REGULAR_WEB',
      callbacks: [WEB_CALLBACK],
      tokenEndpointAuthMethod: 'PRIVATE_KEY_JWT',
      jwks: { keys: [jwk] },
    });
    const config = await oidc.discovery(new URL(server.url), keyed.clientId, {}, oidc.PrivateKeyJwt({ key: privateKey, kid: 'k1' }), {
      execute: [oidc.allowInsecureRequests],
    });
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: WEB_CALLBACK,
      scope: 'read:x',
      audience: api.identifier,
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    expect(url.searchParams.get('request_uri')).toMatch(REQUEST_URI);
  });

  it('201 with a request_uri of 256 random bits, stored only as its SHA-256 digest, no-store', async () => {
    const { params } = codeParams(web, WEB_CALLBACK);
    const answer = await pushAsWeb(params);
    expect(answer.status).toBe(201);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toEqual({ request_uri: expect.stringMatching(REQUEST_URI), expires_in: 60 });
    const handle = answer.body.request_uri.split(':').at(-1);
    const rows = await server.db.query<{ request_hash: string; params: [string, string][] }>(
      `SELECT request_hash, params FROM pushed_authorization_requests WHERE request_hash = $1`,
      [createHash('sha256').update(handle).digest('hex')],
    );
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(handle);
    // What the client asked for, without its credentials.
    expect(Object.fromEntries(rows[0].params)).toEqual(params);
  });

  it('a request_uri is single use: a second /authorize with it gets an error page, not a redirect', async () => {
    const { requestUri } = await pushed();
    const browser = new BrowserAgent(server.url);
    expect((await browser.get(authorizeUrl(web.clientId, requestUri))).status).toBe(200);
    expectRefusedPage(await browser.get(authorizeUrl(web.clientId, requestUri)));
    expectRefusedPage(await new BrowserAgent(server.url).get(authorizeUrl(web.clientId, requestUri)));
    // Two browsers at once: one gets the request, the other the error page.
    const raced = await pushed();
    const pages = await Promise.all([1, 2].map(() => new BrowserAgent(server.url).get(authorizeUrl(web.clientId, raced.requestUri))));
    expect(pages.map((page) => page.status).sort()).toEqual([200, 400]);
  });

  it('the pushed parameters only: others on the URL are ignored', async () => {
    const { requestUri, verifier } = await pushed({ state: 'pushed-state' });
    const browser = await signedInBrowser();
    const page = await browser.get(
      authorizeUrl(web.clientId, requestUri, {
        redirect_uri: 'https://attacker.example/cb',
        state: 'url-state',
        scope: 'openid read:x write:x',
        response_type: 'token',
      }),
    );
    expect(page.status).toBe(302);
    expect(page.location!.startsWith(`${WEB_CALLBACK}?`)).toBe(true);
    const response = responseParams(page.location!);
    expect(response.state).toBe('pushed-state');
    const tokens = await exchangeCode(server, web, response.code, verifier, WEB_CALLBACK);
    expect(tokens.status).toBe(200);
    expect(decodeJwt(tokens.body.access_token).scope).toBe('openid read:x');
  });

  it("another client's request_uri is refused (and stays its client's); so are unknown ones and a missing client_id", async () => {
    const { requestUri } = await pushed();
    expectRefusedPage(await new BrowserAgent(server.url).get(authorizeUrl(spa.clientId, requestUri)));
    expect((await new BrowserAgent(server.url).get(authorizeUrl(web.clientId, requestUri))).status).toBe(200);
    expectRefusedPage(
      await new BrowserAgent(server.url).get(authorizeUrl(web.clientId, `urn:ietf:params:oauth:request_uri:${'A'.repeat(43)}`)),
    );
    expectRefusedPage(await new BrowserAgent(server.url).get(authorizeUrl(web.clientId, 'https://attacker.example/request.jwt')));
    expectRefusedPage(
      await new BrowserAgent(server.url).get(`/authorize?${new URLSearchParams({ request_uri: requestUri })}`),
      'The client_id parameter is missing.',
    );
  });

  it('the continuation after sign-in works only in the browser that signed in, and not once tampered with', async () => {
    const { requestUri } = await pushed();
    const browser = new BrowserAgent(server.url);
    const login = await browser.get(authorizeUrl(web.clientId, requestUri));
    const posted = await browser.submit(login, { email: EMAIL, password: PASSWORD });
    expect(posted.status).toBe(303);
    const expired = 'This form has expired or is not valid. Go back to the application and start again.';
    expectRefusedPage(await new BrowserAgent(server.url).get(posted.location!), expired);
    const sealed = new URL(posted.location!, server.url).searchParams.get('pushed_request')!;
    const flipped = `${sealed.slice(0, 40)}${sealed[40] === 'A' ? 'B' : 'A'}${sealed.slice(41)}`;
    expectRefusedPage(await browser.get(`/authorize?${new URLSearchParams({ pushed_request: flipped })}`), expired);
    expect((await browser.get(posted.location!)).status).toBe(302);
  });

  it('a request of the largest size pushed continues after sign-in (its sealed continuation fits in a URL)', async () => {
    const { params, verifier } = codeParams(web, WEB_CALLBACK, { state: 's'.repeat(4000), login_hint: '' });
    const bytes = (values: Record<string, string>) => Buffer.byteLength(JSON.stringify(Object.entries(values)));
    params.login_hint = 'h'.repeat(PUSHED_PARAMS_MAX_BYTES - bytes({ ...params, login_hint: '' }));
    expect(bytes(params)).toBe(PUSHED_PARAMS_MAX_BYTES);
    const answer = await pushAsWeb(params);
    expect(answer.status).toBe(201);
    const browser = new BrowserAgent(server.url);
    const login = await browser.get(authorizeUrl(web.clientId, answer.body.request_uri));
    const callback = await browser.follow(await browser.submit(login, { email: EMAIL, password: PASSWORD }));
    expect(callback.status).toBe(302);
    const response = responseParams(callback.location!);
    expect(response.state).toBe(params.state);
    expect((await exchangeCode(server, web, response.code, verifier, WEB_CALLBACK)).status).toBe(200);
  });

  it('a client that requires pushed requests: /authorize with the parameters in the URL is refused', async () => {
    const { params } = codeParams(web, WEB_CALLBACK);
    const page = await new BrowserAgent(server.url).get(`/authorize?${new URLSearchParams(params)}`);
    expect(page.status).toBe(302);
    expect(responseParams(page.location!)).toMatchObject({
      error: 'invalid_request',
      error_description: 'This application must push its authorization requests to the pushed authorization request endpoint',
      state: 'st-1',
    });
    // Other clients are unaffected.
    const spaPage = await new BrowserAgent(server.url).get(`/authorize?${new URLSearchParams(codeParams(spa, SPA_CALLBACK).params)}`);
    expect(spaPage.status).toBe(200);
  });

  it('client authentication as at the token endpoint: a wrong secret or none at all is invalid_client', async () => {
    const { params } = codeParams(web, WEB_CALLBACK);
    const wrong = await pushAsWeb(params, 'not-the-secret');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual(INVALID_CLIENT);
    expect(wrong.headers.get('www-authenticate')).toContain('Basic');
    // A confidential client naming itself without credentials (as a public client would): told its method.
    const bare = await postForm(server, '/oauth/par', params);
    expect(bare.status).toBe(401);
    expect(bare.body).toEqual({ error: 'invalid_client', error_description: 'This client is registered for client_secret_basic' });
    expect(
      await server.db.query(`SELECT 1 FROM pushed_authorization_requests WHERE params::text LIKE $1`, [`%${params.code_challenge}%`]),
    ).toEqual([]);
  });

  it("/authorize's validation, answered as JSON errors (never redirected)", async () => {
    const refusals: [Record<string, string>, string, string][] = [
      [
        { redirect_uri: 'https://attacker.example/cb' },
        'invalid_request',
        'The redirect_uri is not one of the application’s registered callback URLs.',
      ],
      [
        { code_challenge: '', code_challenge_method: '' },
        'invalid_request',
        'code_challenge required (PKCE with code_challenge_method=S256)',
      ],
      [{ code_challenge_method: 'plain' }, 'invalid_request', 'code_challenge_method must be S256'],
      [{ response_type: 'id_token' }, 'unsupported_response_type', 'response_type must be code or token'],
      [{ response_type: 'token', nonce: 'n' }, 'unauthorized_client', 'This application may not use the implicit grant'],
      [{ prompt: 'none login' }, 'invalid_request', 'prompt=none cannot be combined with other values'],
      [{ audience: 'https://unknown.example' }, 'invalid_target', expect.any(String)],
      [{ client_id: spa.clientId }, 'invalid_request', 'client_id in the body does not match the Authorization header'],
      [{ request_uri: 'urn:ietf:params:oauth:request_uri:x' }, 'invalid_request', 'request_uri cannot be pushed'],
      [{ request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported', 'Request objects (the request parameter) are not supported'],
      [
        { state: 'x'.repeat(4000), nonce: 'y'.repeat(4000), login_hint: 'z'.repeat(500) },
        'invalid_request',
        `The pushed authorization request is too large (at most ${PUSHED_PARAMS_MAX_BYTES} bytes of parameters)`,
      ],
    ];
    for (const [change, error, description] of refusals) {
      const answer = await pushAsWeb(codeParams(web, WEB_CALLBACK, change).params);
      expect({ change, status: answer.status, body: answer.body, cache: answer.headers.get('cache-control') }).toEqual({
        change,
        status: 400,
        body: { error, error_description: description },
        cache: 'no-store',
      });
    }
  });

  it('CORS like the token endpoint: the preflight and the answer for an origin the client allows', async () => {
    const preflight = await fetch(`${server.url}/oauth/par`, {
      method: 'OPTIONS',
      headers: { origin: SPA_ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(SPA_ORIGIN);
    const { params } = codeParams(spa, SPA_CALLBACK);
    const allowed = await postForm(server, '/oauth/par', params, { origin: SPA_ORIGIN });
    expect(allowed.status).toBe(201);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(SPA_ORIGIN);
    const other = await postForm(server, '/oauth/par', params, { origin: 'https://elsewhere.example' });
    expect(other.status).toBe(401);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('requirePushedAuthorizationRequests through GraphQL: default false, updated, audited', async () => {
    const created = await f.gqlData(
      `mutation($input: ClientCreateInput!) { clientCreate(input: $input) { client { id requirePushedAuthorizationRequests } userErrors { message } } }`,
      { input: { name: 'par toggle', appType: 'SPA', callbacks: [SPA_CALLBACK] } },
    );
    const { id, requirePushedAuthorizationRequests } = created.clientCreate.client;
    expect(requirePushedAuthorizationRequests).toBe(false);
    const updated = await f.gqlData(
      `mutation($id: ID!) { clientUpdate(id: $id, input: { requirePushedAuthorizationRequests: true }) { client { requirePushedAuthorizationRequests } userErrors { message } } }`,
      { id },
    );
    expect(updated.clientUpdate).toEqual({ client: { requirePushedAuthorizationRequests: true }, userErrors: [] });
    // Changing it takes update:clients; reading it, read:clients.
    const reader = await server.managementToken(['read:clients']);
    const refused = await server.gql(
      `mutation($id: ID!) { clientUpdate(id: $id, input: { requirePushedAuthorizationRequests: false }) { userErrors { message } } }`,
      { id },
      reader,
    );
    expect(refused.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(refused.body.errors?.[0].message).toContain('update:clients');
    const read = await server.gql(`query($id: ID!) { client(id: $id) { requirePushedAuthorizationRequests } }`, { id }, reader);
    expect(read.body).toEqual({ data: { client: { requirePushedAuthorizationRequests: true } } });
    const events = await f.gqlData(`query($id: ID!) { auditEvents(first: 5, filter: { targetId: $id }) { nodes { operation summary } } }`, {
      id,
    });
    expect(events.auditEvents.nodes).toEqual(
      expect.arrayContaining([
        { operation: 'clientUpdate', summary: { requirePushedAuthorizationRequests: true } },
        { operation: 'clientCreate', summary: expect.objectContaining({ requirePushedAuthorizationRequests: false }) },
      ]),
    );
  });

  it('a request_uri expires after PUSHED_REQUEST_LIFETIME_SECONDS by the clock; housekeeping removes it', async () => {
    const live = await pushed();
    const late = await pushed();
    clock.advance(PUSHED_REQUEST_LIFETIME_SECONDS - 1);
    expect((await new BrowserAgent(server.url).get(authorizeUrl(web.clientId, live.requestUri))).status).toBe(200);
    clock.advance(1);
    expectRefusedPage(await new BrowserAgent(server.url).get(authorizeUrl(web.clientId, late.requestUri)));
    expect((await server.app.housekeeping.runOnce()).pushedAuthorizationRequests).toBeGreaterThanOrEqual(1);
    expect(await server.db.query(`SELECT 1 FROM pushed_authorization_requests WHERE expires_at <= $1`, [clock.now()])).toEqual([]);
  });
});
