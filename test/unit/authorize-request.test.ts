import type { ClientEntity } from '../../src/domain/client/client.entity';
import type { ResourceServerEntity } from '../../src/domain/resource-server/resource-server.entity';
import type { CachedApi, Registry } from '../../src/oauth/registry';
import { afterSignIn, AuthorizeError, PageError, validateAuthorizationRequest } from '../../src/oauth/authorize/request';

/** Request validation is pure but for the registry's reads: a fake registry with one client and two APIs. */
const web = {
  id: '00000000-0000-4000-8000-000000000001',
  clientId: 'web',
  name: 'Web',
  appType: 'REGULAR_WEB',
  isFirstParty: true,
  grantTypes: ['AUTHORIZATION_CODE', 'REFRESH_TOKEN'],
  callbacks: ['https://app.example/cb', 'http://127.0.0.1:8080/cb'],
} as unknown as ClientEntity;
const spa = {
  ...web,
  clientId: 'spa',
  appType: 'SPA',
  grantTypes: ['AUTHORIZATION_CODE', 'IMPLICIT'],
  callbacks: ['https://spa.example/cb'],
} as ClientEntity;
const native = {
  ...web,
  clientId: 'native',
  appType: 'NATIVE',
  grantTypes: ['AUTHORIZATION_CODE'],
  callbacks: ['http://127.0.0.1/cb', 'http://[::1]:8080/cb', 'http://localhost/cb', 'com.example.app:/cb'],
} as ClientEntity;
const api: CachedApi = {
  server: {
    id: '00000000-0000-4000-8000-00000000000a',
    identifier: 'https://api.example',
    isSystem: false,
    allowOfflineAccess: true,
  } as ResourceServerEntity,
  scopes: new Set(['read:x', 'write:x']),
};
const management: CachedApi = {
  server: { ...api.server, identifier: 'https://manage.example', isSystem: true, builtin: 'MANAGEMENT' } as ResourceServerEntity,
  scopes: new Set(),
};
const userinfo: CachedApi = {
  server: { ...api.server, identifier: 'https://issuer.example/userinfo', isSystem: true, builtin: 'USERINFO' } as ResourceServerEntity,
  scopes: new Set(),
};
const registry = {
  client: async (clientId: string) =>
    [web, spa, native].find((c) => c.clientId === clientId)
      ? { client: [web, spa, native].find((c) => c.clientId === clientId)!, secrets: [], keys: [] }
      : null,
  api: async (identifier: string) => [api, management, userinfo].find((a) => a.server.identifier === identifier) ?? null,
} as unknown as Registry;

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const audiences = { userinfo: 'https://issuer.example/userinfo' };
const validate = (params: Record<string, string>, defaultAudience?: string) =>
  validateAuthorizationRequest({ registry, audiences: { ...audiences, defaultAudience } }, Object.entries(params));
const code = (extra: Record<string, string> = {}) => ({
  response_type: 'code',
  client_id: 'web',
  redirect_uri: 'https://app.example/cb',
  audience: 'https://api.example',
  code_challenge: CHALLENGE,
  code_challenge_method: 'S256',
  ...extra,
});

