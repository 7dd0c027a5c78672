import fc from 'fast-check';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ClientFixture, fixtures, basicAuth } from '../helpers/fixtures';

/**
 * Property-based fuzzing of what callers control: OAuth parameters (form and JSON), the
 * authorization request, tokens presented to introspection, revocation and userinfo, logout, and
 * GraphQL mutation inputs. Arbitrary strings (any code point, control characters, NUL, lone
 * surrogates, long values) must never give a 5xx. A fixed seed and a bounded number of runs keep
 * CI reproducible: a failure prints the seed and the shrunk counterexample.
 */
const SEED = 20261130;
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const settings = { seed: SEED, numRuns: RUNS, endOnFailure: true };

/** Any string a caller can send: printable, any code point, control characters, long. */
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('\u0000', '\u0001', '\u001f', '\u007f', '\u2028', '\ud800', '%', '&', '=', ' ', '"'), maxLength: 12 }),
  fc.string({ minLength: 4000, maxLength: 5000 }),
  fc.constantFrom('', 'null', '[]', '{}', '-1', '1e309', 'https://api.example/', 'openid profile email offline_access'),
);
const OAUTH_NAMES = [
  'grant_type',
  'client_id',
  'client_secret',
  'audience',
  'resource',
  'scope',
  'code',
  'code_verifier',
  'redirect_uri',
  'refresh_token',
  'token',
  'token_type_hint',
  'access_token',
];
const paramName = fc.oneof(fc.constantFrom(...OAUTH_NAMES), fc.string({ maxLength: 20 }));
const params = fc.dictionary(paramName, text, { maxKeys: 8 });

describe('fuzzing: arbitrary input never gives a 5xx', () => {
  let server: TestServer;
  const f = fixtures(() => server, 'fuzz');
  let client: ClientFixture;

  beforeAll(async () => {
    server = await startTestServer();
    await f.createApi({ identifier: 'https://api.example/' });
    client = await f.createClient();
  });
  afterAll(async () => {
    await server?.close();
  });

  const send = async (path: string, init: RequestInit): Promise<number> => (await fetch(`${server.url}${path}`, init)).status;
  const formBody = (values: Record<string, string>) => new URLSearchParams(values).toString();

  it.each(['/oauth/token', '/oauth/revoke', '/oauth/introspect', '/oauth/par', '/oauth/device/code', '/userinfo', '/oidc/logout'])(
    'POST %s, form and JSON bodies, with and without client credentials',
    async (path) => {
      await fc.assert(
        fc.asyncProperty(params, fc.boolean(), fc.boolean(), async (values, json, authenticated) => {
          const headers: Record<string, string> = { 'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded' };
          if (authenticated) headers.authorization = basicAuth(client.clientId, client.clientSecret!);
          const status = await send(path, { method: 'POST', headers, body: json ? JSON.stringify(values) : formBody(values) });
          expect(status).toBeLessThan(500);
        }),
        settings,
      );
    },
  );

  it.each(['/authorize', '/oidc/logout', '/v2/logout', '/userinfo'])('GET %s with arbitrary query parameters', async (path) => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.oneof(
            fc.constantFrom(
              'client_id',
              'redirect_uri',
              'response_type',
              'scope',
              'audience',
              'state',
              'nonce',
              'max_age',
              'prompt',
              'code_challenge',
              'id_token_hint',
              'post_logout_redirect_uri',
              'returnTo',
            ),
            fc.string({ maxLength: 20 }),
          ),
          text,
          { maxKeys: 8 },
        ),
        async (values) => {
          expect(await send(`${path}?${formBody(values)}`, { method: 'GET', redirect: 'manual' })).toBeLessThan(500);
        },
      ),
      settings,
    );
  });

  it('bearer tokens: arbitrary strings and JWT-shaped strings with arbitrary header and claims', async () => {
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const jwtLike = fc
      .tuple(
        fc.dictionary(fc.constantFrom('alg', 'kid', 'typ', 'crit'), text, { maxKeys: 4 }),
        fc.dictionary(fc.constantFrom('iss', 'aud', 'sub', 'exp', 'iat', 'jti', 'scope', 'client_id', 'azp'), text, { maxKeys: 9 }),
      )
      .map(([header, claims]) => `${b64(header)}.${b64(claims)}.${Buffer.from('sig').toString('base64url')}`);
    await fc.assert(
      fc.asyncProperty(fc.oneof(text, jwtLike), async (token) => {
        const auth = basicAuth(client.clientId, client.clientSecret!);
        const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: auth };
        expect(await send('/oauth/introspect', { method: 'POST', headers: form, body: formBody({ token }) })).toBeLessThan(500);
        expect(await send('/oauth/revoke', { method: 'POST', headers: form, body: formBody({ token }) })).toBeLessThan(500);
        const bearer = /^[\x21-\x7e]*$/.test(token) ? token : encodeURIComponent(token);
        expect(await send('/userinfo', { method: 'GET', headers: { authorization: `Bearer ${bearer}` } })).toBeLessThan(500);
        expect(
          await send('/graphql', {
            method: 'POST',
            headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
            body: '{"query":"{ __typename }"}',
          }),
        ).toBeLessThan(500);
      }),
      settings,
    );
  });

  it('GraphQL mutation inputs: arbitrary strings in every string field give userErrors or BAD_USER_INPUT, never an internal error', async () => {
    const mutations = [
      `mutation($s: String!, $t: String!) { resourceServerCreate(input: { name: $s, identifier: $t, scopes: [{ value: $s, description: $t }] }) { userErrors { code } } }`,
      `mutation($s: String!, $t: String!) { clientCreate(input: { name: $s, description: $t, appType: SPA, callbacks: [$t], allowedOrigins: [$s], allowedLogoutUrls: [$t] }) { userErrors { code } } }`,
      `mutation($s: String!, $t: String!) { userCreate(input: { email: $s, password: $t, name: $s }) { userErrors { code } } }`,
      `query($s: String!, $t: String!) { users(first: 5, filter: { email: $s, sub: $t }) { edges { node { id } } } resourceServer(identifier: $s) { id } }`,
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...mutations), text, text, async (query, s, t) => {
        const res = await server.gql(query, { s, t });
        expect(res.status).toBeLessThan(500);
        for (const error of res.body.errors ?? []) expect(error.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
      }),
      settings,
    );
  });
});
