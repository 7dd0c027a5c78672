import { freePort, startTestServer, TestServer } from '../helpers/test-app';
import { FormAnswer, postForm } from '../helpers/post-form';
import { ApiFixture, basicAuth, ClientFixture, fixtures, globalId } from '../helpers/fixtures';
import { RATE_LIMIT_DEFAULTS } from '../../src/config';

/**
 * Rate limits over real HTTP, counted in memory (one instance; rate-limits.redis.test.ts shares
 * them through Redis). TRUST_PROXY=1 lets each request name its client address in X-Forwarded-For,
 * so one test plays several callers. Windows are an hour long unless a test waits for one to end.
 */

const from = (address: string) => ({ 'x-forwarded-for': address });

/** A 429 of an OAuth endpoint: RFC 6749 JSON, no-store, Retry-After and the refusing budget's headers. */
function expectOAuthTooMany(answer: FormAnswer, limit: number, description: RegExp) {
  expect(answer.status).toBe(429);
  expect(answer.body).toEqual({ error: 'too_many_requests', error_description: expect.stringMatching(description) });
  expect(answer.headers.get('cache-control')).toBe('no-store');
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  const retryAfter = Number(answer.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(answer.headers.get('ratelimit-limit')).toBe(String(limit));
  expect(answer.headers.get('ratelimit-remaining')).toBe('0');
  expect(answer.headers.get('ratelimit-reset')).toBe(String(retryAfter));
  expect(answer.body.error_description).toContain(`retry after ${retryAfter} seconds`);
}

async function startServer(env: Record<string, string>) {
  const server = await startTestServer({ env: { TRUST_PROXY: '1', ...env } });
  const f = fixtures(() => server, 'limits');
  const api: ApiFixture = await f.createApi({ scopes: [{ value: 'read:x' }, { value: 'introspect' }] });
  const machine = async (): Promise<ClientFixture> => {
    const client = await f.createClient({ tokenEndpointAuthMethod: 'CLIENT_SECRET_POST' });
    await f.createGrant(client, api, ['read:x', 'introspect']);
    return client;
  };
  const tokenRequest = (client: ClientFixture, address: string, secret = client.clientSecret!) =>
    postForm(
      server,
      '/oauth/token',
      { grant_type: 'client_credentials', client_id: client.clientId, client_secret: secret, audience: api.identifier },
      from(address),
    );
  return { server, api, machine, tokenRequest, f };
}

describe('the endpoints clients authenticate to: requests per address (RATE_LIMIT_OAUTH_REQUESTS)', () => {
  let ctx: Awaited<ReturnType<typeof startServer>>;
  let client: ClientFixture;
  let metricsPort: number;
  beforeAll(async () => {
    metricsPort = await freePort();
    ctx = await startServer({ RATE_LIMIT_OAUTH_REQUESTS: '5/1h', METRICS_PORT: String(metricsPort) });
    client = await ctx.machine();
  });
  afterAll(() => ctx.server.close());

  it('counts /oauth/token, /oauth/introspect and /oauth/revoke against one budget, then answers 429 too_many_requests (/oauth/par and /oauth/device/code too)', async () => {
    const first = await ctx.tokenRequest(client, '198.51.100.1');
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-limit')).toBe('5');
    expect(first.headers.get('ratelimit-remaining')).toBe('4');
    expect(first.headers.get('ratelimit-policy')).toBe('5;w=3600');
    const credentials = { client_id: client.clientId, client_secret: client.clientSecret! };
    const introspected = await postForm(
      ctx.server,
      '/oauth/introspect',
      { token: first.body.access_token, ...credentials },
      from('198.51.100.1'),
    );
    expect(introspected.status).toBe(200);
    expect(introspected.body.active).toBe(true);
    expect(introspected.headers.get('ratelimit-remaining')).toBe('3');
    const revoked = await postForm(ctx.server, '/oauth/revoke', { token: 'not-a-token', ...credentials }, from('198.51.100.1'));
    expect(revoked.status).toBe(200);
    expect(revoked.headers.get('ratelimit-remaining')).toBe('2');
    for (const remaining of ['1', '0']) {
      expect((await ctx.tokenRequest(client, '198.51.100.1')).headers.get('ratelimit-remaining')).toBe(remaining);
    }

    expectOAuthTooMany(await ctx.tokenRequest(client, '198.51.100.1'), 5, /^Too many requests from this address/);
    expectOAuthTooMany(await postForm(ctx.server, '/oauth/introspect', { token: 'x', ...credentials }, from('198.51.100.1')), 5, /address/);
    expectOAuthTooMany(await postForm(ctx.server, '/oauth/revoke', { token: 'x', ...credentials }, from('198.51.100.1')), 5, /address/);
    expectOAuthTooMany(
      await postForm(ctx.server, '/oauth/par', { response_type: 'code', ...credentials }, from('198.51.100.1')),
      5,
      /address/,
    );
    expectOAuthTooMany(await postForm(ctx.server, '/oauth/device/code', credentials, from('198.51.100.1')), 5, /address/);
    // Another address has a budget of its own.
    expect((await ctx.tokenRequest(client, '198.51.100.2')).status).toBe(200);
    // Operators see the refusals by budget.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toContain('apiauth_rate_limited_total{limit="oauth-requests"} 5');
  });

  it('lets a browser page of an allowed origin read the refusal and when to retry (CORS)', async () => {
    const spa = await ctx.f.createClient({
      appType: 'SPA',
      callbacks: ['https://spa.example/cb'],
      allowedOrigins: ['https://spa.example'],
    });
    const refresh = () =>
      postForm(
        ctx.server,
        '/oauth/token',
        { grant_type: 'refresh_token', client_id: spa.clientId, refresh_token: 'x' },
        { ...from('198.51.100.50'), origin: 'https://spa.example' },
      );
    for (let i = 0; i < 5; i++) expect((await refresh()).status).toBe(400);
    const refused = await refresh();
    expectOAuthTooMany(refused, 5, /address/);
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://spa.example');
    expect(refused.headers.get('access-control-expose-headers')).toContain('Retry-After');
    expect(refused.headers.get('access-control-expose-headers')).toContain('RateLimit-Remaining');
  });

  it('counts an IPv6 address as its /64, and an IPv4-mapped one as its IPv4 form', async () => {
    for (let i = 1; i <= 5; i++) expect((await ctx.tokenRequest(client, `2001:db8:aa:1::${i}`)).status).toBe(200);
    expect((await ctx.tokenRequest(client, '2001:db8:aa:1:ffff:ffff:ffff:ffff')).status).toBe(429);
    expect((await ctx.tokenRequest(client, '2001:db8:aa:2::1')).status).toBe(200);

    for (let i = 1; i <= 5; i++) expect((await ctx.tokenRequest(client, '203.0.113.9')).status).toBe(200);
    expect((await ctx.tokenRequest(client, '::ffff:203.0.113.9')).status).toBe(429);
  });
});

describe('failed requests per address (RATE_LIMIT_OAUTH_FAILURES)', () => {
  let ctx: Awaited<ReturnType<typeof startServer>>;
  let client: ClientFixture;
  beforeAll(async () => {
    ctx = await startServer({ RATE_LIMIT_OAUTH_FAILURES: '3/1h' });
    client = await ctx.machine();
  });
  afterAll(() => ctx.server.close());

  it('never charges success: a client succeeding a hundred times from an address is not limited', async () => {
    for (let i = 0; i < 100; i++) expect((await ctx.tokenRequest(client, '192.0.2.10')).status).toBe(200);
  });

  it('after three failures of any kind, every request from that address answers 429, a correct one included', async () => {
    const address = '192.0.2.20';
    const unreadable = await fetch(`${ctx.server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...from(address) },
      body: '{"grant_type":',
    });
    expect(unreadable.status).toBe(400);
    expect((await postForm(ctx.server, '/oauth/token', { grant_type: 'password' }, from(address))).body.error).toBe(
      'unsupported_grant_type',
    );
    expect((await ctx.tokenRequest(client, address, 'wrong-secret')).body.error).toBe('invalid_client');

    expectOAuthTooMany(await ctx.tokenRequest(client, address), 3, /^Too many failed requests from this address/);
    expectOAuthTooMany(
      await postForm(
        ctx.server,
        '/oauth/introspect',
        { token: 'x', client_id: client.clientId, client_secret: client.clientSecret! },
        from(address),
      ),
      3,
      /failed requests/,
    );
  });

  it('never slows a client at another address: the same client keeps succeeding from its own', async () => {
    const attacker = '192.0.2.30';
    for (let i = 0; i < 3; i++) expect((await ctx.tokenRequest(client, attacker, `guess-${i}`)).status).toBe(401);
    expect((await ctx.tokenRequest(client, attacker)).status).toBe(429);
    for (let i = 0; i < 20; i++) expect((await ctx.tokenRequest(client, '192.0.2.31')).status).toBe(200);
  });
});

describe('failed client authentications per client at an address (RATE_LIMIT_CLIENT_AUTH_FAILURES)', () => {
  let ctx: Awaited<ReturnType<typeof startServer>>;
  let victim: ClientFixture;
  let neighbour: ClientFixture;
  beforeAll(async () => {
    ctx = await startServer({ RATE_LIMIT_CLIENT_AUTH_FAILURES: '3/1h' });
    victim = await ctx.machine();
    neighbour = await ctx.machine();
  });
  afterAll(() => ctx.server.close());

  it('backs off after repeated invalid_client: the fourth attempt is refused before its secret is checked, right or wrong', async () => {
    const address = '198.18.0.1';
    for (let i = 0; i < 3; i++) {
      const answer = await ctx.tokenRequest(victim, address, `guess-${i}`);
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('invalid_client');
    }
    expectOAuthTooMany(await ctx.tokenRequest(victim, address, 'guess-3'), 3, /^Too many failed authentications of this client/);
    // The right secret is refused too: guessing has stopped, for this client at this address.
    expectOAuthTooMany(await ctx.tokenRequest(victim, address), 3, /this client/);
    // Also with Basic authentication, and at introspection.
    const basic = await postForm(
      ctx.server,
      '/oauth/token',
      { grant_type: 'client_credentials', audience: ctx.api.identifier },
      { ...from(address), authorization: basicAuth(victim.clientId, 'guess') },
    );
    expect(basic.status).toBe(429);
    expect(
      (await postForm(ctx.server, '/oauth/introspect', { token: 'x', client_id: victim.clientId, client_secret: 'guess' }, from(address)))
        .status,
    ).toBe(429);
  });

  it('locks nobody out: the client from its own address, and another client from the guessing address, still get tokens', async () => {
    expect((await ctx.tokenRequest(victim, '198.18.0.2')).status).toBe(200);
    expect((await ctx.tokenRequest(neighbour, '198.18.0.1')).status).toBe(200);
  });

  it('counts failures of an unknown client_id like those of a known one (no way to tell them apart)', async () => {
    const ghost = { ...victim, clientId: 'no-such-client' };
    for (let i = 0; i < 3; i++) expect((await ctx.tokenRequest(ghost, '198.18.0.3', 'x')).status).toBe(401);
    expect((await ctx.tokenRequest(ghost, '198.18.0.3', 'x')).status).toBe(429);
  });
});

describe('a window ends and the budget is whole again', () => {
  let ctx: Awaited<ReturnType<typeof startServer>>;
  let client: ClientFixture;
  beforeAll(async () => {
    ctx = await startServer({ RATE_LIMIT_OAUTH_REQUESTS: '2/1s' });
    client = await ctx.machine();
  });
  afterAll(() => ctx.server.close());

  it('answers 429 with Retry-After: 1, and again 200 once that second has passed', async () => {
    // Start at the beginning of a fresh window: wait for the (unused) address's window to be certain.
    const address = '100.64.0.1';
    let refused: FormAnswer | undefined;
    for (let i = 0; i < 3 && !refused; i++) {
      const answer = await ctx.tokenRequest(client, address);
      if (answer.status === 429) refused = answer;
    }
    expect(refused).toBeDefined();
    expect(refused!.headers.get('retry-after')).toBe('1');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await ctx.tokenRequest(client, address)).status).toBe(200);
  });
});

describe('the default budgets', () => {
  let ctx: Awaited<ReturnType<typeof startServer>>;
  let client: ClientFixture;
  beforeAll(async () => {
    ctx = await startServer({ ...RATE_LIMIT_DEFAULTS });
    client = await ctx.machine();
  });
  afterAll(() => ctx.server.close());

  it('do not limit a busy machine client: ten connections at full speed from one address get no 429', async () => {
    const statuses = new Map<number, number>();
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let i = 0; i < 50; i++) {
          const { status } = await ctx.tokenRequest(client, '10.0.0.1');
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    expect(Object.fromEntries(statuses)).toEqual({ 200: 500 });
  });

  it('refuse an address after 300 failures a minute, and a client at an address after 10 failed authentications', async () => {
    const failures = await Promise.all(
      Array.from({ length: 300 }, (_, i) => postForm(ctx.server, '/oauth/token', { grant_type: `nope-${i}` }, from('10.0.0.2'))),
    );
    expect(failures.every((answer) => answer.status === 400)).toBe(true);
    expectOAuthTooMany(await ctx.tokenRequest(client, '10.0.0.2'), 300, /failed requests/);

    for (let i = 0; i < 10; i++) expect((await ctx.tokenRequest(client, '10.0.0.3', `guess-${i}`)).status).toBe(401);
    expectOAuthTooMany(await ctx.tokenRequest(client, '10.0.0.3'), 10, /this client/);
  });
});

describe('/graphql: per caller (RATE_LIMIT_GRAPHQL_CALLER) and without a valid token (RATE_LIMIT_GRAPHQL_TOKENLESS)', () => {
  let server: TestServer;
  /** Two tokens of one management client (not the bootstrap client, which sets things up). */
  let tokens: string[];
  const CALLER_BUDGET = 12;
  beforeAll(async () => {
    server = await startTestServer({
      env: { TRUST_PROXY: '1', RATE_LIMIT_GRAPHQL_CALLER: `${CALLER_BUDGET}/1h`, RATE_LIMIT_GRAPHQL_TOKENLESS: '3/1h' },
    });
    const f = fixtures(() => server, 'graphql-limits');
    const admin = await f.createClient();
    await f.createGrant(admin, { id: globalId('ResourceServer', server.app.bootstrap.managementApi.id) }, ['read:resource_servers']);
    const management = { identifier: server.config.managementAudience };
    tokens = [await f.issueToken(admin, management), await f.issueToken(admin, management)];
  });
  afterAll(() => server.close());

  const graphql = async (body: unknown, headers: Record<string, string>) => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  };
  const expectGraphQLTooMany = (answer: Awaited<ReturnType<typeof graphql>>, limit: number) => {
    expect(answer.status).toBe(429);
    expect(answer.body).toEqual({
      errors: [{ message: expect.stringMatching(/^Too many requests/), extensions: { code: 'RATE_LIMITED' } }],
    });
    expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(answer.headers.get('ratelimit-limit')).toBe(String(limit));
    expect(answer.headers.get('ratelimit-remaining')).toBe('0');
    expect(answer.headers.get('cache-control')).toBe('no-store');
  };

  it('counts a caller across its tokens and addresses: a fresh token brings no fresh budget', async () => {
    const query = { query: '{ resourceServers(first: 1) { totalCount } }' };
    expect(tokens[0]).not.toBe(tokens[1]);
    for (let i = 0; i < CALLER_BUDGET; i++) {
      const answer = await graphql(query, { authorization: `Bearer ${tokens[i % 2]}`, ...from(`172.16.0.${i}`) });
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      expect(answer.headers.get('ratelimit-remaining')).toBe(String(CALLER_BUDGET - 1 - i));
    }
    expectGraphQLTooMany(await graphql(query, { authorization: `Bearer ${tokens[1]}`, ...from('172.16.0.200') }), CALLER_BUDGET);
    // Another caller (the bootstrap client) has a budget of its own.
    expect((await server.gql('{ resourceServers(first: 1) { totalCount } }')).status).toBe(200);
  });

  it('counts requests without a valid token per address; once spent they answer 429 and write no audit event, while valid tokens from there go on', async () => {
    const introspection = { query: '{ __schema { queryType { name } } }' };
    expect((await graphql(introspection, from('172.16.1.1'))).status).toBe(200);
    const refused = await graphql({ query: '{ resourceServers(first: 1) { totalCount } }' }, from('172.16.1.1'));
    expect(refused.status).toBe(401);
    expect((await graphql(introspection, { authorization: 'Bearer forged.token.here', ...from('172.16.1.1') })).status).toBe(401);

    const audited = async () => (await server.app.database.dataSource.query(`SELECT count(*)::int AS n FROM audit_events`))[0].n;
    // Refusals are audited without being waited for: the count once it has stopped moving.
    const settledCount = async () => {
      for (let last = await audited(); ;) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        const now = await audited();
        if (now === last) return now;
        last = now;
      }
    };
    const before = await settledCount();
    expectGraphQLTooMany(await graphql(introspection, from('172.16.1.1')), 3);
    expectGraphQLTooMany(await graphql(introspection, { authorization: 'Bearer forged.token.here', ...from('172.16.1.1') }), 3);
    expect(await settledCount()).toBe(before);

    // Another address, and a caller with a valid token at this one, are not affected.
    expect((await graphql(introspection, from('172.16.1.2'))).status).toBe(200);
    const valid = await graphql(
      { query: '{ resourceServers(first: 1) { totalCount } }' },
      { authorization: `Bearer ${await server.managementToken()}`, ...from('172.16.1.1') },
    );
    expect(valid.status).toBe(200);
    expect(valid.body.errors).toBeUndefined();
  });
});

describe('RATE_LIMIT_*=off', () => {
  let ctx: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    ctx = await startServer({
      RATE_LIMIT_OAUTH_REQUESTS: 'off',
      RATE_LIMIT_OAUTH_FAILURES: 'off',
      RATE_LIMIT_CLIENT_AUTH_FAILURES: 'off',
    });
  });
  afterAll(() => ctx.server.close());

  it('takes the limit and its headers away', async () => {
    const client = await ctx.machine();
    for (let i = 0; i < 20; i++) expect((await ctx.tokenRequest(client, '10.1.0.1', 'wrong')).status).toBe(401);
    const answer = await ctx.tokenRequest(client, '10.1.0.1');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('ratelimit-limit')).toBeNull();
  });
});
