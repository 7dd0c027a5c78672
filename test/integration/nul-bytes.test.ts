import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, basicAuth, ClientFixture, fixtures, uuidOf } from '../helpers/fixtures';
import { BrowserAgent, pkce, textOf } from '../helpers/browser-agent';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';
import { isTextEncodingError } from '../../src/db/text-encoding-error';
import { toOAuthError } from '../../src/oauth/token-endpoint';
import { createErrorFormatter } from '../../src/http/graphql-errors';

/**
 * Text PostgreSQL cannot store (U+0000) and other control characters never reach the database
 * from a request: each edge refuses them as the client's error (OAuth `invalid_request`, an error
 * page, an invalid token, GraphQL BAD_USER_INPUT), and nothing is logged as a server fault.
 */
describe('bad bytes are client errors', () => {
  let server: TestServer;
  const f = fixtures(() => server, 'nul-bytes');
  /** The log at level error: a server fault would be a line here. */
  const faults: string[] = [];
  let api: ApiFixture;
  let m2m: ClientFixture;
  let web: ClientFixture;
  const WEB_CB = 'https://web.nul-bytes.example/cb';
  const EMAIL = 'ada@nul-bytes.example';
  const PASSWORD = 'a long enough password';

  beforeAll(async () => {
    server = await startTestServer({ env: { LOG_LEVEL: 'error' }, logStream: { write: (line: string) => void faults.push(line) } });
    // HS256: verifying its tokens looks the key up by kid in the database.
    api = await f.createApi({ signingAlgorithm: 'HS256', scopes: [{ value: 'read:x' }, { value: 'introspect' }] });
    m2m = await f.createClient();
    await f.createGrant(m2m, api, ['read:x', 'introspect']);
    web = await f.createClient({ name: 'Web', appType: 'REGULAR_WEB', callbacks: [WEB_CB] });
    await server.app.users.create({ email: EMAIL, password: PASSWORD }, SYSTEM_ACTOR);
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(() => {
    // Refused as the client's error: never a fault in the log.
    expect(faults).toEqual([]);
  });

  const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
  const post = (path: string, body: string, headers: Record<string, string> = FORM) =>
    fetch(`${server.url}${path}`, { method: 'POST', body, headers });
  const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
  /** A JWT-shaped token with this header and payload (the signature does not matter: it is refused before). */
  const forged = (header: object, payload: object) =>
    [header, payload].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.') + '.c2lnbmF0dXJl';

  async function expectInvalidRequest(response: Response, description: string) {
    expect(response.status).toBe(400);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ error: 'invalid_request', error_description: description });
  }

  describe('OAuth endpoints: a control character in a parameter is invalid_request', () => {
    it.each([
      ['NUL', '\u0000'],
      ['BEL', '\u0007'],
      ['a newline', '\n'],
      ['DEL', '\u007f'],
      ['a C1 control', '\u0085'],
    ])('POST /oauth/token with %s in client_id (form and JSON bodies)', async (_name, character) => {
      const params = { grant_type: 'client_credentials', client_id: `a${character}`, audience: api.identifier };
      await expectInvalidRequest(await post('/oauth/token', form(params)), 'Parameter client_id holds a control character');
      await expectInvalidRequest(
        await post('/oauth/token', JSON.stringify(params), { 'content-type': 'application/json' }),
        'Parameter client_id holds a control character',
      );
    });

    it('POST /oauth/token: a NUL in any other parameter, or in a parameter name', async () => {
      const base = { grant_type: 'client_credentials', audience: api.identifier };
      await expectInvalidRequest(
        await post('/oauth/token', form({ ...base, client_id: m2m.clientId, client_secret: 'x\u0000' })),
        'Parameter client_secret holds a control character',
      );
      await expectInvalidRequest(
        await post('/oauth/token', form({ ...base, scope: 'read:x\u0000' }), {
          ...FORM,
          authorization: basicAuth(m2m.clientId, m2m.clientSecret!),
        }),
        'Parameter scope holds a control character',
      );
      await expectInvalidRequest(
        await post('/oauth/token', form({ ...base, 'x\u0000': 'y' }), {
          ...FORM,
          authorization: basicAuth(m2m.clientId, m2m.clientSecret!),
        }),
        'Parameter (unnamed) holds a control character',
      );
    });

    it('POST /oauth/token: a control character in the Basic credentials is invalid_client', async () => {
      for (const [id, secret] of [
        ['a\u0000', 'secret'],
        [m2m.clientId, `${m2m.clientSecret}\u0000`],
      ]) {
        const response = await post('/oauth/token', form({ grant_type: 'client_credentials', audience: api.identifier }), {
          ...FORM,
          authorization: basicAuth(id, secret),
        });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Basic realm="token", charset="UTF-8"');
        expect(await response.json()).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
      }
    });

    it('POST /oauth/revoke and /oauth/introspect: a NUL in the token parameter', async () => {
      const auth = { ...FORM, authorization: basicAuth(m2m.clientId, m2m.clientSecret!) };
      await expectInvalidRequest(
        await post('/oauth/revoke', form({ token: 'a\u0000' }), auth),
        'Parameter token holds a control character',
      );
      await expectInvalidRequest(
        await post('/oauth/introspect', form({ token: 'a\u0000' }), auth),
        'Parameter token holds a control character',
      );
    });

    it('POST /userinfo: a NUL in the access_token field is invalid_request (RFC 6750)', async () => {
      const response = await post('/userinfo', form({ access_token: 'a\u0000' }));
      expect(response.status).toBe(400);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('www-authenticate')).toBe(
        'Bearer error="invalid_request", error_description="Parameter access_token holds a control character"',
      );
      expect(await response.json()).toEqual({
        error: 'invalid_request',
        error_description: 'Parameter access_token holds a control character',
      });
    });
  });

  describe('tokens whose looked-up claims hold a control character are invalid', () => {
    const cases: [string, object, object][] = [
      ['aud holds NUL', { alg: 'RS256', kid: 'k' }, { aud: 'https://api.example/\u0000' }],
      ['aud is a list whose first holds NUL', { alg: 'RS256', kid: 'k' }, { aud: ['\u0000', 'https://b.example/'] }],
      ['kid holds NUL (an HS256 API: the kid is looked up)', { alg: 'HS256', kid: '\u0000' }, { aud: '' }],
      ['kid holds a newline', { alg: 'HS256', kid: 'k\n' }, { aud: '' }],
    ];
    const tokenOf = (header: object, payload: { aud: unknown }) =>
      forged(header, { ...payload, aud: payload.aud === '' ? api.identifier : payload.aud });

    it.each(cases)('revocation (%s): 200 with an empty body, as for any unknown token', async (_name, header, payload) => {
      const token = tokenOf(header, payload as { aud: unknown });
      for (const hint of ['access_token', 'refresh_token']) {
        const response = await post('/oauth/revoke', form({ token, token_type_hint: hint }), {
          ...FORM,
          authorization: basicAuth(m2m.clientId, m2m.clientSecret!),
        });
        expect(response.status).toBe(200);
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(await response.text()).toBe('');
      }
    });

    it.each(cases)('introspection (%s): {"active": false}', async (_name, header, payload) => {
      const response = await post('/oauth/introspect', form({ token: tokenOf(header, payload as { aud: unknown }) }), {
        ...FORM,
        authorization: basicAuth(m2m.clientId, m2m.clientSecret!),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ active: false });
    });

    it.each(cases)('userinfo (%s): 401 invalid_token', async (_name, header, payload) => {
      const response = await fetch(`${server.url}/userinfo`, {
        headers: { authorization: `Bearer ${tokenOf(header, payload as { aud: unknown })}` },
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: 'invalid_token', error_description: 'The access token is invalid' });
    });

    it('the Management API (kid holds NUL): 401', async () => {
      const token = forged({ alg: 'RS256', kid: '\u0000' }, { aud: server.config.managementAudience });
      const response = await server.gql('{ resourceServers(first: 1) { totalCount } }', undefined, token);
      expect(response.status).toBe(401);
    });

    it('accessTokenRevoke of such a token: a userError', async () => {
      const res = await f.gqlData(
        `mutation($input: AccessTokenRevokeInput!) { accessTokenRevoke(input: $input) { revokedToken { jti } userErrors { field code } } }`,
        { input: { token: tokenOf(cases[2][1], cases[2][2] as { aud: unknown }) } },
      );
      expect(res.accessTokenRevoke).toEqual({ revokedToken: null, userErrors: [{ field: ['input', 'token'], code: 'INVALID' }] });
    });
  });

  describe('/authorize: an error page (400), never a redirect', () => {
    const codeParams = (extra: Record<string, string> = {}) => ({
      response_type: 'code',
      client_id: web.clientId,
      redirect_uri: WEB_CB,
      scope: 'openid',
      state: 'the-state',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      ...extra,
    });

    it.each([
      ['client_id', { client_id: '\u0000' }],
      ['audience', { audience: '\u0000' }],
      ['state', { state: 'a\u0007' }],
      ['login_hint', { login_hint: 'ada\n@example.com' }],
      ['a parameter name', { 'x\u0000': 'y' }],
    ])('GET /authorize with a control character in %s', async (_name, extra) => {
      const res = await new BrowserAgent(server.url).get(`/authorize?${new URLSearchParams(codeParams(extra))}`);
      expect(res.status).toBe(400);
      expect(res.location).toBeNull();
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(textOf(res.text)).toContain('A request parameter holds a control character.');
    });

    it('POST /authorize/login with a NUL in the email or password: the form is refused, then signs in with good fields', async () => {
      const agent = new BrowserAgent(server.url);
      const login = await agent.get(`/authorize?${new URLSearchParams(codeParams())}`);
      expect(login.status).toBe(200);
      for (const fields of [
        { email: `${EMAIL}\u0000`, password: PASSWORD },
        { email: EMAIL, password: `${PASSWORD}\u0000` },
      ]) {
        const refused = await agent.submit(login, fields);
        expect(refused.status).toBe(400);
        expect(textOf(refused.text)).toContain('This form has expired or is not valid.');
      }
      const signedIn = await agent.submit(login, { email: EMAIL, password: PASSWORD });
      expect(signedIn.status).toBe(303);
    });

    it('logout: a NUL in the query or the form is an error page', async () => {
      const agent = new BrowserAgent(server.url);
      const query = await agent.get(`/oidc/logout?client_id=%00`);
      expect(query.status).toBe(400);
      expect(textOf(query.text)).toContain('A request parameter holds a control character.');
      const posted = await agent.request('/oidc/logout', { form: { client_id: '\u0000' } });
      expect(posted.status).toBe(400);
      expect(textOf(posted.text)).toContain('The logout request could not be read.');
    });
  });

  describe('GraphQL: a NUL in any argument or variable is BAD_USER_INPUT (HTTP 400), before any resolver', () => {
    const NUL_MESSAGE = /holds the NUL character \(U\+0000\), which no text may contain$/;

    async function expectRefused(query: string, variables?: Record<string, unknown>, message: RegExp | string = NUL_MESSAGE) {
      const res = await server.gql(query, variables);
      expect(res.status).toBe(400);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors).toEqual([
        expect.objectContaining({
          message: typeof message === 'string' ? message : expect.stringMatching(message),
          extensions: { code: 'BAD_USER_INPUT' },
        }),
      ]);
    }

    it.each([
      ['users(filter: { email })', '{ users(filter: { email: "a\\u0000" }) { totalCount } }'],
      ['users(filter: { sub })', '{ users(filter: { sub: "auth0|\\u0000" }) { totalCount } }'],
      ['resourceServer(identifier)', '{ resourceServer(identifier: "\\u0000") { id } }'],
      ['client(clientId)', '{ client(clientId: "\\u0000") { id } }'],
      ['roles(filter: { name })', '{ roles(filter: { name: "\\u0000" }) { totalCount } }'],
      ['auditEvents(filter: { actor })', '{ auditEvents(filter: { actor: "\\u0000" }) { totalCount } }'],
      ['node(id)', '{ node(id: "\\u0000") { id } }'],
      ['a default value', 'query($e: String = "a\\u0000") { users(filter: { email: $e }) { totalCount } }'],
    ])('a literal in %s', async (_name, query) => {
      await expectRefused(query, undefined, 'An argument holds the NUL character (U+0000), which no text may contain');
    });

    it('a literal: the error points at it', async () => {
      const res = await server.gql('{ client(clientId: "\\u0000") { id } }');
      expect(res.body.errors).toEqual([expect.objectContaining({ locations: [{ line: 1, column: 20 }] })]);
    });

    it('a variable: the error names it and where in it, never the value', async () => {
      await expectRefused(
        'query($e: String) { users(filter: { email: $e }) { totalCount } }',
        { e: 'ada\u0000@example.com' },
        'Variable "$e" holds the NUL character (U+0000), which no text may contain',
      );
      await expectRefused(
        'query($id: String) { client(clientId: $id) { id } }',
        { id: '\u0000' },
        'Variable "$id" holds the NUL character (U+0000), which no text may contain',
      );
    });

    it('mutation inputs (a scope list, a kid, a hook URL, client metadata): nothing written', async () => {
      const client = await f.createClient();
      await expectRefused(
        'mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { clientGrant { id } } }',
        { input: { clientId: client.id, resourceServerId: api.id, scopes: ['read:x', '\u0000'] } },
        'Variable "$input" holds the NUL character (U+0000) at "input.scopes.1", which no text may contain',
      );
      expect(await server.db.query('SELECT id FROM client_grants WHERE client_id = $1', [uuidOf(client.id)])).toEqual([]);
      await expectRefused('mutation { signingKeyRevoke(kid: "\\u0000") { userErrors { code } } }');
      await expectRefused(
        'mutation($id: ID!, $input: ResourceServerTokenHookSetInput!) { resourceServerTokenHookSet(id: $id, input: $input) { userErrors { code } } }',
        { id: api.id, input: { url: 'https://hook.example/\u0000' } },
        'Variable "$input" holds the NUL character (U+0000) at "input.url", which no text may contain',
      );
      await expectRefused(
        'mutation($id: ID!, $input: ClientUpdateInput!) { clientUpdate(id: $id, input: $input) { userErrors { code } } }',
        { id: client.id, input: { metadata: [{ key: 'k', value: 'v\u0000' }] } },
        'Variable "$input" holds the NUL character (U+0000) at "input.metadata.0.value", which no text may contain',
      );
      const [row] = await server.db.query<{ metadata: unknown }>('SELECT metadata FROM clients WHERE id = $1', [uuidOf(client.id)]);
      expect(row.metadata).toEqual({});
    });

    it('a JSON value: a NUL in a string or a key, however deep; keys that are not names are not repeated', async () => {
      const email = 'json@nul-bytes.example';
      const USER_CREATE = 'mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id } } }';
      await expectRefused(
        USER_CREATE,
        { input: { email, appMetadata: { plan: { tier: ['gold', 'x\u0000'] } } } },
        'Variable "$input" holds the NUL character (U+0000) at "input.appMetadata.plan.tier.1", which no text may contain',
      );
      await expectRefused(
        USER_CREATE,
        { input: { email, appMetadata: { 'a key with spaces': { 'k\u0000': 1 } } } },
        'Variable "$input" holds the NUL character (U+0000) at "input.appMetadata.?", which no text may contain',
      );
      // Nested deeper than a recursive walk could go (JSON.parse takes it): the body is written by hand.
      const depth = 100_000;
      const variables = `{"input":{"email":"${email}","appMetadata":{"deep":${'['.repeat(depth)}"x\\u0000"${']'.repeat(depth)}}}}`;
      const deep = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await server.managementToken()}` },
        body: `{"query":${JSON.stringify(USER_CREATE)},"variables":${variables}}`,
      });
      expect(deep.status).toBe(400);
      expect((await deep.json()).errors).toEqual([
        {
          message: expect.stringMatching(/^Variable "\$input" holds the NUL character \(U\+0000\) at "input\.appMetadata\.deep\.0\.0\.0\./),
          extensions: { code: 'BAD_USER_INPUT' },
        },
      ]);
      expect(await server.db.query('SELECT id FROM users WHERE email = $1', [email])).toEqual([]);
    });

    it('other control characters are left to the rules that read them: filters match nothing, free text keeps newlines', async () => {
      const filtered = await server.gql('query($e: String) { users(filter: { email: $e }) { totalCount } }', { e: 'a\u0007' });
      expect(filtered.body).toEqual({ data: { users: { totalCount: 0 } } });
      const created = await f.gqlData(
        'mutation($input: ClientCreateInput!) { clientCreate(input: $input) { client { description } userErrors { code } } }',
        { input: { name: 'free text', appType: 'MACHINE_TO_MACHINE', description: 'line 1\n\tline 2' } },
      );
      expect(created.clientCreate).toEqual({ client: { description: 'line 1\n\tline 2' }, userErrors: [] });
    });
  });

  describe('the safety net: PostgreSQL refusing text is the client’s error wherever it reaches the top', () => {
    /** A real refusal: the driver's error, wrapped by TypeORM in a QueryFailedError. */
    const refusal = (sql: string, parameter: string) =>
      server.app.database.dataSource.query(sql, [parameter]).then(
        () => {
          throw new Error('the query did not fail');
        },
        (error: unknown) => error,
      );
    const quietLog = () => {
      const lines: unknown[] = [];
      return { lines, log: { error: (...args: unknown[]) => void lines.push(args) } as any };
    };

    it('22021 (NUL in text) and 22P05 (NUL in jsonb) are recognized; other query failures are not', async () => {
      const text = await refusal('SELECT $1::text AS t', 'a\u0000');
      expect(text).toMatchObject({ name: 'QueryFailedError', code: '22021' });
      expect(isTextEncodingError(text)).toBe(true);
      const jsonb = await refusal('SELECT $1::jsonb AS j', '{"a": "\\u0000"}');
      expect(jsonb).toMatchObject({ name: 'QueryFailedError', code: '22P05' });
      expect(isTextEncodingError(jsonb)).toBe(true);
      const other = await refusal('SELECT $1::int AS i', 'not a number');
      expect(isTextEncodingError(other)).toBe(false);
    });

    it('the OAuth endpoints answer invalid_request (400) and log nothing', async () => {
      const { lines, log } = quietLog();
      const oauthError = toOAuthError(await refusal('SELECT $1::text AS t', 'a\u0000'), log);
      expect({ status: oauthError.status, ...oauthError.toJSON() }).toEqual({
        status: 400,
        error: 'invalid_request',
        error_description: 'A parameter holds a character the server cannot store',
      });
      expect(lines).toEqual([]);
      expect(toOAuthError(await refusal('SELECT $1::int AS i', 'x'), log).status).toBe(500);
      expect(lines).toHaveLength(1);
    });

    it('GraphQL answers BAD_USER_INPUT and logs nothing', async () => {
      const { lines, log } = quietLog();
      const format = createErrorFormatter(log);
      const formatted = { message: 'x', path: ['users'], extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      expect(format(formatted, await refusal('SELECT $1::jsonb AS j', '{"a": "\\u0000"}'))).toEqual({
        message: 'An argument holds a character the server cannot store',
        path: ['users'],
        locations: undefined,
        extensions: { code: 'BAD_USER_INPUT' },
      });
      expect(lines).toEqual([]);
      expect(format(formatted, await refusal('SELECT $1::int AS i', 'x')).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
      expect(lines).toHaveLength(1);
    });
  });
});
