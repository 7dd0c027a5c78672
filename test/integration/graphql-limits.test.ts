import { MANAGEMENT_TOKEN_REQUIRED } from '../../src/http/management-auth';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { buildClientSchema, getIntrospectionQuery, lexicographicSortSchema, printSchema } from 'graphql';
import { startTestServer, TestServer } from '../helpers/test-app';
import { GRAPHQL_TOKENLESS_BODY_LIMIT, SCHEMA_SDL_PATH } from '../../src/http/graphql-route';

const COMMITTED_SCHEMA = readFileSync(path.join(__dirname, '..', '..', 'schema.graphql'), 'utf8');

/** The reported attack: 600 aliased `__schema` selections, 38 KB, no token. */
const ATTACK = `{ ${Array.from({ length: 600 }, (_, i) => `a${i}: __schema { types { name fields { name type { name } } } }`).join(' ')} }`;

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** POST /graphql with exactly `body` (a JSON text), with a bearer token when given. */
async function post(server: TestServer, body: string, token?: string): Promise<RawResponse> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The JSON body `{"query": …}` padded with spaces to exactly `size` bytes. */
function paddedBody(query: string, size: number): string {
  const body = JSON.stringify({ query });
  if (body.length > size) throw new Error(`the query alone is ${body.length} bytes`);
  return `${body.slice(0, -1)}${' '.repeat(size - body.length)}}`;
}

/** A refusal of the operation as a whole: HTTP 400, the GraphQL error shape, a small body. */
function expectRefusal(res: RawResponse, extensions: Record<string, unknown>) {
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toContain('application/json');
  expect(res.text.length).toBeLessThan(500);
  const body = JSON.parse(res.text);
  expect(body.data).toBeUndefined();
  expect(body.errors).toEqual([{ message: expect.any(String), extensions }]);
  return body.errors[0].message as string;
}

