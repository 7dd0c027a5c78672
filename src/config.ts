import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseMasterKey } from './crypto/master-key';
import { parseHostEntry } from './lib/hostname';
import { apiIdentifierProblem } from './lib/api-identifier';
import { hasControlCharacter } from './lib/control-characters';
import { endpointUrl } from './lib/issuer-url';
import { emailProblem, passwordProblem } from './domain/user/user.rules';
import type { Budget } from './lib/rate-limit';

/**
 * The service configuration, read once from the environment and validated up front so a
 * mistake stops the process at start with a message naming the variable, never later.
 * Every variable is documented in README.md ("Configuration").
 */
export interface Config {
  port: number;
  host: string;
  /** ISSUER exactly as given (trailing slash kept): the `iss` of every token and discovery's `issuer`; endpoint URLs via lib/issuer-url.ts. */
  issuer: string;
  /** Unset: the embedded PGlite database in `dataDir`. */
  databaseUrl: string | undefined;
  /** DATABASE_STATEMENT_TIMEOUT_MS, DATABASE_CONNECT_TIMEOUT_MS: beyond them a request answers 503 instead of hanging. */
  databaseTimeouts: { statementMs: number; connectMs: number };
  dataDir: string;
  logLevel: LogLevel;
  nodeEnv: string;
  graphql: {
    /** Deepest selection accepted, introspection included (GRAPHQL_MAX_DEPTH). */
    maxDepth: number;
    maxComplexity: number;
    /** Most aliases in one operation, fragments expanded (GRAPHQL_MAX_ALIASES). */
    maxAliases: number;
    /**
     * Schema introspection (`__schema`, `__type`) for anyone, tokenless callers included
     * (INTROSPECTION=on|off; default off when NODE_ENV=production). Off: refused for everyone.
     */
    introspection: boolean;
  };
  /** Decoded MASTER_KEY; undefined means "generate one into DATA_DIR" (see crypto/master-key.ts). */
  masterKey: Buffer | undefined;
  /** Identifier (audience) of the built-in Management API. */
  managementAudience: string;
  bootstrapClient: { clientId: string; clientSecret: string } | undefined;
  /** BOOTSTRAP_ADMIN_EMAIL + BOOTSTRAP_ADMIN_PASSWORD: the administrator created (or reset) at every start. */
  bootstrapAdmin: { email: string; password: string } | undefined;
  /** The GraphQL explorer at GET /explorer and for browsers at GET /graphql (EXPLORER). */
  explorer: boolean;
  /** Seconds between purges of expired revocations, secrets and old audit events. */
  purgeIntervalSeconds: number;
  /** Audit events older than this many days are purged. */
  auditRetentionDays: number;
  /** Longest a graceful shutdown (SIGTERM/SIGINT) may take, drain delay included, before the process exits with 1. */
  shutdownTimeoutSeconds: number;
  /** Seconds between SIGTERM and closing the listener, while /readyz answers 503 so load balancers drain. */
  shutdownDelaySeconds: number;
  /** One JSON line per completed request (ACCESS_LOG). */
  accessLog: boolean;
  /** DPOP_NONCE_REQUIRED: every DPoP proof must carry a server nonce (RFC 9449 §8, §9); off by default. */
  dpopNonceRequired: boolean;
  /** Prometheus `GET /metrics` on a port of its own; undefined: no metrics endpoint (and no metric collection). */
  metrics: { port: number; host: string } | undefined;
  /**
   * Hosts (normalized, see lib/hostname.ts) token hooks may reach although they are plain http or
   * resolve to loopback, private or link-local addresses (TOKEN_HOOK_ALLOWED_HOSTS). Default: none.
   */
  tokenHookAllowedHosts: ReadonlySet<string>;
  /** Origins (exact `scheme://host[:port]`) whose pages may call /graphql (CORS_ORIGINS). Default: none. */
  corsOrigins: ReadonlySet<string>;
  /** Browser sign-in sessions: absolute lifetime and idle timeout, seconds (Auth0's defaults: 30 days, 3 days). */
  session: { lifetimeSeconds: number; idleTimeoutSeconds: number };
  /** The API of authorization requests that name none (DEFAULT_AUDIENCE, Auth0's tenant "Default Audience"). */
  defaultAudience: string | undefined;
  /**
   * Which proxies' X-Forwarded-For gives the client address (`request.ip`, which sign-in throttling
   * counts by), as Fastify's `trustProxy` takes it (TRUST_PROXY): false (default: the connection's
   * address), a hop count, or the proxies' addresses and CIDR ranges.
   */
  trustProxy: false | number | string[];
  /** Argon2 computations (sign-in checks, password hashing) running at once in the process, and waiting beyond (PASSWORD_HASH_*). */
  passwordHashing: { concurrency: number; queue: number };
  /**
   * User codes the device verification page (/device) accepts per throttle window before it makes
   * callers wait: from one address, and from everywhere (DEVICE_USER_CODE_ATTEMPTS_*). A code
   * naming a pending request is given back; only guesses count.
   */
  deviceUserCodeAttempts: { perAddress: number; global: number };
  /** Entries each token-endpoint cache keeps (clients, APIs, grants; LRU), and unknown ids it remembers (REGISTRY_CACHE_*). */
  registryCache: { entries: number; missingEntries: number };
  /**
   * Server processes sharing the port (WORKERS, `auto`: one per CPU). 1: this process serves, as
   * ever; more: a primary process forks that many workers (node:cluster), see src/primary.ts.
   */
  workers: number;
  /** OpenTelemetry traces over OTLP/HTTP (OTEL_*, see parseTracing); undefined, the default: off, no OpenTelemetry module loaded. */
  tracing: TracingConfig | undefined;
  /** REDIS_URL (and REDIS_KEY_PREFIX): where instances share rate-limit budgets; undefined: each process counts its own. */
  redis: { url: string; keyPrefix: string } | undefined;
  /** Rate-limit budgets (RATE_LIMIT_*, `<points>/<window>` or `off`); undefined: that limit is off. */
  rateLimits: {
    /** Requests to /oauth/token, /oauth/introspect and /oauth/revoke per client address. */
    oauthRequests: Budget | undefined;
    /** Failed (4xx) requests to those endpoints per client address. */
    oauthFailures: Budget | undefined;
    /** Failed client authentications (`invalid_client`) per client_id at one address. */
    clientAuthFailures: Budget | undefined;
    /** /graphql requests per caller (a token's client and subject). */
    graphqlCaller: Budget | undefined;
    /** /graphql requests without a valid token per client address. */
    graphqlTokenless: Budget | undefined;
  };
}

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;