async function refusal(params: Record<string, string>, defaultAudience?: string): Promise<AuthorizeError | PageError> {
  try {
    await validate(params, defaultAudience);
  } catch (error) {
    if (error instanceof AuthorizeError || error instanceof PageError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('/authorize request validation step', () => {
  it('a valid code request: client, API, scopes, PKCE, prompts, response target', async () => {
    const req = await validate(code({ scope: 'read:x offline_access', state: 's', prompt: 'login consent' }));
    expect(req).toMatchObject({
      client: web,
      api,
      responseType: 'code',
      responseMode: 'query',
      redirectUri: 'https://app.example/cb',
      state: 's',
      scopes: ['read:x', 'offline_access'],
      prompts: new Set(['login', 'consent']),
      codeChallenge: CHALLENGE,
      codeChallengeMethod: 'S256',
      loopbackRedirect: false,
    });
    expect((await validate(code({ redirect_uri: 'http://127.0.0.1:8080/cb' }))).loopbackRedirect).toBe(true);
  });

  it('an unknown client or a redirect URI not registered: an error page, never a redirect', async () => {
    expect(await refusal(code({ client_id: 'nobody' }))).toEqual(
      new PageError('Unknown application', 'No application has this client_id.'),
    );
    const page = await refusal(code({ redirect_uri: 'https://evil.example/cb' }));
    expect(page).toBeInstanceOf(PageError);
    expect((page as PageError).title).toBe('Invalid redirect URI');
    // Without redirect_uri, only a client with one callback has a default.
    const { redirect_uri: _omitted, ...withoutRedirect } = code();
    expect(await refusal(withoutRedirect)).toBeInstanceOf(PageError);
    expect((await validate({ ...withoutRedirect, client_id: 'spa', code_challenge: CHALLENGE })).redirectUri).toBe(
      'https://spa.example/cb',
    );
  });

  it('a native app’s loopback IP redirect URI matches with any port (RFC 8252 §7.3); nothing else is loosened', async () => {
    for (const [requested, registered] of [
      ['http://127.0.0.1:51004/cb', 'http://127.0.0.1/cb'],
      ['http://127.0.0.1/cb', 'http://127.0.0.1/cb'],
      ['http://127.0.0.1:65535/cb', 'http://127.0.0.1/cb'],
      ['http://[::1]:1/cb', 'http://[::1]:8080/cb'],
      ['http://[::1]/cb', 'http://[::1]:8080/cb'],
    ]) {
      const req = await validate(code({ client_id: 'native', redirect_uri: requested }));
      // The request's own URI (its port) is where the response goes, and what the code is bound to.
      expect({ registered, redirectUri: req.redirectUri, loopback: req.loopbackRedirect }).toEqual({
        registered,
        redirectUri: requested,
        loopback: true,
      });
    }
    for (const refused of [
      'http://localhost:5000/cb', // localhost is matched exactly (RFC 8252 §8.3: NOT RECOMMENDED)
      'http://127.0.0.1:5000/cb/',
      'http://127.0.0.1:5000/other',
      'http://127.0.0.1:5000/cb?x=1',
      'http://127.0.0.1:5000/cb#f',
      'http://127.0.0.2:5000/cb',
      'https://127.0.0.1:5000/cb',
      'http://127.0.0.1:0/cb',
      'http://127.0.0.1:65536/cb',
      'http://127.0.0.1:05000/cb',
      'http://127.0.0.1:/cb',
      'http://127.0.0.1:5000@evil.example/cb',
      'http://[::1]:5000/other',
    ]) {
      expect({ refused, error: await refusal(code({ client_id: 'native', redirect_uri: refused })) }).toEqual({
        refused,
        error: new PageError('Invalid redirect URI', 'The redirect_uri is not one of the application’s registered callback URLs.'),
      });
    }
    expect((await validate(code({ client_id: 'native', redirect_uri: 'http://localhost/cb' }))).redirectUri).toBe('http://localhost/cb');
    // Any other client: exact, loopback included.
    expect((await validate(code({ redirect_uri: 'http://127.0.0.1:8080/cb' }))).redirectUri).toBe('http://127.0.0.1:8080/cb');
    expect(await refusal(code({ redirect_uri: 'http://127.0.0.1:9090/cb' }))).toBeInstanceOf(PageError);
  });

  it('PKCE is required of every client, confidential first-party ones included', async () => {
    const { code_challenge: _c, code_challenge_method: _m, ...noPkce } = code();
    expect(await refusal(noPkce)).toMatchObject({
      error: 'invalid_request',
      description: 'code_challenge required (PKCE with code_challenge_method=S256)',
      target: { redirectUri: 'https://app.example/cb' },
    });
    expect(await refusal({ ...noPkce, client_id: 'spa', redirect_uri: 'https://spa.example/cb' })).toMatchObject({
      error: 'invalid_request',
      description: 'code_challenge required (PKCE with code_challenge_method=S256)',
    });
  });

  it('later refusals go back to the redirect URI, in the response mode asked', async () => {
    const cases: [Record<string, string>, string, string][] = [
      [code({ response_type: 'id_token' }), 'unsupported_response_type', 'response_type must be code or token'],
      [
        code({ audience: 'https://manage.example' }),
        'invalid_target',
        'This API does not accept tokens issued to users of this application',
      ],
      [code({ code_challenge_method: 'plain' }), 'invalid_request', 'code_challenge_method must be S256'],
      [code({ prompt: 'none login' }), 'invalid_request', 'prompt=none cannot be combined with other values'],
    ];
    for (const [params, error, description] of cases) {
      const refused = await refusal(params);
      expect(refused).toBeInstanceOf(AuthorizeError);
      expect(refused).toMatchObject({ error, description, target: { redirectUri: 'https://app.example/cb', responseMode: 'query' } });
    }
    // A token response defaults to the fragment, refusals included.
    expect(await refusal(code({ response_type: 'token', state: 's' }))).toMatchObject({
      error: 'unauthorized_client',
      description: 'This application may not use the implicit grant',
      target: { redirectUri: 'https://app.example/cb', responseMode: 'fragment', state: 's' },
    });
  });

  it('implicit: a nonce is required; tokens never go in a query string', async () => {
    const implicit = { response_type: 'token', client_id: 'spa', audience: 'https://api.example' };
    expect(await refusal(implicit)).toMatchObject({
      error: 'invalid_request',
      description: 'nonce is required with response_type=token',
      target: { responseMode: 'fragment' },
    });
    expect(await refusal({ ...implicit, nonce: 'n', response_mode: 'query' })).toMatchObject({
      error: 'invalid_request',
      target: { responseMode: 'fragment' },
    });
    expect(await validate({ ...implicit, nonce: 'n', response_mode: 'form_post' })).toMatchObject({
      responseType: 'token',
      nonce: 'n',
      responseMode: 'form_post',
    });
  });

  it('afterSignIn: the request that continues after a sign-in, without prompt=login nor max_age (answered by it)', () => {
    expect(
      afterSignIn([
        ['client_id', 'c'],
        ['prompt', 'login consent'],
        ['max_age', '0'],
      ]),
    ).toEqual([
      ['client_id', 'c'],
      ['prompt', 'consent'],
    ]);
    expect(
      afterSignIn([
        ['prompt', 'login'],
        ['state', 's'],
      ]),
    ).toEqual([['state', 's']]);
    expect(afterSignIn([['prompt', 'none']])).toEqual([['prompt', 'none']]);
  });

  it('standard scopes need no API to define them; other undefined scopes are dropped, not refused', async () => {
    const req = await validate(code({ scope: 'openid profile email offline_access read:x delete:x' }));
    expect(req.scopes).toEqual(['openid', 'profile', 'email', 'offline_access', 'read:x']);
    expect(req.api).toBe(api);
    // offline_access only where a refresh token can follow: dropped for the implicit grant.
    const implicit = await validate({
      response_type: 'token',
      client_id: 'spa',
      audience: 'https://api.example',
      nonce: 'n',
      scope: 'openid offline_access',
    });
    expect(implicit.scopes).toEqual(['openid']);
    // A malformed scope is still refused.
    expect(await refusal(code({ scope: 'read:x "quoted"' }))).toMatchObject({ error: 'invalid_scope' });
  });

  it('no audience: the userinfo API when only standard scopes are asked, else DEFAULT_AUDIENCE, else refused', async () => {
    const { audience: _omitted, ...noAudience } = code();
    expect((await validate({ ...noAudience, scope: 'openid profile' })).api).toBe(userinfo);
    expect((await validate({ ...noAudience, scope: 'openid profile' })).scopes).toEqual(['openid', 'profile']);
    expect((await validate(noAudience)).api).toBe(userinfo);
    expect(await refusal({ ...noAudience, scope: 'openid read:x' })).toMatchObject({
      error: 'invalid_request',
      description: 'audience (or resource) is required: name the API the token is for',
    });
    // DEFAULT_AUDIENCE names the API of every request that names none.
    const viaDefault = await validate({ ...noAudience, scope: 'openid read:x' }, 'https://api.example');
    expect(viaDefault.api).toBe(api);
    expect(viaDefault.scopes).toEqual(['openid', 'read:x']);
    expect((await validate({ ...noAudience, scope: 'openid' }, 'https://api.example')).api).toBe(api);
    expect(await refusal({ ...noAudience, scope: 'openid' }, 'https://gone.example')).toMatchObject({
      error: 'invalid_target',
      description: 'The default API (DEFAULT_AUDIENCE) does not exist',
    });
    // A named API wins over the default.
    expect((await validate(code(), 'https://gone.example')).api).toBe(api);
  });

  it('nonce with a code is optional and kept; max_age is a whole number of seconds', async () => {
    expect((await validate(code())).nonce).toBeUndefined();
    expect((await validate(code({ nonce: 'n-1' }))).nonce).toBe('n-1');
    expect(await refusal(code({ nonce: 'n'.repeat(256) }))).toMatchObject({
      error: 'invalid_request',
      description: 'nonce must be at most 255 characters',
    });
    expect((await validate(code({ max_age: '0' }))).maxAge).toBe(0);
    expect((await validate(code({ max_age: '3600' }))).maxAge).toBe(3600);
    for (const bad of ['-1', '1.5', 'soon', '99999999999']) {
      expect(await refusal(code({ max_age: bad }))).toMatchObject({
        error: 'invalid_request',
        description: expect.stringMatching(/^max_age must be/),
      });
    }
  });

  it('dpop_jkt (RFC 9449 §10): a SHA-256 thumbprint, kept; only with a code', async () => {
    const jkt = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
    expect((await validate(code())).dpopJkt).toBeUndefined();
    expect((await validate(code({ dpop_jkt: jkt }))).dpopJkt).toBe(jkt);
    for (const bad of ['short', `${jkt}x`, `${jkt.slice(0, 42)}=`]) {
      expect(await refusal(code({ dpop_jkt: bad }))).toMatchObject({
        error: 'invalid_request',
        description: expect.stringMatching(/^dpop_jkt must be/),
      });
    }
  });
});
