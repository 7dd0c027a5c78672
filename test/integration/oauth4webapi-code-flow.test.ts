import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, ClientFixture, fixtures } from '../helpers/fixtures';

const ACTOR = { subject: 'test', clientId: null, requestId: null };
const EMAIL = 'grace@flow.example';
const PASSWORD = 'correct horse battery staple';
const WEB_CALLBACK = 'https://web.example/callback';
const SPA_CALLBACK = 'https://spa.example/callback';
const INSECURE = { [oauth.allowInsecureRequests]: true } as const;

/** A minimal browser: a cookie jar, no redirect following (each hop is looked at). */
class Browser {
  private cookies = new Map<string, string>();

  constructor(private readonly base: string) {}

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(new URL(url, this.base), {
      method: init.method ?? 'GET',
      headers,
      body: init.form ? new URLSearchParams(init.form).toString() : undefined,
      redirect: 'manual',
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }
}

const unescapeHtml = (value: string) =>
  value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

function hiddenField(html: string, name: string): string {
  const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(html);
  if (!match) throw new Error(`no hidden field ${name} in: ${html.slice(0, 500)}`);
  return unescapeHtml(match[1]);
}

describe('oauth4webapi: authorization code + PKCE against the server', () => {
  let server: TestServer;
  const { createApi, createClient } = fixtures(() => server, 'flow');
  let api: ApiFixture;
  let web: ClientFixture; // first party: no consent page (the API allows skipping it)
  let spa: ClientFixture; // third party: the user is asked
  let userId: string;

  beforeAll(async () => {
    server = await startTestServer();
    api = await createApi({ tokenDialect: 'RFC9068_PROFILE' });
    web = await createClient({ appType: 'REGULAR_WEB', callbacks: [WEB_CALLBACK] });
    spa = await createClient({ appType: 'SPA', callbacks: [SPA_CALLBACK], isFirstParty: false });
    userId = (await server.app.users.create({ email: EMAIL, password: PASSWORD }, ACTOR)).id;
  });
  afterAll(async () => {
    await server.close();
  });

  async function discover(): Promise<oauth.AuthorizationServer> {
    const issuer = new URL(server.url);
    const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...INSECURE });
    return oauth.processDiscoveryResponse(issuer, response);
  }

  /**
   * Drives /authorize as a browser would: the sign-in form, then the consent form if one is shown,
   * and returns the URL the server redirected to (the client's callback with the response).
   */
  async function signInAndAuthorize(authorizationUrl: URL, expectConsent: boolean): Promise<URL> {
    const browser = new Browser(server.url);
    const login = await browser.request(authorizationUrl.href);
    expect(login.status).toBe(200);
    const loginHtml = await login.text();
    let response = await browser.request('/authorize/login', {
      method: 'POST',
      form: { tx: hiddenField(loginHtml, 'tx'), csrf: hiddenField(loginHtml, 'csrf'), email: EMAIL, password: PASSWORD },
    });
    expect(response.status).toBe(303);
    response = await browser.request(response.headers.get('location')!);
    expect(response.status).toBe(expectConsent ? 200 : 302);
    if (expectConsent) {
      const consentHtml = await response.text();
      expect(consentHtml).toContain('/authorize/consent');
      response = await browser.request('/authorize/consent', {
        method: 'POST',
        form: { tx: hiddenField(consentHtml, 'tx'), csrf: hiddenField(consentHtml, 'csrf'), decision: 'allow' },
      });
    }
    expect([302, 303]).toContain(response.status);
    return new URL(response.headers.get('location')!);
  }

  async function codeFlow(client: oauth.Client, clientAuth: oauth.ClientAuth, redirectUri: string, expectConsent: boolean) {
    const as = await discover();
    expect(as.authorization_endpoint).toBe(`${server.url}/authorize`);
    expect(as.code_challenge_methods_supported).toContain('S256');

    const codeVerifier = oauth.generateRandomCodeVerifier();
    const codeChallenge = await oauth.calculatePKCECodeChallenge(codeVerifier);
    const state = oauth.generateRandomState();
    const authorizationUrl = new URL(as.authorization_endpoint!);
    authorizationUrl.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirectUri,
      scope: 'read:x',
      audience: api.identifier,
      state,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    }).toString();

    const callback = await signInAndAuthorize(authorizationUrl, expectConsent);
    expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri);
    // Checks state and the RFC 9207 iss (the metadata announces it).
    const params = oauth.validateAuthResponse(as, client, callback, state);

    const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri, codeVerifier, INSECURE);
    const result = await oauth.processAuthorizationCodeResponse(as, client, response);
    expect(result.token_type).toBe('bearer'); // oauth4webapi lower-cases it
    expect(result.scope).toBe('read:x');
    expect(result.expires_in).toBe(600);

    const { payload } = await jwtVerify(result.access_token, createRemoteJWKSet(new URL(as.jwks_uri!)), {
      issuer: as.issuer,
      audience: api.identifier,
    });
    expect(payload).toMatchObject({ sub: userId, client_id: client.client_id, scope: 'read:x' });

    // The code is single use: replaying it through the library is refused.
    const replay = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri, codeVerifier, INSECURE);
    const error = await oauth.processAuthorizationCodeResponse(as, client, replay).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(oauth.ResponseBodyError);
    expect((error as oauth.ResponseBodyError).error).toBe('invalid_grant');
  }

  it('a confidential client (client_secret_basic) signs a user in and exchanges the code', async () => {
    await codeFlow({ client_id: web.clientId }, oauth.ClientSecretBasic(web.clientSecret!), WEB_CALLBACK, false);
  });

  it('a public third-party client (none) does the same with PKCE alone, after the consent page', async () => {
    await codeFlow({ client_id: spa.clientId }, oauth.None(), SPA_CALLBACK, true);
  });

  it('exchanges a code issued directly with a callback built by hand (no browser)', async () => {
    const as = await discover();
    const client = { client_id: spa.clientId };
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const code = await server.app.authorizationCodes.issue({
      clientUuid: (await server.app.registry.client(spa.clientId))!.client.id,
      userId,
      resourceServerId: (await server.app.registry.api(api.identifier))!.server.id,
      redirectUri: SPA_CALLBACK,
      scopes: ['read:x', 'write:x'],
      codeChallenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      codeChallengeMethod: 'S256',
    });
    const callback = new URL(SPA_CALLBACK);
    callback.search = new URLSearchParams({ code, iss: as.issuer }).toString();
    const params = oauth.validateAuthResponse(as, client, callback, oauth.expectNoState);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, SPA_CALLBACK, codeVerifier, INSECURE);
    const result = await oauth.processAuthorizationCodeResponse(as, client, response);
    expect(result.scope).toBe('read:x write:x');
  });
});