export interface TracingConfig {
  /** Where spans are POSTed: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`. */
  endpoint: string;
  /** OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL, default http/protobuf (the specification's); grpc is not supported. */
  protocol: (typeof OTLP_PROTOCOLS)[number];
  /** OTEL_EXPORTER_OTLP_HEADERS, then OTEL_EXPORTER_OTLP_TRACES_HEADERS (which wins): sent with every export. */
  headers: Record<string, string>;
  /** The resource's `service.name`: OTEL_SERVICE_NAME, default `apiauth`. */
  serviceName: string;
}

/** The defaults of RATE_LIMIT_*: above what one busy machine client does (`npm run bench:token`: 10 connections, a few thousand tokens/s). */
export const RATE_LIMIT_DEFAULTS = {
  RATE_LIMIT_OAUTH_REQUESTS: '20000/1s',
  RATE_LIMIT_OAUTH_FAILURES: '300/1m',
  RATE_LIMIT_CLIENT_AUTH_FAILURES: '10/5m',
  RATE_LIMIT_GRAPHQL_CALLER: '6000/1m',
  RATE_LIMIT_GRAPHQL_TOKENLESS: '120/1m',
} as const;

/** The most worker processes WORKERS may ask for (`auto` is capped to it too). */
export const MAX_WORKERS = 64;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };

  const port = integer('PORT', 4000, 0, 65535);
  const host = read('HOST') ?? '127.0.0.1';

  const issuer = read('ISSUER') ?? `http://localhost:${port}`;
  try {
    const url = new URL(issuer);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('scheme');
    if (url.search || url.hash) throw new Error('query');
  } catch {
    problems.push(`ISSUER must be an http(s) URL without query or fragment (got "${issuer}")`);
  }

  const databaseUrl = read('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }

  const dataDir = path.resolve(read('DATA_DIR') ?? './.data');
  const databaseTimeouts = {
    statementMs: integer('DATABASE_STATEMENT_TIMEOUT_MS', 10_000, 0, 600_000),
    connectMs: integer('DATABASE_CONNECT_TIMEOUT_MS', 5_000, 100, 60_000),
  };

  const logLevel = (read('LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }

  const nodeEnv = read('NODE_ENV') ?? 'development';
  const masterKeyText = read('MASTER_KEY');
  const masterKey = masterKeyText === undefined ? undefined : (parseMasterKey(masterKeyText) ?? undefined);
  if (masterKeyText !== undefined && !masterKey) {
    problems.push('MASTER_KEY must be the base64 encoding of exactly 32 bytes (try: openssl rand -base64 32)');
  }
  if (masterKeyText === undefined && databaseUrl !== undefined && nodeEnv === 'production') {
    problems.push('MASTER_KEY is required with DATABASE_URL when NODE_ENV=production');
  }

  const managementAudience = read('MANAGEMENT_AUDIENCE') ?? endpointUrl(issuer, '/api/v2/');
  const audienceProblem = apiIdentifierProblem(managementAudience);
  if (audienceProblem) problems.push(`MANAGEMENT_AUDIENCE ${audienceProblem}`);

  const explorerText = (read('EXPLORER') ?? 'true').toLowerCase();
  if (explorerText !== 'true' && explorerText !== 'false') problems.push(`EXPLORER must be true or false (got "${explorerText}")`);

  const introspectionText = (read('INTROSPECTION') ?? (nodeEnv === 'production' ? 'off' : 'on')).toLowerCase();
  if (introspectionText !== 'on' && introspectionText !== 'off') {
    problems.push(`INTROSPECTION must be on or off (got "${introspectionText.slice(0, 100)}")`);
  }

  const bootstrapId = read('BOOTSTRAP_CLIENT_ID');
  const bootstrapSecret = env.BOOTSTRAP_CLIENT_SECRET;
  let bootstrapClient: Config['bootstrapClient'];
  if ((bootstrapId === undefined) !== (bootstrapSecret === undefined || bootstrapSecret === '')) {
    problems.push('Set both BOOTSTRAP_CLIENT_ID and BOOTSTRAP_CLIENT_SECRET, or neither');
  } else if (bootstrapId !== undefined && bootstrapSecret !== undefined) {
    if (!/^[A-Za-z0-9._~-]{8,64}$/.test(bootstrapId)) {
      problems.push('BOOTSTRAP_CLIENT_ID must be 8–64 URL-safe characters (letters, digits, . _ ~ -)');
    }
    if (bootstrapSecret.length < 32 || bootstrapSecret.length > 256 || hasControlCharacter(bootstrapSecret)) {
      problems.push('BOOTSTRAP_CLIENT_SECRET must be 32–256 printable characters');
    }
    bootstrapClient = { clientId: bootstrapId, clientSecret: bootstrapSecret };
  }

  const adminEmail = read('BOOTSTRAP_ADMIN_EMAIL');
  const adminPassword = env.BOOTSTRAP_ADMIN_PASSWORD;
  let bootstrapAdmin: Config['bootstrapAdmin'];
  if ((adminEmail === undefined) !== (adminPassword === undefined || adminPassword === '')) {
    problems.push('Set both BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD, or neither');
  } else if (adminEmail !== undefined && adminPassword !== undefined) {
    const emailIssue = emailProblem(adminEmail);
    if (emailIssue) problems.push(`BOOTSTRAP_ADMIN_EMAIL ${emailIssue}`);
    // The user directory's password policy, as for any password set through the Management API.
    const passwordIssue = passwordProblem(adminPassword, adminEmail);
    if (passwordIssue) problems.push(`BOOTSTRAP_ADMIN_PASSWORD ${passwordIssue}`);
    bootstrapAdmin = { email: adminEmail, password: adminPassword };
  }

  const shutdownTimeoutSeconds = integer('SHUTDOWN_TIMEOUT_SECONDS', 10, 1, 300);
  const shutdownDelaySeconds = integer('SHUTDOWN_DELAY_SECONDS', 0, 0, 120);
  if (shutdownDelaySeconds >= shutdownTimeoutSeconds) {
    problems.push('SHUTDOWN_DELAY_SECONDS must be shorter than SHUTDOWN_TIMEOUT_SECONDS');
  }
  const dpopNonceText = (read('DPOP_NONCE_REQUIRED') ?? 'false').toLowerCase();
  if (dpopNonceText !== 'true' && dpopNonceText !== 'false')
    problems.push(`DPOP_NONCE_REQUIRED must be true or false (got "${dpopNonceText}")`);
  const accessLogText = (read('ACCESS_LOG') ?? 'true').toLowerCase();
  if (accessLogText !== 'true' && accessLogText !== 'false') problems.push(`ACCESS_LOG must be true or false (got "${accessLogText}")`);
  let metrics: Config['metrics'];
  if (read('METRICS_PORT') !== undefined) {
    metrics = { port: integer('METRICS_PORT', 0, 1, 65535), host: read('METRICS_HOST') ?? '127.0.0.1' };
    if (metrics.port === port) problems.push('METRICS_PORT must differ from PORT (metrics stay off the public port)');
  }

  const tokenHookAllowedHosts = new Set<string>();
  for (const entry of (read('TOKEN_HOOK_ALLOWED_HOSTS') ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const host = parseHostEntry(entry);
    if (host === null)
      problems.push(`TOKEN_HOOK_ALLOWED_HOSTS must list host names or IP addresses, without scheme or port (got "${entry.slice(0, 100)}")`);
    else tokenHookAllowedHosts.add(host);
  }

  const corsOrigins = new Set<string>();
  for (const entry of (read('CORS_ORIGINS') ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    if (isOrigin(entry)) corsOrigins.add(entry);
    else problems.push(`CORS_ORIGINS must list origins (scheme://host[:port], no path, no wildcard) (got "${entry.slice(0, 100)}")`);
  }

  const session = {
    lifetimeSeconds: integer('SESSION_LIFETIME_SECONDS', 30 * 86_400, 300, 365 * 86_400),
    idleTimeoutSeconds: integer('SESSION_IDLE_TIMEOUT_SECONDS', 3 * 86_400, 60, 365 * 86_400),
  };
  if (session.idleTimeoutSeconds > session.lifetimeSeconds) {
    problems.push('SESSION_IDLE_TIMEOUT_SECONDS must not exceed SESSION_LIFETIME_SECONDS');
  }
  const defaultAudience = read('DEFAULT_AUDIENCE');
  const defaultAudienceProblem = defaultAudience === undefined ? undefined : apiIdentifierProblem(defaultAudience);
  if (defaultAudienceProblem) problems.push(`DEFAULT_AUDIENCE ${defaultAudienceProblem}`);
  if (defaultAudience !== undefined && defaultAudience === managementAudience) {
    problems.push('DEFAULT_AUDIENCE cannot be the Management API (it accepts no user tokens)');
  }

  const trustProxy = parseTrustProxy(read('TRUST_PROXY'), problems);
  // Argon2 runs on libuv's thread pool (UV_THREADPOOL_SIZE, default 4): by default one check per
  // CPU, leaving a pool thread free for file and DNS work.
  const threadPool = Number(read('UV_THREADPOOL_SIZE')) || 4;
  const passwordHashing = {
    concurrency: integer('PASSWORD_HASH_CONCURRENCY', Math.max(1, Math.min(os.availableParallelism(), threadPool - 1)), 1, 64),
    queue: integer('PASSWORD_HASH_QUEUE', 32, 0, 10_000),
  };

  const workers = parseWorkers(read('WORKERS'), problems);
  // The embedded PGlite lives inside one process: workers would each open their own database.
  if (workers > 1 && databaseUrl === undefined) {
    problems.push('WORKERS above 1 needs DATABASE_URL (PostgreSQL): the embedded database serves one process only');
  }

  const tracing = parseTracing(read, problems);

  const redisUrl = read('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) problems.push('REDIS_URL must be a redis:// or rediss:// URL');
  const redisKeyPrefix = read('REDIS_KEY_PREFIX') ?? 'apiauth:';
  if (!/^[A-Za-z0-9:._-]{1,64}$/.test(redisKeyPrefix)) problems.push('REDIS_KEY_PREFIX must be 1–64 letters, digits or : . _ -');
  const budget = (name: keyof typeof RATE_LIMIT_DEFAULTS): Budget | undefined => {
    const raw = read(name) ?? RATE_LIMIT_DEFAULTS[name];
    const parsed = parseBudget(raw);
    if (parsed === null) {
      problems.push(
        `${name} must be off or <points>/<window>, e.g. 300/1m (points 1–10000000; window 1s–24h in s, m or h) (got "${raw.slice(0, 100)}")`,
      );
      return undefined;
    }
    return parsed;
  };

  const config: Config = {
    port,
    host,
    issuer,
    databaseUrl,
    databaseTimeouts,
    dataDir,
    logLevel,
    nodeEnv,
    graphql: {
      maxDepth: integer('GRAPHQL_MAX_DEPTH', 15, 2, 100),
      maxComplexity: integer('GRAPHQL_MAX_COMPLEXITY', 20000, 10, 10_000_000),
      maxAliases: integer('GRAPHQL_MAX_ALIASES', 30, 0, 1000),
      introspection: introspectionText !== 'off',
    },
    masterKey,
    managementAudience,
    bootstrapClient,
    bootstrapAdmin,
    explorer: explorerText !== 'false',
    purgeIntervalSeconds: integer('PURGE_INTERVAL_SECONDS', 300, 10, 86_400),
    auditRetentionDays: integer('AUDIT_RETENTION_DAYS', 365, 1, 36_500),
    shutdownTimeoutSeconds,
    shutdownDelaySeconds,
    accessLog: accessLogText !== 'false',
    dpopNonceRequired: dpopNonceText === 'true',
    metrics,
    tokenHookAllowedHosts,
    corsOrigins,
    session,
    defaultAudience,
    trustProxy,
    passwordHashing,
    deviceUserCodeAttempts: {
      perAddress: integer('DEVICE_USER_CODE_ATTEMPTS_PER_ADDRESS', 10, 1, 1000),
      global: integer('DEVICE_USER_CODE_ATTEMPTS', 1000, 10, 1_000_000),
    },
    registryCache: {
      entries: integer('REGISTRY_CACHE_ENTRIES', 1_000_000, 100, 100_000_000),
      missingEntries: integer('REGISTRY_CACHE_MISSING_ENTRIES', 100_000, 100, 10_000_000),
    },
    workers,
    tracing,
    redis: redisUrl === undefined ? undefined : { url: redisUrl, keyPrefix: redisKeyPrefix },
    rateLimits: {
      oauthRequests: budget('RATE_LIMIT_OAUTH_REQUESTS'),
      oauthFailures: budget('RATE_LIMIT_OAUTH_FAILURES'),
      clientAuthFailures: budget('RATE_LIMIT_CLIENT_AUTH_FAILURES'),
      graphqlCaller: budget('RATE_LIMIT_GRAPHQL_CALLER'),
      graphqlTokenless: budget('RATE_LIMIT_GRAPHQL_TOKENLESS'),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

const WINDOW_UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** A rate-limit budget: `off` (undefined), or `<points>/<window>` such as `300/1m`; null when malformed or out of range. */
export function parseBudget(raw: string): Budget | undefined | null {
  if (raw.toLowerCase() === 'off') return undefined;
  const match = /^(\d{1,8})\/(\d{1,5})([smh])$/.exec(raw);
  if (!match) return null;
  const points = Number(match[1]);
  const seconds = Number(match[2]) * WINDOW_UNIT_SECONDS[match[3]];
  if (points < 1 || points > 10_000_000 || seconds < 1 || seconds > 86_400) return null;
  return { points, seconds };
}

/**
 * Tracing is on when an OTLP endpoint is set (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
 * OTEL_EXPORTER_OTLP_ENDPOINT), unless OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none, as the
 * OpenTelemetry specification reads these variables. Header values are never quoted back: they
 * carry the collector's credentials.
 */
function parseTracing(read: (name: string) => string | undefined, problems: string[]): TracingConfig | undefined {
  const exporter = (read('OTEL_TRACES_EXPORTER') ?? 'otlp').toLowerCase();
  if (exporter !== 'otlp' && exporter !== 'none')
    problems.push(`OTEL_TRACES_EXPORTER must be otlp or none (got "${exporter.slice(0, 100)}")`);
  const tracesEndpoint = read('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseEndpoint = read('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (read('OTEL_SDK_DISABLED')?.toLowerCase() === 'true' || exporter === 'none') return undefined;
  if (tracesEndpoint === undefined && baseEndpoint === undefined) return undefined;

  const endpointName = tracesEndpoint !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const endpoint = tracesEndpoint ?? `${baseEndpoint!.replace(/\/+$/, '')}/v1/traces`;
  if (!isHttpUrl(endpoint)) problems.push(`${endpointName} must be an http(s) URL`);

  const protocolName =
    read('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = (read(protocolName) ?? 'http/protobuf') as TracingConfig['protocol'];
  if (!OTLP_PROTOCOLS.includes(protocol)) {
    problems.push(`${protocolName} must be ${OTLP_PROTOCOLS.join(' or ')} (got "${protocol.slice(0, 100)}")`);
  }

  const headers: Record<string, string> = {};
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
    if (!parseOtlpHeaders(read(name) ?? '', headers)) {
      problems.push(`${name} must be a comma-separated list of key=value pairs, values percent-encoded`);
    }
  }
  return { endpoint, protocol, headers, serviceName: read('OTEL_SERVICE_NAME') ?? 'apiauth' };
}

/** The W3C Baggage-like list of OTEL_EXPORTER_OTLP_HEADERS (`api-key=abc,x-team=a%20b`) into `into`; false when malformed. */
function parseOtlpHeaders(raw: string, into: Record<string, string>): boolean {
  for (const entry of raw.split(',')) {
    if (entry.trim() === '') continue;
    const equals = entry.indexOf('=');
    const name = entry.slice(0, equals).trim();
    if (equals < 1 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return false;
    try {
      const value = decodeURIComponent(entry.slice(equals + 1).trim());
      if (hasControlCharacter(value)) return false;
      into[name.toLowerCase()] = value;
    } catch {
      return false;
    }
  }
  return true;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** WORKERS: unset (1), `auto` (one per CPU, at most MAX_WORKERS) or an integer from 1 to MAX_WORKERS. */
function parseWorkers(raw: string | undefined, problems: string[]): number {
  if (raw === undefined) return 1;
  if (raw.toLowerCase() === 'auto') return Math.min(os.availableParallelism(), MAX_WORKERS);
  if (/^\d{1,3}$/.test(raw) && Number(raw) >= 1 && Number(raw) <= MAX_WORKERS) return Number(raw);
  problems.push(`WORKERS must be auto or an integer from 1 to ${MAX_WORKERS} (got "${raw.slice(0, 100)}")`);
  return 1;
}

/** proxy-addr's names for the loopback, link-local and unique-local (private) ranges. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const TRUST_PROXY_FORMS =
  'a hop count from 1 to 20, or a comma-separated list of proxy IP addresses, CIDR ranges, loopback, linklocal or uniquelocal';

/** TRUST_PROXY: unset or false (off), a hop count, or the proxies' addresses. Never "every proxy" (`true`): any client could then name its address. */
function parseTrustProxy(raw: string | undefined, problems: string[]): Config['trustProxy'] {
  if (raw === undefined || raw.toLowerCase() === 'false') return false;
  if (raw.toLowerCase() === 'true') {
    problems.push(`TRUST_PROXY=true would take any client's X-Forwarded-For as its address: give ${TRUST_PROXY_FORMS}`);
    return false;
  }
  if (/^\d+$/.test(raw)) {
    if (Number(raw) >= 1 && Number(raw) <= 20) return Number(raw);
    problems.push(`TRUST_PROXY must be ${TRUST_PROXY_FORMS} (got "${raw}")`);
    return false;
  }
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) return false;
  const bad = entries.filter((entry) => !PROXY_RANGE_NAMES.includes(entry) && !isAddressOrRange(entry));
  if (bad.length > 0) {
    problems.push(`TRUST_PROXY must be ${TRUST_PROXY_FORMS} (got "${bad[0].slice(0, 100)}")`);
    return false;
  }
  return entries;
}

/** An IP address, or a CIDR range (`10.0.0.0/8`, `fd00::/8`; not `/0`, which would trust every address). */
function isAddressOrRange(text: string): boolean {
  const [address, prefix, ...rest] = text.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= (version === 4 ? 32 : 128);
}

/** An http(s) origin exactly as a browser sends it in `Origin` (lowercase host, no default port, no path). */
function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === text && !text.includes('*');
  } catch {
    return false;
  }
}