describe('GraphQL limits (INTROSPECTION on, the default outside production)', () => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer();
    token = await server.managementToken();
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('the 600 aliased __schema attack', () => {
    it('without a token: refused unread at the tokenless body limit (413, a small body)', async () => {
      const body = JSON.stringify({ query: ATTACK });
      expect(body.length).toBeGreaterThan(38_000);
      const res = await post(server, body);
      expect(res.status).toBe(413);
      expect(res.text.length).toBeLessThan(500);
      expect(JSON.parse(res.text)).toEqual({
        statusCode: 413,
        code: 'FST_ERR_CTP_BODY_TOO_LARGE',
        error: 'Payload Too Large',
        message: `Request body is too large: at most ${GRAPHQL_TOKENLESS_BODY_LIMIT} bytes without an access token`,
      });
    });

    it('with a token: refused before it runs (400 QUERY_TOO_MANY_ALIASES, a small body)', async () => {
      const message = expectRefusal(await post(server, JSON.stringify({ query: ATTACK }), token), {
        code: 'QUERY_TOO_MANY_ALIASES',
        aliases: 600,
        maxAliases: 30,
      });
      expect(message).toBe('The operation has 600 aliases; the limit is 30');
    });

    it('without a token, squeezed under the body limit: 400 QUERY_TOO_MANY_ALIASES', async () => {
      const query = `{${Array.from({ length: 300 }, (_, i) => `a${i}:__schema{types{name fields{name type{name}}}}`).join(' ')}}`;
      const body = JSON.stringify({ query });
      expect(body.length).toBeLessThanOrEqual(GRAPHQL_TOKENLESS_BODY_LIMIT);
      expectRefusal(await post(server, body), { code: 'QUERY_TOO_MANY_ALIASES', aliases: 300, maxAliases: 30 });
    });

    it('within the alias limit: two __schema selections are refused (400 QUERY_TOO_MANY_INTROSPECTIONS)', async () => {
      const two = `{ a: __schema { types { name fields { name type { name } } } } b: __schema { types { name fields { name type { name } } } } }`;
      for (const caller of [undefined, token]) {
        const message = expectRefusal(await post(server, JSON.stringify({ query: two }), caller), {
          code: 'QUERY_TOO_MANY_INTROSPECTIONS',
          introspections: 2,
          maxIntrospections: 1,
        });
        expect(message).toBe('The operation selects __schema or __type 2 times; the limit is 1');
      }
    });
  });

  describe('introspection without a token', () => {
    it('answers one __schema selection, and the whole introspection query of GraphiQL and code generators', async () => {
      const one = await server.gql(`{ __schema { types { name fields { name type { name } } } } }`, undefined, null);
      expect(one.status).toBe(200);
      expect(one.body.errors).toBeUndefined();
      expect(one.body.data.__schema.types.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['Query', 'Client']));

      // graphql-js's introspection query (depth 15, the default GRAPHQL_MAX_DEPTH) gives the committed schema.
      const full = await server.gql(
        getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true }),
        undefined,
        null,
      );
      expect(full.status).toBe(200);
      expect(full.body.errors).toBeUndefined();
      expect(`${printSchema(lexicographicSortSchema(buildClientSchema(full.body.data)))}\n`).toBe(COMMITTED_SCHEMA);
    });

    it('refuses two __type selections, aliased or not, with or without a token', async () => {
      const refused = { code: 'QUERY_TOO_MANY_INTROSPECTIONS', introspections: 2, maxIntrospections: 1 };
      const aliased = `{ a: __type(name: "Client") { name } b: __type(name: "User") { name } }`;
      expectRefusal(await post(server, JSON.stringify({ query: aliased })), refused);
      expectRefusal(await post(server, JSON.stringify({ query: aliased }), token), refused);
      // Through fragments (counted wherever they are spread). Without a token these are a 401 anyway:
      // a tokenless operation may hold introspection fields only, not fragments.
      for (const query of [
        `{ __type(name: "Client") { name } ... on Query { __type(name: "Client") { name } } }`,
        `query { ...T ...T } fragment T on Query { __type(name: "Client") { name } }`,
      ]) {
        expectRefusal(await post(server, JSON.stringify({ query }), token), refused);
        expect((await post(server, JSON.stringify({ query }))).status).toBe(401);
      }
    });

    it('refuses deep introspection by depth (400 QUERY_TOO_DEEP), and lists nested deeper than 3 (graphql-js)', async () => {
      const ofTypes = (n: number): string => (n === 0 ? 'name' : `ofType { ${ofTypes(n - 1)} }`);
      // __type(1), 14 ofType (15), name (16).
      const deep = `{ __type(name: "Client") { ${ofTypes(14)} } }`;
      expectRefusal(await post(server, JSON.stringify({ query: deep })), { code: 'QUERY_TOO_DEEP', depth: 16, maxDepth: 15 });
      // One level less is the limit: accepted.
      const atLimit = await server.gql(`{ __type(name: "Client") { ${ofTypes(13)} } }`, undefined, null);
      expect(atLimit.status).toBe(200);
      expect(atLimit.body.data).toEqual({ __type: { ofType: null } });

      const nestedLists = `{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }`;
      const res = await post(server, JSON.stringify({ query: nestedLists }));
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text).errors[0].extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
    });

    it('measures fragments spread into each other once each: a doubling chain is refused, not expanded', async () => {
      // F1 spreads F2 twice, F2 spreads F3 twice, …: 2^39 selections of `name` as written.
      const chain = (on: string, leaf: string) =>
        Array.from({ length: 40 }, (_, i) =>
          i < 39 ? `fragment F${i + 1} on ${on} { ...F${i + 2} ...F${i + 2} }` : `fragment F40 on ${on} { ${leaf} }`,
        );
      const introspection = `{ __schema { types { ...F1 } } } ${chain('__Type', 'name').join(' ')}`;
      const res = await post(server, JSON.stringify({ query: introspection }));
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text).errors).toEqual([
        { message: 'Query exceeds the maximum allowed number of nodes.', extensions: { code: 'BAD_USER_INPUT' } },
      ]);
      // The same chain with an alias at its end: 2^39 aliases, counted without expanding anything.
      const aliased = `{ __schema { types { ...F1 } } } ${chain('__Type', 'n: name').join(' ')}`;
      expectRefusal(await post(server, JSON.stringify({ query: aliased })), {
        code: 'QUERY_TOO_MANY_ALIASES',
        aliases: 2 ** 39,
        maxAliases: 30,
      });
    });
  });

  describe('the tokenless body limit', () => {
    const query = `{ __schema { queryType { name } } }`;

    it(`accepts a tokenless body of exactly ${GRAPHQL_TOKENLESS_BODY_LIMIT} bytes and refuses one byte more (413)`, async () => {
      const atLimit = await post(server, paddedBody(query, GRAPHQL_TOKENLESS_BODY_LIMIT));
      expect(atLimit.status).toBe(200);
      expect(JSON.parse(atLimit.text)).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });

      const over = await post(server, paddedBody(query, GRAPHQL_TOKENLESS_BODY_LIMIT + 1));
      expect(over.status).toBe(413);
      expect(JSON.parse(over.text).code).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
    });

    it('counts the bytes of a chunked body (no Content-Length) too, and answers while the client still sends', async () => {
      // 1 KiB at a time, for as long as the server reads (at most 1 MiB): the 413 comes back at 16 KiB.
      const attempt = () =>
        new Promise<{ status: number; connection: string | undefined; body: string; sent: number } | 'lost'>((resolve, reject) => {
          const { port } = new URL(server.url);
          const request = http.request({
            host: '127.0.0.1',
            port,
            path: '/graphql',
            method: 'POST',
            headers: { 'content-type': 'application/json' },
          });
          request.write('{"query":"{ __typename }"');
          let sent = 0;
          const timer = setInterval(() => {
            if (sent >= 1024 * 1024) {
              clearInterval(timer);
              request.end('}');
              return;
            }
            sent += 1024;
            request.write(' '.repeat(1024));
          }, 2);
          request.on('response', (response) => {
            clearInterval(timer);
            let body = '';
            response.on('data', (chunk) => (body += chunk));
            response.on('end', () => resolve({ status: response.statusCode!, connection: response.headers.connection, body, sent }));
          });
          request.on('error', (error: NodeJS.ErrnoException) => {
            clearInterval(timer);
            // The server answered and closed while a chunk was on its way: a write can fail (EPIPE,
            // ECONNRESET) before Node's client has parsed the answer waiting in the socket, which it
            // then drops. The server did stop reading early; the answer is seen on another attempt.
            if (error.code === 'EPIPE' || error.code === 'ECONNRESET') resolve('lost');
            else reject(error);
          });
        });
      let answer = await attempt();
      for (let retry = 0; answer === 'lost' && retry < 4; retry++) answer = await attempt();
      if (answer === 'lost') throw new Error('every attempt lost the answer to a write error');
      expect(answer.status).toBe(413);
      expect(answer.connection).toBe('close');
      expect(JSON.parse(answer.body).code).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
      expect(answer.sent).toBeLessThan(1024 * 1024);
    });

    it('accepts the same size with a token (the 1 MB limit)', async () => {
      const size = 4 * GRAPHQL_TOKENLESS_BODY_LIMIT;
      const withToken = await post(server, paddedBody(`{ resourceServers(first: 1) { totalCount } }`, size), token);
      expect(withToken.status).toBe(200);
      expect(JSON.parse(withToken.text).data.resourceServers.totalCount).toBeGreaterThanOrEqual(1);
      // Without one, the same size is refused unread.
      expect((await post(server, paddedBody(`{ resourceServers(first: 1) { totalCount } }`, size))).status).toBe(413);
    });
  });

  describe('page sizes', () => {
    it('refuses `first` or `last` out of range before anything runs (400 BAD_USER_INPUT)', async () => {
      const literal = await post(server, JSON.stringify({ query: `{ resourceServers(first: 100000) { totalCount } }` }), token);
      expect(expectRefusal(literal, { code: 'BAD_USER_INPUT' })).toBe('`first` must be from 0 to 100');

      const variable = await post(
        server,
        JSON.stringify({ query: `query($n: Int) { clients(last: $n) { totalCount } }`, variables: { n: -1 } }),
        token,
      );
      expect(expectRefusal(variable, { code: 'BAD_USER_INPUT' })).toBe('`last` must be from 0 to 100');

      const nested = await post(
        server,
        JSON.stringify({ query: `{ resourceServers(first: 1) { nodes { clientGrants(first: 101) { totalCount } } } }` }),
        token,
      );
      expect(expectRefusal(nested, { code: 'BAD_USER_INPUT' })).toBe('`first` must be from 0 to 100');

      const ok = await server.gql(`{ resourceServers(first: 100) { totalCount } }`);
      expect(ok.status).toBe(200);
      expect(ok.body.errors).toBeUndefined();
    });
  });

  describe('aliases', () => {
    it('accepts 30 aliases (GRAPHQL_MAX_ALIASES) and refuses 31, fragments counted wherever they are spread', async () => {
      const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`;
      const ok = await server.gql(aliased(30));
      expect(ok.status).toBe(200);
      expect(Object.keys(ok.body.data)).toHaveLength(30);
      expectRefusal(await post(server, JSON.stringify({ query: aliased(31) }), token), {
        code: 'QUERY_TOO_MANY_ALIASES',
        aliases: 31,
        maxAliases: 30,
      });
      // 16 aliases in a fragment spread twice (in two places) are 32.
      const fragment = `fragment A on ResourceServer { ${Array.from({ length: 16 }, (_, i) => `f${i}: id`).join(' ')} }`;
      const twice = `{ resourceServers(first: 1) { nodes { ...A } edges { node { ...A } } } } ${fragment}`;
      expectRefusal(await post(server, JSON.stringify({ query: twice }), token), {
        code: 'QUERY_TOO_MANY_ALIASES',
        aliases: 32,
        maxAliases: 30,
      });
    });
  });

  it('serves the schema as SDL at GET /graphql/schema.graphql, without a token while introspection is on', async () => {
    const response = await fetch(`${server.url}${SCHEMA_SDL_PATH}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.text()).toBe(COMMITTED_SCHEMA);
  });
});

