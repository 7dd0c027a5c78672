import type { ClientEntity } from '../../src/domain/client/client.entity';
import type { ResourceServerEntity } from '../../src/domain/resource-server/resource-server.entity';
import type { CachedApi, Registry } from '../../src/oauth/registry';
import { AuthorizeError, PageError, validateAuthorizationRequest, withoutPromptLogin } from '../../src/oauth/authorize/request';

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
  server: { ...api.server, identifier: 'https://manage.example', isSystem: true } as ResourceServerEntity,
  scopes: new Set(),
};
const registry = {
  client: async (clientId: string) =>
    [web, spa].find((c) => c.clientId === clientId) ? { client: [web, spa].find((c) => c.clientId === clientId)!, secrets: [] } : null,
  api: async (identifier: string) => [api, management].find((a) => a.server.identifier === identifier) ?? null,
} as unknown as Registry;

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const validate = (params: Record<string, string>) => validateAuthorizationRequest({ registry }, Object.entries(params));
const code = (extra: Record<string, string> = {}) => ({
  response_type: 'code',
  client_id: 'web',
  redirect_uri: 'https://app.example/cb',
  audience: 'https://api.example',
  code_challenge: CHALLENGE,
  code_challenge_method: 'S256',
  ...extra,
});

async function refusal(params: Record<string, string>): Promise<AuthorizeError | PageError> {
  try {
    await validate(params);
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

  it('later refusals go back to the redirect URI, in the response mode asked', async () => {
    const cases: [Record<string, string>, string, string][] = [
      [code({ response_type: 'id_token' }), 'unsupported_response_type', 'response_type must be code or token'],
      [code({ scope: 'read:x delete:x' }), 'invalid_scope', 'The API does not define the scope delete:x'],
      [code({ audience: 'https://manage.example' }), 'invalid_target', 'This API does not accept tokens issued to users'],
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

  it('withoutPromptLogin: the request that continues after a sign-in', () => {
    expect(
      withoutPromptLogin([
        ['client_id', 'c'],
        ['prompt', 'login consent'],
      ]),
    ).toEqual([
      ['client_id', 'c'],
      ['prompt', 'consent'],
    ]);
    expect(
      withoutPromptLogin([
        ['prompt', 'login'],
        ['state', 's'],
      ]),
    ).toEqual([['state', 's']]);
    expect(withoutPromptLogin([['prompt', 'none']])).toEqual([['prompt', 'none']]);
  });
});
