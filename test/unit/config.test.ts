import os from 'node:os';
import { ConfigError, loadConfig } from '../../src/config';

describe('configuration', () => {
  it('has a documented default for every setting', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      issuer: 'http://localhost:4000',
      databaseUrl: undefined,
      logLevel: 'info',
      managementAudience: 'http://localhost:4000/api/v2/',
      bootstrapClient: undefined,
      masterKey: undefined,
      graphql: { maxDepth: 15, maxComplexity: 20000, maxAliases: 30, introspection: true },
      session: { lifetimeSeconds: 2_592_000, idleTimeoutSeconds: 259_200 },
      databaseTimeouts: { statementMs: 10_000, connectMs: 5_000 },
      defaultAudience: undefined,
      trustProxy: false,
      passwordHashing: { concurrency: Math.max(1, Math.min(os.availableParallelism(), 3)), queue: 32 },
      workers: 1,
      tracing: undefined,
    });
    expect(config.dataDir.endsWith('.data')).toBe(true);
  });

  it('derives the issuer from PORT and keeps ISSUER exactly as given, trailing slash included (issue 11)', () => {
    expect(loadConfig({ PORT: '8080' }).issuer).toBe('http://localhost:8080');
    expect(loadConfig({ ISSUER: 'https://auth.example.com/' }).issuer).toBe('https://auth.example.com/');
  });

  it('derives the management audience from the issuer without doubling its trailing slash', () => {
    expect(loadConfig({ ISSUER: 'https://auth.example.com/' }).managementAudience).toBe('https://auth.example.com/api/v2/');
    expect(loadConfig({ ISSUER: 'https://auth.example.com' }).managementAudience).toBe('https://auth.example.com/api/v2/');
    expect(loadConfig({ ISSUER: 'https://host.example/tenant/' }).managementAudience).toBe('https://host.example/tenant/api/v2/');
  });

  it('reports every bad variable at once, by name', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', ISSUER: 'ftp://x', MASTER_KEY: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'ISSUER', 'MASTER_KEY']) expect(problems).toContain(name);
  });

  it('limits user codes on /device to 10 per address and 1000 in all per window unless DEVICE_USER_CODE_ATTEMPTS_* say otherwise', () => {
    expect(loadConfig({}).deviceUserCodeAttempts).toEqual({ perAddress: 10, global: 1000 });
    expect(loadConfig({ DEVICE_USER_CODE_ATTEMPTS_PER_ADDRESS: '5', DEVICE_USER_CODE_ATTEMPTS: '50000' }).deviceUserCodeAttempts).toEqual({
      perAddress: 5,
      global: 50000,
    });
    expect(() => loadConfig({ DEVICE_USER_CODE_ATTEMPTS: '0' })).toThrow(/DEVICE_USER_CODE_ATTEMPTS/);
  });

  it('reads PURGE_INTERVAL_SECONDS (default 300 s) and refuses less than 10 s', () => {
    expect(loadConfig({}).purgeIntervalSeconds).toBe(300);
    expect(loadConfig({ PURGE_INTERVAL_SECONDS: '10' }).purgeIntervalSeconds).toBe(10);
    expect(() => loadConfig({ PURGE_INTERVAL_SECONDS: '9' })).toThrow(/PURGE_INTERVAL_SECONDS/);
  });

  it('refuses to run production on PostgreSQL without MASTER_KEY', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://x/y' })).toThrow(/MASTER_KEY is required/);
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://x/y', MASTER_KEY: key }).masterKey).toEqual(Buffer.alloc(32, 7));
  });

  it('needs both bootstrap variables, and a long enough secret', () => {
    expect(() => loadConfig({ BOOTSTRAP_CLIENT_ID: 'admin-client' })).toThrow(/both/);
    expect(() => loadConfig({ BOOTSTRAP_CLIENT_ID: 'admin-client', BOOTSTRAP_CLIENT_SECRET: 'short' })).toThrow(/32/);
    expect(loadConfig({ BOOTSTRAP_CLIENT_ID: 'admin-client', BOOTSTRAP_CLIENT_SECRET: 'x'.repeat(32) }).bootstrapClient).toEqual({
      clientId: 'admin-client',
      clientSecret: 'x'.repeat(32),
    });
  });

  it('reads TOKEN_HOOK_ALLOWED_HOSTS as normalized host names (default none) and refuses URLs and ports', () => {
    expect(loadConfig({}).tokenHookAllowedHosts).toEqual(new Set());
    expect(loadConfig({ TOKEN_HOOK_ALLOWED_HOSTS: ' 127.0.0.1, Hooks.Internal ,::1,[fd00::1],127.1' }).tokenHookAllowedHosts).toEqual(
      new Set(['127.0.0.1', 'hooks.internal', '::1', 'fd00::1']),
    );
    for (const bad of ['http://hooks.internal', 'hooks.internal:8080', '127.0.0.1:80', 'a/b', 'user@host']) {
      expect(() => loadConfig({ TOKEN_HOOK_ALLOWED_HOSTS: `ok.example,${bad}` })).toThrow(/TOKEN_HOOK_ALLOWED_HOSTS/);
    }
  });

  it('reads CORS_ORIGINS as exact origins (default none) and refuses wildcards, paths and non-origins', () => {
    expect(loadConfig({}).corsOrigins).toEqual(new Set());
    expect(loadConfig({ CORS_ORIGINS: ' http://localhost:5173, https://admin.example.com ' }).corsOrigins).toEqual(
      new Set(['http://localhost:5173', 'https://admin.example.com']),
    );
    for (const bad of [
      '*',
      'https://*.example.com',
      'https://app.example/',
      'https://app.example/path',
      'https://APP.example',
      'https://app.example:443',
      'app.example',
      'ftp://app.example',
    ]) {
      expect(() => loadConfig({ CORS_ORIGINS: `https://ok.example,${bad}` })).toThrow(/CORS_ORIGINS/);
    }
  });

  it('reads the session lifetimes (idle never beyond absolute) and DEFAULT_AUDIENCE (an API identifier, not the Management API)', () => {
    expect(loadConfig({ SESSION_LIFETIME_SECONDS: '86400', SESSION_IDLE_TIMEOUT_SECONDS: '3600' }).session).toEqual({
      lifetimeSeconds: 86_400,
      idleTimeoutSeconds: 3_600,
    });
    expect(() => loadConfig({ SESSION_LIFETIME_SECONDS: '3600', SESSION_IDLE_TIMEOUT_SECONDS: '7200' })).toThrow(
      /SESSION_IDLE_TIMEOUT_SECONDS must not exceed SESSION_LIFETIME_SECONDS/,
    );
    expect(() => loadConfig({ SESSION_LIFETIME_SECONDS: '10' })).toThrow(/SESSION_LIFETIME_SECONDS must be an integer from 300/);
    expect(() => loadConfig({ SESSION_IDLE_TIMEOUT_SECONDS: 'soon' })).toThrow(/SESSION_IDLE_TIMEOUT_SECONDS/);
    expect(loadConfig({ DEFAULT_AUDIENCE: 'https://api.example/' }).defaultAudience).toBe('https://api.example/');
    expect(() => loadConfig({ DEFAULT_AUDIENCE: 'x'.repeat(601) })).toThrow(/DEFAULT_AUDIENCE/);
    expect(() => loadConfig({ DEFAULT_AUDIENCE: 'http://localhost:4000/api/v2/' })).toThrow(
      /DEFAULT_AUDIENCE cannot be the Management API/,
    );
  });

  it('reads the database timeouts (0: no statement limit)', () => {
    expect(loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '0', DATABASE_CONNECT_TIMEOUT_MS: '250' }).databaseTimeouts).toEqual({
      statementMs: 0,
      connectMs: 250,
    });
    expect(() => loadConfig({ DATABASE_CONNECT_TIMEOUT_MS: '0' })).toThrow(/DATABASE_CONNECT_TIMEOUT_MS must be an integer from 100/);
    expect(() => loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: 'soon' })).toThrow(/DATABASE_STATEMENT_TIMEOUT_MS/);
  });

  it('reads TRUST_PROXY as off, a hop count, or proxy addresses and CIDR ranges; refuses "true" and anything else, by name', () => {
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: ' ' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.0.2.10,fd00::/8, ::1, loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.0.2.10',
      'fd00::/8',
      '::1',
      'loopback',
    ]);
    expect(loadConfig({ TRUST_PROXY: 'uniquelocal,linklocal' }).trustProxy).toEqual(['uniquelocal', 'linklocal']);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY=true would take any client's X-Forwarded-For/);
    for (const bad of [
      '0',
      '21',
      '-1',
      '10.0.0.0/33',
      'fd00::/129',
      '0.0.0.0/0',
      '::/0',
      '10.0.0.0/8/1',
      '10.0.0.256',
      'proxy.internal',
      '10.0.0.1:80',
      '*',
    ]) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(
        /TRUST_PROXY must be a hop count from 1 to 20, or a comma-separated list of proxy IP addresses, CIDR ranges/,
      );
    }
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.1,nope' })).toThrow(/\(got "nope"\)/);
  });

  it('reads the password-hashing cap: PASSWORD_HASH_CONCURRENCY (1–64) and PASSWORD_HASH_QUEUE (0–10000)', () => {
    expect(loadConfig({ PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '0' }).passwordHashing).toEqual({ concurrency: 1, queue: 0 });
    expect(loadConfig({ PASSWORD_HASH_CONCURRENCY: '64', PASSWORD_HASH_QUEUE: '10000' }).passwordHashing).toEqual({
      concurrency: 64,
      queue: 10_000,
    });
    // By default one per CPU, leaving one of libuv's pool threads free.
    expect(loadConfig({ UV_THREADPOOL_SIZE: '2' }).passwordHashing.concurrency).toBe(1);
    expect(() => loadConfig({ PASSWORD_HASH_CONCURRENCY: '0' })).toThrow(/PASSWORD_HASH_CONCURRENCY must be an integer from 1 to 64/);
    expect(() => loadConfig({ PASSWORD_HASH_QUEUE: 'lots' })).toThrow(/PASSWORD_HASH_QUEUE must be an integer from 0 to 10000/);
  });

  it('reads INTROSPECTION (on outside production, off in production) and GRAPHQL_MAX_ALIASES', () => {
    expect(loadConfig({}).graphql.introspection).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).graphql.introspection).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }).graphql.introspection).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', INTROSPECTION: 'ON' }).graphql.introspection).toBe(true);
    expect(loadConfig({ INTROSPECTION: 'off' }).graphql.introspection).toBe(false);
    expect(() => loadConfig({ INTROSPECTION: 'false' })).toThrow('INTROSPECTION must be on or off (got "false")');
    expect(loadConfig({ GRAPHQL_MAX_ALIASES: '0' }).graphql.maxAliases).toBe(0);
    expect(() => loadConfig({ GRAPHQL_MAX_ALIASES: '1001' })).toThrow(/GRAPHQL_MAX_ALIASES must be an integer from 0 to 1000/);
  });

  it('reads the rate-limit budgets (<points>/<window> or off) and REDIS_URL', () => {
    const defaults = loadConfig({});
    expect(defaults.redis).toBeUndefined();
    expect(defaults.rateLimits).toEqual({
      oauthRequests: { points: 20_000, seconds: 1 },
      oauthFailures: { points: 300, seconds: 60 },
      clientAuthFailures: { points: 10, seconds: 300 },
      graphqlCaller: { points: 6000, seconds: 60 },
      graphqlTokenless: { points: 120, seconds: 60 },
    });
    const set = loadConfig({
      RATE_LIMIT_OAUTH_REQUESTS: '50/10s',
      RATE_LIMIT_OAUTH_FAILURES: 'OFF',
      RATE_LIMIT_GRAPHQL_CALLER: '1000/24h',
      REDIS_URL: 'rediss://user:pw@redis.internal:6380/2',
      REDIS_KEY_PREFIX: 'auth-eu:',
    });
    expect(set.rateLimits.oauthRequests).toEqual({ points: 50, seconds: 10 });
    expect(set.rateLimits.oauthFailures).toBeUndefined();
    expect(set.rateLimits.graphqlCaller).toEqual({ points: 1000, seconds: 86_400 });
    expect(set.redis).toEqual({ url: 'rediss://user:pw@redis.internal:6380/2', keyPrefix: 'auth-eu:' });
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).redis?.keyPrefix).toBe('apiauth:');
    for (const bad of ['300', '300/1d', '0/1m', '300/0s', '300/25h', '-1/1m', '1/1.5m', '10000001/1s']) {
      expect(() => loadConfig({ RATE_LIMIT_OAUTH_FAILURES: bad })).toThrow(
        `RATE_LIMIT_OAUTH_FAILURES must be off or <points>/<window>, e.g. 300/1m (points 1–10000000; window 1s–24h in s, m or h) (got "${bad}")`,
      );
    }
    expect(() => loadConfig({ REDIS_URL: 'http://redis:6379' })).toThrow('REDIS_URL must be a redis:// or rediss:// URL');
    expect(() => loadConfig({ REDIS_KEY_PREFIX: 'a b' })).toThrow(/REDIS_KEY_PREFIX must be 1–64/);
  });

  it('reads WORKERS (1 by default, auto: one per CPU, at most 64), and refuses more than 1 without DATABASE_URL', () => {
    const pg = { DATABASE_URL: 'postgres://127.0.0.1:5432/test' };
    expect(loadConfig({}).workers).toBe(1);
    expect(loadConfig({ WORKERS: '1' }).workers).toBe(1);
    expect(loadConfig({ ...pg, WORKERS: ' 2 ' }).workers).toBe(2);
    expect(loadConfig({ ...pg, WORKERS: '64' }).workers).toBe(64);
    expect(loadConfig({ ...pg, WORKERS: 'auto' }).workers).toBe(Math.min(os.availableParallelism(), 64));
    expect(loadConfig({ ...pg, WORKERS: 'AUTO' }).workers).toBe(Math.min(os.availableParallelism(), 64));
    for (const bad of ['0', '65', '100', '-1', '1.5', '2x', 'all', '0x2', '1e1']) {
      expect(() => loadConfig({ ...pg, WORKERS: bad })).toThrow(`WORKERS must be auto or an integer from 1 to 64 (got "${bad}")`);
    }
    // The embedded PGlite lives in one process.
    expect(() => loadConfig({ WORKERS: '2' })).toThrow(
      'WORKERS above 1 needs DATABASE_URL (PostgreSQL): the embedded database serves one process only',
    );
  });

  it('reads tracing from the OTEL_* variables: on with an OTLP endpoint, off without one or when disabled', () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      endpoint: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      headers: {},
      serviceName: 'apiauth',
    });
    // The traces endpoint is used as given and wins; the traces protocol and headers win too.
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_HEADERS: 'api-key=one,x-team=a%20b',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'API-Key=two',
        OTEL_SERVICE_NAME: 'auth-eu',
      }).tracing,
    ).toEqual({
      endpoint: 'https://traces.example/otlp',
      protocol: 'http/json',
      headers: { 'api-key': 'two', 'x-team': 'a b' },
      serviceName: 'auth-eu',
    });
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(loadConfig({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined();
    expect(loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeUndefined();
  });

  it('refuses bad OTEL_* values by name, never quoting a header value', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL',
    );
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://collector' })).toThrow(
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http(s) URL',
    );
    expect(() => loadConfig({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      'OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (got "grpc")',
    );
    expect(() => loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(
      'OTEL_TRACES_EXPORTER must be otlp or none (got "zipkin")',
    );
    for (const bad of ['api-key', 'api key=s3cret-value', '=s3cret-value', 'api-key=%E0%A4%A']) {
      let error: unknown;
      try {
        loadConfig({ ...endpoint, OTEL_EXPORTER_OTLP_HEADERS: bad });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        'OTEL_EXPORTER_OTLP_HEADERS must be a comma-separated list of key=value pairs, values percent-encoded',
      ]);
    }
  });
});
