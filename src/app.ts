import 'reflect-metadata';
import { hkdfSync } from 'node:crypto';
import Fastify, { FastifyInstance } from 'fastify';
import type { Logger as TypeOrmLogger } from 'typeorm';
import type { Config } from './config';
import { openDatabase, Database } from './db/database';
import type { EmbeddedDatabase } from './db/embedded-database';
import { buildManagementSchema } from './graphql/schema';
import { entities } from './domain/entities';
import { PgChangeFeed } from './db/pg-change-feed';
import { changeChannel } from './db/schema-scoped';
import { listenForChanges, ChangeListener } from './db/change-listener';
import { resolveMasterKey } from './crypto/master-key';
import { SecretBox } from './crypto/secret-box';
import { KeyRing } from './crypto/key-ring';
import { AsymmetricAlgorithm, type KeyPairSource } from './crypto/key-pairs';
import { ResourceServerService } from './domain/resource-server/resource-server.service';
import { ClientService } from './domain/client/client.service';
import { ClientGrantService } from './domain/client-grant/client-grant.service';
import { bootstrapManagement, BootstrapResult, createFirstManagementClient, ManagementCredentials } from './domain/management/bootstrap';
import { AuditLog } from './domain/audit/audit-log';
import { SigningKeyService } from './domain/signing-key/signing-key.service';
import { RevocationService } from './domain/revocation/revocation.service';
import { UserService } from './domain/user/user.service';
import { PasswordHasher } from './domain/user/password';
import { WorkLimiter } from './lib/work-limiter';
import { UserGrantService } from './domain/user-grant/user-grant.service';
import { RefreshTokenService } from './domain/refresh-token/refresh-token.service';
import { Clock, systemClock } from './lib/clock';
import { RoleService } from './domain/role/role.service';
import { Housekeeping } from './domain/housekeeping';
import { AuthorizationCodeService } from './domain/authorization/authorization-code.service';
import { UsedNonceService } from './domain/authorization/used-nonce.service';
import { UsedTransactionService } from './domain/authorization/used-transaction.service';
import { PushedAuthorizationRequestService } from './domain/authorization/pushed-authorization-request.service';
import { UsedJtiService } from './domain/replay/used-jti.service';
import { SessionService } from './domain/sign-in/session.service';
import { LoginThrottleService } from './domain/sign-in/login-throttle.service';
import { TokenReadModel } from './domain/token-read-model';
import { RevocationCheck } from './domain/revocation/revocation-check';
import { EntityLookup } from './domain/entity-lookup';
import { Registry } from './oauth/registry';
import { TokenPipeline } from './oauth/tokens/pipeline';
import { DpopNonces } from './oauth/dpop/nonce';
import { DpopProofVerifier } from './oauth/dpop/proof';
import { endpointUrl } from './lib/issuer-url';
import type { CustomClaimsSource } from './oauth/tokens/token-context';
import { GrantRegistry } from './oauth/grants/registry';
import type { GrantDefinition } from './oauth/grants/grant';
import { AccessTokenVerifier } from './oauth/token-verifier';
import { TokenValidator } from './oauth/token-validator';
import { registerIntrospectionEndpoint } from './oauth/introspection-endpoint';
import { registerRevocationEndpoint } from './oauth/revocation-endpoint';
import { registerTokenEndpoint } from './oauth/token-endpoint';
import { registerPushedAuthorizationRequestEndpoint } from './oauth/par-endpoint';
import { ClientOrigins } from './oauth/client-origins';
import { ClientAuthenticator } from './oauth/client-auth/authenticate';
import { registerAuthorizeEndpoint } from './oauth/authorize/endpoint';
import { registerDeviceAuthorizationEndpoint } from './oauth/device/authorization-endpoint';
import { registerDeviceVerification } from './oauth/device/verification-endpoint';
import { DeviceAuthorizationService } from './domain/device-authorization/device-authorization.service';
import { registerLogoutEndpoints } from './oauth/logout/endpoint';
import { registerUserinfoEndpoint } from './oauth/userinfo-endpoint';
import { userinfoUrl } from './oauth/userinfo-url';
import { TestTokenService } from './oauth/test-tokens';
import { mountGraphQL } from './http/graphql-route';
import { createManagementAuth, principalOf } from './http/management-auth';
import { registerWellKnown } from './http/well-known';
import { registerExplorer } from './http/explorer';
import { registerLandingPage } from './http/landing-page';
import { registerConsole } from './http/console';
import { registerBodyParsers } from './http/body-parsers';
import { AccessLogController, loggerOptions, registerRequestCompletion, requestIdOf } from './http/logging';
import { registerHealthRoutes } from './http/health';
import type { MetricsServer } from './http/metrics';
import { TokenHookService } from './domain/token-hook/token-hook.service';
import { TokenHookCaller } from './oauth/token-hook/token-hook-caller';
import { TokenHookClaims } from './oauth/token-hook/token-hook-claims';
import { TokenHookTester } from './oauth/token-hook/token-hook-tester';
import { openRedis, RedisConnection } from './db/redis';
import { rateLimitFactory, type RateLimitStore } from './lib/rate-limit';
import { oauthRateLimitHooks } from './oauth/rate-limits';
import { graphqlRateLimits } from './http/graphql-rate-limits';
import { AdministratorService } from './domain/management/administrator';
import { registerConsoleConfig } from './http/console-config';
import { registerConsoleSetup } from './http/console-setup';

