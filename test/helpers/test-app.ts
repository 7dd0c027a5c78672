import net from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Logger as TypeOrmLogger } from 'typeorm';
import { createApp, App } from '../../src/app';
import { Config, loadConfig } from '../../src/config';
import { createTestDatabase, TestDatabase } from './test-database';
import { pooledKeyPairs } from './key-pairs';
import { EMBEDDED_POOL_SIZE } from '../../src/db/embedded-postgres';
import type { Clock } from '../../src/lib/clock';
import type { CustomClaimsSource } from '../../src/oauth/tokens/token-context';

export const BOOTSTRAP = {
  clientId: 'test-bootstrap-client',
  clientSecret: 'test-bootstrap-secret-0123456789abcdefghijklmnop',
};

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[] };
}

export interface TestServer {
  app: App;
  db: TestDatabase;
  /** http://127.0.0.1:<port>, also the issuer. */
  url: string;
  config: Config;
  /** A Management API token with every management scope (or the given ones only). */
  managementToken(scopes?: string[]): Promise<string>;
  /** POST /graphql with a full-scope management token unless `token` is given (null: none). */
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GraphQLResponse<T>>;
  /** POST /oauth/token with a form body. */
  token(params: Record<string, string>, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: any }>;
  close(): Promise<void>;
}

/**
 * A free loopback port, held by a listening socket until `release()`. Test files run in parallel:
 * a port found free long before it is bound (the service is created in between) could be taken
 * by another file's server meanwhile; held until just before the bind, it cannot.
 */
