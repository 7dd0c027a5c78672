import { randomBytes } from 'node:crypto';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';
import { startTestServer, TestServer } from '../helpers/test-app';
import { ApiFixture, ClientFixture, fixtures } from '../helpers/fixtures';
import { TcpProxy } from '../helpers/tcp-proxy';
import { postForm } from '../helpers/post-form';
import { within } from '../helpers/within';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';

/**
 * Rate limits shared through Redis (REDIS_URL) by instances on one PostgreSQL database: one
 * budget whichever instance a request reaches; a Redis outage loosens the limits to per-instance
 * counts, never fails a request, and sharing resumes when Redis is back. Runs when both
 * DATABASE_URL and REDIS_URL are set (.ci/run's PostgreSQL pass starts Redis and sets it).
 */

const REDIS_URL = process.env.REDIS_URL!;

const from = (address: string) => ({ 'x-forwarded-for': address });

describe('rate limits shared by two instances through Redis', () => {
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let api: ApiFixture;
  let client: ClientFixture;
  const masterKey = randomBytes(32).toString('base64');
  // A key space of this run's own: budgets of earlier runs (still within their window) do not count.
  const env = {
    ISSUER: 'https://auth.shared-limits.test',
    REDIS_URL,
    REDIS_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}:`,
    TRUST_PROXY: '1',
    RATE_LIMIT_OAUTH_REQUESTS: '6/1h',
    RATE_LIMIT_OAUTH_FAILURES: '3/1h',
    RATE_LIMIT_CLIENT_AUTH_FAILURES: '2/1h',
    RATE_LIMIT_GRAPHQL_TOKENLESS: '4/1h',
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    a = await startTestServer({ db, masterKey, env });
    b = await startTestServer({ db, masterKey, env });
    const f = fixtures(() => b, 'shared-limits');
    api = await f.createApi();
    client = await f.createClient({ tokenEndpointAuthMethod: 'CLIENT_SECRET_POST' });
    await f.createGrant(client, api, ['read:x']);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  const tokenRequest = (server: TestServer, address: string, secret = client.clientSecret!) =>
    postForm(
      server,
      '/oauth/token',
      { grant_type: 'client_credentials', client_id: client.clientId, client_secret: secret, audience: api.identifier },
      from(address),
    );

  it('one request budget per address, whichever instance answers', async () => {
    const remaining: (string | null)[] = [];
    for (const server of [a, a, a, b, b, b]) {
      const answer = await tokenRequest(server, '198.51.100.1');
      expect(answer.status).toBe(200);
      remaining.push(answer.headers.get('ratelimit-remaining'));
    }
    expect(remaining).toEqual(['5', '4', '3', '2', '1', '0']);
    for (const server of [a, b]) {
      const refused = await tokenRequest(server, '198.51.100.1');
      expect(refused.status).toBe(429);
      expect(refused.body.error).toBe('too_many_requests');
    }
  });

  it('one failure budget per address: failures on one instance refuse the address on the other', async () => {
    expect((await postForm(a, '/oauth/token', { grant_type: 'nope' }, from('198.51.100.2'))).status).toBe(400);
    expect((await postForm(a, '/oauth/token', { grant_type: 'nope' }, from('198.51.100.2'))).status).toBe(400);
    expect((await postForm(b, '/oauth/token', { grant_type: 'nope' }, from('198.51.100.2'))).status).toBe(400);
    const refused = await tokenRequest(a, '198.51.100.2');
    expect(refused.status).toBe(429);
    expect(refused.body.error_description).toMatch(/^Too many failed requests from this address/);
  });

  it('one budget of failed authentications per client at an address, across instances', async () => {
    expect((await tokenRequest(a, '198.51.100.3', 'guess-1')).status).toBe(401);
    expect((await tokenRequest(b, '198.51.100.3', 'guess-2')).status).toBe(401);
    const refused = await tokenRequest(a, '198.51.100.3');
    expect(refused.status).toBe(429);
    expect(refused.body.error_description).toMatch(/^Too many failed authentications of this client/);
    expect((await tokenRequest(b, '198.51.100.4')).status).toBe(200);
  });

  it('one tokenless /graphql budget per address, across instances', async () => {
    const introspect = (server: TestServer) =>
      fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...from('198.51.100.5') },
        body: JSON.stringify({ query: '{ __typename }' }),
      }).then((r) => r.status);
    expect([await introspect(a), await introspect(b), await introspect(a), await introspect(b)]).toEqual([200, 200, 200, 200]);
    expect(await introspect(a)).toBe(429);
    expect(await introspect(b)).toBe(429);
  });

  it('a Redis outage loosens limits to per-instance counts without failing a request; sharing resumes when Redis is back', async () => {
    const redis = new URL(REDIS_URL);
    const proxy = new TcpProxy(redis.hostname, Number(redis.port || 6379));
    await proxy.up();
    const viaProxy = new URL(REDIS_URL);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const c = await startTestServer({ db, masterKey, env: { ...env, REDIS_URL: viaProxy.toString() } });
    try {
      expect((await tokenRequest(c, '198.51.100.6')).headers.get('ratelimit-remaining')).toBe('5');
      await proxy.down();
      // Counted in C's memory now: every request answered, none with a 5xx, and the budget still applies.
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await tokenRequest(c, '198.51.100.7')).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
      // A's count (through Redis) never saw C's requests.
      expect((await tokenRequest(a, '198.51.100.7')).headers.get('ratelimit-remaining')).toBe('5');

      await proxy.up();
      // Back on Redis (once the client has reconnected): C's requests count in the shared budget again.
      let probe = 0;
      await within(10_000, async () => {
        const address = `198.51.101.${++probe}`;
        expect((await tokenRequest(a, address)).headers.get('ratelimit-remaining')).toBe('5');
        return (await tokenRequest(c, address)).headers.get('ratelimit-remaining') === '4';
      });
    } finally {
      await c.close();
      await proxy.down();
    }
  });

  it('refuses to start when REDIS_URL cannot be reached, naming the variable', async () => {
    const config = loadConfig({ ...env, DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:1' });
    await expect(createApp(config)).rejects.toThrow(/Redis at REDIS_URL cannot be reached/);
  });
});