export interface App {
  config: Config;
  http: FastifyInstance;
  database: Database;
  keyRing: KeyRing;
  registry: Registry;
  /** The token endpoint's grant types; `register` adds one at run time (dispatched and in discovery at once). */
  grants: GrantRegistry;
  housekeeping: Housekeeping;
  /** The user directory (sign-in at /authorize, management through GraphQL). */
  users: UserService;
  /** The process-wide cap on Argon2 work (PASSWORD_HASH_CONCURRENCY running, PASSWORD_HASH_QUEUE waiting). */
  passwordWork: WorkLimiter;
  /** Users' consents (user grants): recorded by the consent page, read before asking again. */
  userGrants: UserGrantService;
  /** Roles (RBAC): users' permissions, applied to their tokens for APIs with enforcePolicies. */
  roles: RoleService;
  /** Authorization codes: issued by /authorize, exchanged at the token endpoint. */
  authorizationCodes: AuthorizationCodeService;
  /** Refresh tokens: issued with offline_access, used at the token endpoint, revoked at /oauth/revoke. */
  refreshTokens: RefreshTokenService;
  /** The sources of custom claims every token goes through (the per-API token hook). */
  customClaims: CustomClaimsSource[];
  bootstrap: BootstrapResult;
  /**
   * A first start without BOOTSTRAP_CLIENT_ID: creates the management client and returns its
   * credentials, to be shown once; undefined when some client can already call the Management API.
   */
  createFirstManagementClient(): Promise<ManagementCredentials | undefined>;
  /**
   * Without BOOTSTRAP_ADMIN_*: while no user holds the Administrator role, a new token for the link
   * that sets the first administrator (the previous link stops working); undefined once one does.
   */
  createAdminSetupToken(): Promise<string | undefined>;
  /** The Prometheus endpoint's server, when METRICS_PORT is set. */
  metricsServer: MetricsServer | undefined;
  /** Marks the instance as shutting down: /readyz answers 503 from now on (close() does it too). */
  beginShutdown(): void;
  close(): Promise<void>;
}

export interface CreateAppOptions {
  sqlLogger?: TypeOrmLogger;
  /** Tests reaching an embedded PGlite through its URL use its pool size of 1. */
  poolSize?: number;
  /** Where the JSON log lines go (default stdout); tests capture them. */
  logStream?: { write(line: string): void };
  /** The time of token, secret and refresh-token decisions (default the system clock); tests move it. */
  clock?: Clock;
  /** Grant types besides the built-in ones (extension grants). */
  grants?: readonly GrantDefinition[];
  /** Custom-claims sources every token goes through, in order (none by default). */
  claimsSources?: readonly CustomClaimsSource[];
  /** The embedded database, already opening (see openDatabase); else opened by createApp. */
  embeddedDatabase?: Promise<EmbeddedDatabase>;
  /** Where new signing key pairs come from (default: generated; tests use a pool of RSA pairs made once per run). */
  keyPairs?: KeyPairSource;
  /**
   * Set when the app runs as worker `id` of a cluster (WORKERS>1, src/primary.ts): its log lines
   * carry `worker`, its rate limits are counted in the primary (unless REDIS_URL), and its metrics
   * are answered to the primary, which serves METRICS_PORT for all workers.
   */
  clusterWorker?: { id: number };
}