export async function reservePort(): Promise<{ port: number; release(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    release: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port free now (for a port nobody listens on, or one a child process binds). */
export async function freePort(): Promise<number> {
  const { port, release } = await reservePort();
  await release();
  return port;
}

/** True when nothing listens on 127.0.0.1:`port` (the connection is refused). */
export function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/**
 * Every request of a test file comes from 127.0.0.1, and files testing refusals send many failing
 * requests: test servers run with budgets no test reaches, the hooks still in place. The rate-limit
 * tests set the budgets they test (and the defaults) in `env`.
 */
export const UNLIMITED: Record<string, string> = {
  RATE_LIMIT_OAUTH_REQUESTS: '10000000/1h',
  RATE_LIMIT_OAUTH_FAILURES: '10000000/1h',
  RATE_LIMIT_CLIENT_AUTH_FAILURES: '10000000/1h',
  RATE_LIMIT_GRAPHQL_CALLER: '10000000/1h',
  RATE_LIMIT_GRAPHQL_TOKENLESS: '10000000/1h',
};

/** Starts the real service (HTTP on loopback, real database) for one test file. */
export async function startTestServer(
  options: {
    db?: TestDatabase;
    env?: Record<string, string>;
    sqlLogger?: TypeOrmLogger;
    masterKey?: string;
    /** Receives the JSON log lines (set LOG_LEVEL in `env`; the default is silent). */
    logStream?: { write(line: string): void };
    /** The time of every time decision (default the system clock): see FakeClock. */
    clock?: Clock;
    /** Custom-claims sources of the token pipeline (none by default). */
    claimsSources?: CustomClaimsSource[];
    /** Settings laid over the configuration read from `env` (e.g. `bootstrapAdmin`). */
    config?: Partial<Config>;
  } = {},
): Promise<TestServer> {
  const db = options.db ?? (await createTestDatabase());
  // env.PORT: a test that must know the port before the start (an ISSUER naming it).
  const reserved = options.env?.PORT !== undefined ? undefined : await reservePort();
  const port = reserved?.port ?? Number(options.env!.PORT);
  const loaded = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: `http://127.0.0.1:${port}`,
    DATABASE_URL: db.url,
    LOG_LEVEL: 'silent',
    MASTER_KEY: options.masterKey ?? randomBytes(32).toString('base64'),
    BOOTSTRAP_CLIENT_ID: BOOTSTRAP.clientId,
    BOOTSTRAP_CLIENT_SECRET: BOOTSTRAP.clientSecret,
    ...UNLIMITED,
    ...options.env,
  });
  const config: Config = { ...loaded, ...options.config };
  // Embedded runs reach PGlite through its URL: give the app the embedded pool size, as in production.
  const poolSize = process.env.DATABASE_URL ? undefined : EMBEDDED_POOL_SIZE;
  const app = await createApp(config, {
    sqlLogger: options.sqlLogger,
    poolSize,
    logStream: options.logStream,
    clock: options.clock,
    claimsSources: options.claimsSources,
    keyPairs: pooledKeyPairs(),
  }).catch(async (error: unknown) => {
    await reserved?.release();
    throw error;
  });
  await reserved?.release();
  await app.http.listen({ port, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${port}`;
  /** Basic credentials of the client behind each cached token ('*': the bootstrap client, every scope). */
  const credentials = new Map<string, string>([['*', Buffer.from(`${BOOTSTRAP.clientId}:${BOOTSTRAP.clientSecret}`).toString('base64')]]);
  const tokens = new Map<string, string>();

  const token: TestServer['token'] = async (params, headers = {}) => {
    const response = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(params).toString(),
    });
    return { status: response.status, headers: response.headers, body: await response.json() };
  };

  /** A cached management token, issued again once the server's clock (which a test may move) reaches its expiry. */
  const cachedToken = async (key: string) => {
    const cached = tokens.get(key);
    const now = (options.clock?.now() ?? new Date()).getTime() / 1000;
    if (cached && expiryOf(cached) > now + 5) return cached;
    const result = await token(
      { grant_type: 'client_credentials', audience: config.managementAudience },
      { authorization: `Basic ${credentials.get(key)}` },
    );
    if (result.status !== 200) throw new Error(`management token: ${JSON.stringify(result.body)}`);
    tokens.set(key, result.body.access_token);
    return result.body.access_token as string;
  };
  const fullToken = () => cachedToken('*');

  const gql: TestServer['gql'] = async (query, variables, tokenArg) => {
    const bearer = tokenArg === undefined ? await fullToken() : tokenArg;
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, headers: response.headers, body: await response.json() };
  };

  const managementToken: TestServer['managementToken'] = async (scopes) => {
    if (!scopes) return fullToken();
    const key = scopes.slice().sort().join(' ');
    if (credentials.has(key)) return cachedToken(key);
    // A machine client holding exactly these management scopes.
    const created = await gql(
      `mutation($input: ClientCreateInput!) { clientCreate(input: $input) { client { id clientId } clientSecret userErrors { message } } }`,
      { input: { name: `scoped ${credentials.size - 1}`, appType: 'MACHINE_TO_MACHINE' } },
    );
    const { client, clientSecret } = created.body.data.clientCreate;
    const api = await gql(`query($identifier: String!) { resourceServer(identifier: $identifier) { id } }`, {
      identifier: config.managementAudience,
    });
    const grant = await gql(`mutation($input: ClientGrantCreateInput!) { clientGrantCreate(input: $input) { userErrors { message } } }`, {
      input: { clientId: client.id, resourceServerId: api.body.data.resourceServer.id, scopes },
    });
    if (grant.body.data.clientGrantCreate.userErrors.length) throw new Error(JSON.stringify(grant.body));
    credentials.set(key, Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64'));
    return cachedToken(key);
  };

  return {
    app,
    db,
    url,
    config,
    managementToken,
    gql,
    token,
    async close() {
      await app.close();
      if (!options.db) await db.drop();
    },
  };
}

/** Counts SQL statements sent through TypeORM (pass as `sqlLogger`). */
export class CountingLogger implements TypeOrmLogger {
  count = 0;
  /** The text of every statement, in order. */
  readonly queries: string[] = [];
  logQuery(query: string): void {
    this.count++;
    this.queries.push(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

/** `exp` of a JWT (read, not verified). */
function expiryOf(jwt: string): number {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')).exp as number;
}

/** A clock the test moves (refresh-token lifetimes are tested without sleeping). Starts at the real time. */
export class FakeClock implements Clock {
  private current = Date.now();
  now(): Date {
    return new Date(this.current);
  }
  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
  set(date: Date): void {
    this.current = date.getTime();
  }
}
