import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, ClientFixture, fixtures } from '../helpers/fixtures';
import { BrowserAgent, responseParams } from '../helpers/browser-agent';
import { atHash } from '../../src/oauth/tokens/id-token';

const ACTOR = { subject: 'test', clientId: null, requestId: null };
const EMAIL = 'ada@oidc.example';
const PASSWORD = 'correct horse battery staple';
const CALLBACK = 'https://web.example/callback';
const LOGGED_OUT = 'https://web.example/logged-out';

/**
 * openid-client (panva, v6) as a server-side web app against the running server: discovery from
 * the issuer URL, code + PKCE + nonce with the ID token validated by the library, userinfo,
 * refresh (a new ID token for the same sub), and RP-initiated logout ending the session.
 */
describe('openid-client: a server-side web app signs users in', () => {
  let server: TestServer;
  const f = fixtures(() => server, 'oidc-rp');
  let api: ApiFixture;
  let web: ClientFixture;
  let userId: string;

  beforeAll(async () => {
    server = await startTestServer();
    api = await f.createApi({ allowOfflineAccess: true, allowSkippingUserConsent: true, tokenDialect: 'ACCESS_TOKEN' });
    web = await f.createClient({
      appType: 'REGULAR_WEB',
      callbacks: [CALLBACK],
      allowedLogoutUrls: [LOGGED_OUT],
    });
    userId = (await server.app.users.create({ email: EMAIL, password: PASSWORD, name: 'Ada Lovelace' }, ACTOR)).id;
  });
  afterAll(async () => {
    await server?.close();
  });

  const discover = (metadata: Partial<oidc.ClientMetadata> = {}, clientId = web.clientId, secret = web.clientSecret!) =>
    oidc.discovery(new URL(server.url), clientId, metadata, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] });

  /** Signs in through the real pages and returns the callback URL the browser is sent to. */
  async function authorize(browser: BrowserAgent, url: URL): Promise<URL> {
    let page = await browser.get(url.href);
    if (page.status === 200) page = await browser.follow(await browser.submit(page, { email: EMAIL, password: PASSWORD }));
    expect(page.status).toBe(302);
    return new URL(page.location!);
  }

  async function signIn(config: oidc.Configuration, params: Record<string, string>, browser = new BrowserAgent(server.url)) {
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
      state,
      ...params,
    });
    const callback = await authorize(browser, url);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      expectedState: state,
      idTokenExpected: true,
    });
    return { tokens, nonce, browser };
  }

  it('discovery, code + PKCE + nonce, userinfo, refresh with a new ID token for the same sub, logout', async () => {
    const config = await discover();
    expect(config.serverMetadata().issuer).toBe(server.url);
    const { tokens, nonce, browser } = await signIn(config, {
      scope: 'openid profile email offline_access read:x',
      audience: api.identifier,
    });

    // The ID token, as the library validated it (signature, iss, aud, exp, nonce).
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({
      iss: server.url,
      sub: userId,
      aud: web.clientId,
      azp: web.clientId,
      nonce,
      name: 'Ada Lovelace',
      email: EMAIL,
      email_verified: false,
      sid: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      at_hash: atHash('RS256', tokens.access_token),
    });
    expect(typeof claims.auth_time).toBe('number');
    expect(claims.exp - claims.iat).toBe(36_000);
    expect(decodeProtectedHeader(tokens.id_token!)).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    // The access token: for the API, and for the userinfo endpoint (it carries openid).
    expect(tokens.scope).toBe('openid profile email read:x');
    const access = decodeJwt(tokens.access_token);
    expect(access.aud).toEqual([api.identifier, `${server.url}/userinfo`]);
    // The API checks its audience as before: jose with the API's identifier accepts it.
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    await expect(jwtVerify(tokens.access_token, jwks, { issuer: server.url, audience: api.identifier })).resolves.toBeDefined();

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(userinfo).toEqual({ sub: userId, name: 'Ada Lovelace', updated_at: expect.any(Number), email: EMAIL, email_verified: false });

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    const again = refreshed.claims()!;
    expect(again).toMatchObject({ sub: userId, aud: web.clientId, sid: claims.sid, auth_time: claims.auth_time });
    expect(again.nonce).toBeUndefined();
    expect(refreshed.refresh_token).toBeDefined();

    // Logout: back to the registered URI with state; the session is gone (prompt=none: login_required).
    const logoutUrl = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: LOGGED_OUT,
      state: 'bye',
    });
    expect(logoutUrl.href.startsWith(`${server.url}/oidc/logout?`)).toBe(true);
    const loggedOut = await browser.get(logoutUrl.href);
    expect(loggedOut.status).toBe(303);
    expect(loggedOut.location).toBe(`${LOGGED_OUT}?state=bye`);
    const silent = await browser.get(
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: CALLBACK,
        scope: 'openid',
        prompt: 'none',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      }).href,
    );
    expect(silent.status).toBe(302);
    expect(responseParams(silent.location!)).toMatchObject({ error: 'login_required' });
  });

  it('without an API: the access token is for the userinfo endpoint only', async () => {
    const config = await discover();
    const { tokens } = await signIn(config, { scope: 'openid email' });
    expect(tokens.scope).toBe('openid email');
    expect(decodeJwt(tokens.access_token).aud).toBe(`${server.url}/userinfo`);
    expect(await oidc.fetchUserInfo(config, tokens.access_token, userId)).toEqual({ sub: userId, email: EMAIL, email_verified: false });
  });

  it('a nonce that does not match is visible to the client: the library refuses the ID token', async () => {
    const config = await discover();
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce: 'the-nonce-sent',
    });
    const callback = await authorize(new BrowserAgent(server.url), url);
    const refused = await oidc
      .authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedNonce: 'another-nonce', idTokenExpected: true })
      .then(
        () => null,
        (error: unknown) => error,
      );
    // The ID token carries the nonce the request sent; the client compares it with the one it expects.
    expect(refused).toBeInstanceOf(oidc.ClientError);
    const detail = ((refused as Error).cause as Error & { cause: { claim: string; expected: string; claims: { nonce: string } } }).cause;
    expect(detail).toMatchObject({ claim: 'nonce', expected: 'another-nonce', claims: { nonce: 'the-nonce-sent' } });
  });

  it('openid not asked: no ID token (a plain OAuth response)', async () => {
    const config = await discover();
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'read:x',
      audience: api.identifier,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const callback = await authorize(new BrowserAgent(server.url), url);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier });
    expect(tokens.id_token).toBeUndefined();
    expect(tokens.scope).toBe('read:x');
    expect(decodeJwt(tokens.access_token).aud).toBe(api.identifier);
    // Without openid the userinfo endpoint refuses it.
    await expect(oidc.fetchUserInfo(config, tokens.access_token, userId)).rejects.toThrow();
  });

  it('each ID token algorithm a client may choose is verified by the library from the published JWKS', async () => {
    for (const alg of ['PS256', 'ES256', 'EdDSA'] as const) {
      const client = await f.createClient({
        appType: 'REGULAR_WEB',
        callbacks: [CALLBACK],
        idTokenSigningAlgorithm: alg,
        idTokenLifetime: 600,
      });
      const config = await discover({ id_token_signed_response_alg: alg }, client.clientId, client.clientSecret!);
      const { tokens } = await signIn(config, { scope: 'openid' });
      expect(decodeProtectedHeader(tokens.id_token!).alg).toBe(alg);
      const claims = tokens.claims()!;
      expect(claims.exp - claims.iat).toBe(600);
      expect(claims.at_hash).toBe(atHash(alg, tokens.access_token));
    }
  });
});