describe('INTROSPECTION=off', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { INTROSPECTION: 'off' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('hides the schema from tokenless callers: introspection is a 401 like any tokenless request', async () => {
    expect(server.config.graphql.introspection).toBe(false);
    for (const query of [`{ __schema { queryType { name } } }`, `{ __type(name: "Client") { name } }`, `{ __typename }`]) {
      const res = await server.gql(query, undefined, null);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(res.body).toEqual({
        errors: [{ message: MANAGEMENT_TOKEN_REQUIRED, extensions: { code: 'UNAUTHENTICATED' } }],
      });
    }
    const sdl = await fetch(`${server.url}${SCHEMA_SDL_PATH}`);
    expect(sdl.status).toBe(401);
    expect(sdl.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await sdl.text()).not.toContain('type Query');
  });

  it('refuses introspection with a token too (400 GRAPHQL_VALIDATION_FAILED); __typename still works', async () => {
    const res = await server.gql(`{ __schema { queryType { name } } }`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      errors: [
        {
          message:
            'Introspection is off on this server (__schema); with a Management API token, GET /graphql/schema.graphql serves the schema',
          locations: [{ line: 1, column: 3 }],
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        },
      ],
    });
    const type = await server.gql(`{ __type(name: "Client") { name } }`);
    expect(type.status).toBe(400);
    expect(type.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const typename = await server.gql(`{ __typename resourceServers(first: 1) { totalCount } }`);
    expect(typename.status).toBe(200);
    expect(typename.body.data.__typename).toBe('Query');
  });

  it('serves the SDL to a caller with a Management API token (any scope)', async () => {
    const token = await server.managementToken(['read:clients']);
    const response = await fetch(`${server.url}${SCHEMA_SDL_PATH}`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(COMMITTED_SCHEMA);
  });
});