/**
 * Wires the service: database (migrated) → keys → management bootstrap → HTTP routes.
 * Used by main.ts and by the tests, so tests run the real thing.
 */
export async function createApp(config: Config, options: CreateAppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const trustedProxies = config.trustProxy;
  const http = Fastify({
    logger: loggerOptions(config.logLevel, options.logStream, options.clusterWorker?.id),
    // Fastify's own request lines are off (they carry the raw URL); one access line per request instead.
    logController: new AccessLogController(),
    // The caller's x-request-id when it is a safe id, else a new UUID; on every log line as reqId.
    genReqId: requestIdOf,
    // TRUST_PROXY: whose X-Forwarded-For names the client (request.ip); off by default. A hop count
    // trusts that many proxies in front whatever their addresses (Fastify 5 takes it as a function).
    trustProxy: typeof trustedProxies === 'number' ? (_address: string, hop: number) => hop < trustedProxies : trustedProxies,
  });
  // prom-client (which loads @opentelemetry/api) is required only with METRICS_PORT set: no metrics, no module.
  const metricsModule = config.metrics ? (require('./http/metrics') as typeof import('./http/metrics')) : undefined;
  const metrics = metricsModule && new metricsModule.Metrics();
  registerRequestCompletion(http, { accessLog: config.accessLog, observe: metrics && ((...args) => metrics.httpRequest(...args)) });
  let shuttingDown = false;
  http.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // While shutting down, no connection is kept alive: a request in flight ends with its connection.
    if (shuttingDown) reply.header('connection', 'close');
  });

  // REDIS_URL: rate-limit budgets shared by every instance; otherwise counted in this process, or
  // in a cluster's primary for all its workers (one budget per machine, not one per worker).
  const redis: RedisConnection | undefined = config.redis && (await openRedis(config.redis.url, http.log, { connectTimeoutMs: 5000 }));
  const rateLimitStore: RateLimitStore =
    redis && config.redis
      ? { kind: 'redis', client: redis.client, keyPrefix: config.redis.keyPrefix }
      : options.clusterWorker
        ? { kind: 'cluster' }
        : { kind: 'memory' };
  const rateLimit = rateLimitFactory(rateLimitStore, metrics && ((name) => metrics.rateLimited(name)));

  // Built now (once per process): on the service's start the embedded database is still opening in its thread.
  buildManagementSchema();
  const database = await openDatabase(config, {
    entities,
    logger: options.sqlLogger,
    poolSize: options.poolSize,
    timeouts: config.databaseTimeouts,
    embedded: options.embeddedDatabase,
  }).catch(async (error: unknown) => {
    await redis?.close();
    throw error;
  });
  let listener: ChangeListener | undefined;
  try {
    const dataSource = database.dataSource;
    const masterKey = resolveMasterKey({ masterKey: config.masterKey, dataDir: config.dataDir, warn: (m) => http.log.warn(m) });
    const box = new SecretBox(masterKey);
    // Cache invalidation, for changes committed here (at once) and on any instance (NOTIFY).
    const applyChange = (payload: string, options: { reset?: boolean } = {}) => {
      if (options.reset) registry.clear(options);
      else {
        const colon = payload.indexOf(':');
        registry.applyChange(payload.slice(0, colon), payload.slice(colon + 1));
      }
      if (payload.startsWith('signing_key:')) {
        keyRing.reload().catch((err) => http.log.error({ err }, 'key ring reload failed'));
      } else if (payload.startsWith('resource_server:')) {
        keyRing.forgetSecrets();
      }
    };
    const channel = await changeChannel(dataSource);
    const changes = new PgChangeFeed(channel, applyChange);
    dataSource.subscribers.push(changes);
    const keyRing = new KeyRing(dataSource, box, changes, clock, options.keyPairs);
    const reads = new TokenReadModel(dataSource, clock, { preparedStatements: !database.embedded });
    // Each API is cached with its token hook (secret opened once per load, kept in memory only).
    const registry = new Registry(reads, (hook) => tokenHooks.open(hook), config.registryCache);
    metrics?.observeRegistry(() => registry.stats());

    listener = await listenForChanges(database.url, dataSource, channel, {
      onChange: applyChange,
      // Notices may have been missed while disconnected: drop every cache and reload the keys.
      onReset: () => applyChange('signing_key:*', { reset: true }),
      onError: (err) => http.log.warn({ err }, 'change listener connection lost; reconnecting'),
    });

    const audit = new AuditLog(dataSource, { clock, onError: (err) => http.log.error({ err }, 'audit event write failed') });
    const resourceServers = new ResourceServerService(dataSource, changes, audit, clock, {
      // A new API gets its keys now, so they are in the JWKS before its first token.
      async afterCreate(em, server) {
        if (server.signingAlgorithm === 'HS256') return { signingSecret: await keyRing.createHsSecret(em, server.id) };
        await keyRing.ensureRing(server.signingAlgorithm as AsymmetricAlgorithm, em);
        return {};
      },
      rotateSigningSecret: (em, server, previousExpiresAt) => keyRing.rotateHsSecret(em, server.id, previousExpiresAt),
    });
    const clients = new ClientService(dataSource, changes, audit, clock);
    const clientGrants = new ClientGrantService(dataSource, changes, audit, clock);
    const signingKeys = new SigningKeyService(dataSource, changes, audit, keyRing, clock);
    const revocations = new RevocationService(dataSource, audit, clock);
    const passwordWork = new WorkLimiter(config.passwordHashing);
    const passwords = new PasswordHasher(passwordWork);
    const users = new UserService(dataSource, changes, audit, passwords);
    const administrators = new AdministratorService(dataSource, changes, audit, passwords, clock);
    const refreshTokens = new RefreshTokenService(dataSource, audit, clock);
    const userGrants = new UserGrantService(dataSource, audit, refreshTokens);
    const roles = new RoleService(dataSource, changes, audit);
    const authorizationCodes = new AuthorizationCodeService(dataSource, clock);
    const deviceAuthorizations = new DeviceAuthorizationService(dataSource, clock);
    const tokenHooks = new TokenHookService(dataSource, changes, audit, box, config.tokenHookAllowedHosts);
    const tokenHookCaller = new TokenHookCaller(config.tokenHookAllowedHosts);
    const customClaims: CustomClaimsSource[] = [
      new TokenHookClaims(tokenHookCaller, {
        audit,
        observe: metrics && ((outcome, seconds) => metrics.tokenHookCall(outcome, seconds)),
        log: (details, message) => http.log.warn(details, message),
      }),
    ];
    const tokenHookTester = new TokenHookTester({ reads, users, hooks: tokenHooks, caller: tokenHookCaller, audit, clock });
    const housekeeping = new Housekeeping(dataSource, revocations, clock, {
      auditRetentionDays: config.auditRetentionDays,
      onError: (err) => http.log.error({ err }, 'housekeeping failed'),
    });

    // The userinfo endpoint's URL: the built-in userinfo API's identifier and the endpoint's audience.
    const userinfoAudience = userinfoUrl(config.issuer);
    const bootstrap = await bootstrapManagement(dataSource, changes, {
      issuer: config.issuer,
      audience: config.managementAudience,
      userinfoAudience,
      bootstrapClient: config.bootstrapClient,
    });
    if (config.bootstrapAdmin) await administrators.ensureBootstrapAdministrator(config.bootstrapAdmin);
    // Creates the ring if needed and loads every published key.
    await keyRing.ensureRing(bootstrap.managementApi.signingAlgorithm as AsymmetricAlgorithm);

    const pipeline = new TokenPipeline({
      keyRing,
      issuer: config.issuer,
      roles,
      clock,
      claimsSources: [...customClaims, ...(options.claimsSources ?? [])],
    });
    const grants = new GrantRegistry();
    for (const grant of options.grants ?? []) grants.register(grant);
    const verifier = new AccessTokenVerifier(keyRing, config.issuer, clock);
    const validator = new TokenValidator(registry, verifier, new RevocationCheck(dataSource), users);
    const testTokens = new TestTokenService({ registry, pipeline, audit }, reads);

    registerBodyParsers(http);
    // CORS of the endpoints clients authenticate to, after each client's allowed origins.
    const origins = new ClientOrigins(registry);
    const oauthLimits = oauthRateLimitHooks(
      {
        requestsPerAddress: config.rateLimits.oauthRequests,
        failuresPerAddress: config.rateLimits.oauthFailures,
        clientAuthFailures: config.rateLimits.clientAuthFailures,
      },
      rateLimit,
      http.log,
    );
    // Client authentication of the token, introspection, revocation and PAR endpoints (assertions' jti claimed in the database).
    const usedJtis = new UsedJtiService(dataSource, clock);
    const dpop = new DpopProofVerifier({
      clock,
      replay: usedJtis,
      // Nonces every instance accepts: an HMAC key derived from the master key.
      nonces: new DpopNonces(Buffer.from(hkdfSync('sha256', masterKey, '', 'apiauth dpop nonce', 32)), clock),
      nonceRequired: config.dpopNonceRequired,
    });
    const clientAuth = new ClientAuthenticator({
      registry,
      clock,
      issuer: config.issuer,
      assertions: usedJtis,
    });
    registerTokenEndpoint(http, {
      origins,
      clientAuth,
      rateLimits: oauthLimits,
      grants,
      services: { registry, pipeline, clock, users, authorizationCodes, refreshTokens, validator, verifier, roles, deviceAuthorizations },
      dpop,
      url: endpointUrl(config.issuer, '/oauth/token'),
      observe: metrics && ((grantType, outcome) => metrics.tokenRequest(grantType, outcome)),
    });
    registerIntrospectionEndpoint(http, {
      registry,
      clientAuth,
      validator,
      rateLimits: oauthLimits,
      observe: metrics && ((outcome) => metrics.introspectionRequest(outcome)),
    });
    registerRevocationEndpoint(http, { clientAuth, validator, refreshTokens, revocations, origins, rateLimits: oauthLimits });
    registerUserinfoEndpoint(http, { validator, registry, users, origins, audience: userinfoAudience, dpop });
    const sessions = new SessionService(dataSource, clock, config.session);
    const audiences = { defaultAudience: config.defaultAudience, userinfo: userinfoAudience };
    // Pushed authorization requests (RFC 9126): pushed at /oauth/par, redeemed once by /authorize.
    const pushedRequests = new PushedAuthorizationRequestService(dataSource, clock);
    registerPushedAuthorizationRequestEndpoint(http, {
      clientAuth,
      validation: { registry, audiences },
      pushedRequests,
      origins,
      rateLimits: oauthLimits,
    });
    // GET /authorize with its sign-in and consent pages (POST /authorize/login, /authorize/consent).
    registerAuthorizeEndpoint(http, {
      issuer: config.issuer,
      registry,
      audiences,
      box,
      clock,
      pipeline,
      users,
      sessions,
      throttle: new LoginThrottleService(dataSource, clock),
      userGrants,
      resourceServers,
      authorizationCodes,
      usedNonces: new UsedNonceService(dataSource, clock),
      usedTransactions: new UsedTransactionService(dataSource),
      pushedRequests,
    });
    // The device authorization grant (RFC 8628): POST /oauth/device/code, and the verification page
    // GET/POST /device with its sign-in and consent (POST /device/login, /device/consent).
    registerDeviceAuthorizationEndpoint(http, {
      issuer: config.issuer,
      registry,
      audiences,
      clientAuth,
      origins,
      rateLimits: oauthLimits,
      deviceAuthorizations,
    });
    registerDeviceVerification(http, {
      issuer: config.issuer,
      box,
      clock,
      registry,
      users,
      sessions,
      throttle: new LoginThrottleService(dataSource, clock),
      userCodeAttempts: config.deviceUserCodeAttempts,
      userGrants,
      resourceServers,
      usedTransactions: new UsedTransactionService(dataSource),
      deviceAuthorizations,
    });
    // RP-initiated logout (end_session_endpoint) and Auth0's /v2/logout.
    registerLogoutEndpoints(http, { issuer: config.issuer, registry, keyRing, sessions });
    registerHealthRoutes(http, {
      shuttingDown: () => shuttingDown,
      checks: {
        database: () => database.ping(),
        migrations: async () => {
          if (await dataSource.showMigrations()) throw new Error('pending migrations');
        },
        keys: async () => {
          if (!keyRing.hasCurrentKey(bootstrap.managementApi.signingAlgorithm)) throw new Error('no current key');
        },
      },
    });
    registerWellKnown(http, { issuer: config.issuer, keyRing, grants });
    registerConsoleConfig(http, { issuer: config.issuer, clientId: bootstrap.consoleClient.clientId, audience: config.managementAudience });
    registerConsoleSetup(http, { issuer: config.issuer, box, clock, administrators });
    const explorer = config.explorer ? registerExplorer(http, { audience: config.managementAudience }) : undefined;
    registerLandingPage(http, { issuer: config.issuer, explorer: config.explorer });
    registerConsole(http, { issuer: config.issuer });
    await mountGraphQL(http, {
      config,
      lookup: new EntityLookup(dataSource),
      services: {
        resourceServers,
        clients,
        clientGrants,
        tokens: testTokens,
        signingKeys,
        revocations,
        tokenValidator: validator,
        audit,
        users,
        userGrants,
        roles,
        refreshTokens,
        tokenHooks,
        tokenHookTester,
      },
      principalOf,
      preHandler: createManagementAuth({
        validator,
        audience: config.managementAudience,
        audit,
        introspection: config.graphql.introspection,
        dpop,
        url: endpointUrl(config.issuer, '/graphql'),
        people: { consoleClientId: bootstrap.consoleClient.clientId, managementApiId: bootstrap.managementApi.id, users, roles },
        limits: graphqlRateLimits(
          { perCaller: config.rateLimits.graphqlCaller, tokenlessPerAddress: config.rateLimits.graphqlTokenless },
          rateLimit,
        ),
      }),
      explorer,
      metrics,
    });
    await http.ready();
    // Off the public port: a server of its own, only when METRICS_PORT is set; a cluster's primary serves its workers' metrics.
    const metricsServer =
      metricsModule && metrics && config.metrics && !options.clusterWorker
        ? await metricsModule.startMetricsServer(metrics, { ...config.metrics, log: http.log })
        : undefined;
    const stopAnsweringMetrics =
      metrics && options.clusterWorker
        ? (require('./http/cluster-metrics') as typeof import('./http/cluster-metrics')).answerMetricsRequests(metrics.registry)
        : undefined;
    housekeeping.start(config.purgeIntervalSeconds);

    const activeListener = listener;
    return {
      config,
      http,
      database,
      keyRing,
      registry,
      grants,
      housekeeping,
      users,
      passwordWork,
      userGrants,
      roles,
      authorizationCodes,
      refreshTokens,
      customClaims,
      bootstrap,
      createFirstManagementClient: () => createFirstManagementClient(dataSource, changes),
      createAdminSetupToken: () => administrators.issueSetupToken(),
      metricsServer,
      beginShutdown() {
        shuttingDown = true;
      },
      async close() {
        shuttingDown = true;
        await housekeeping.stop();
        // Stops accepting connections and waits for the requests in flight.
        await http.close();
        tokenHookCaller.close();
        await metricsServer?.close();
        stopAnsweringMetrics?.();
        await activeListener.close();
        await database.close();
        await redis?.close();
      },
    };
  } catch (error) {
    await listener?.close();
    await database.close();
    await redis?.close();
    throw error;
  }
}
