import 'reflect-metadata';
import Fastify, { FastifyInstance } from 'fastify';
import type { Logger as TypeOrmLogger } from 'typeorm';
import type { Config } from './config';
import { openDatabase, Database } from './db/database';
import { PgChangeFeed } from './db/pg-change-feed';
import { listenForChanges, ChangeListener } from './db/change-listener';
import { resolveMasterKey } from './crypto/master-key';
import { SecretBox } from './crypto/secret-box';
import { KeyRing, AsymmetricAlgorithm } from './crypto/key-ring';
import { ResourceServerService } from './domain/resource-server/resource-server.service';
import { ClientService } from './domain/client/client.service';
import { ClientGrantService } from './domain/client-grant/client-grant.service';
import { bootstrapManagement, BootstrapResult } from './domain/management/bootstrap';
import { AuditLog } from './domain/audit/audit-log';
import { SigningKeyService } from './domain/signing-key/signing-key.service';
import { RevocationService } from './domain/revocation/revocation.service';
import { UserService } from './domain/user/user.service';
import { UserGrantService } from './domain/user-grant/user-grant.service';
import { RefreshTokenService } from './domain/refresh-token/refresh-token.service';
import { Clock, systemClock } from './lib/clock';
import { RoleService } from './domain/role/role.service';
import { Housekeeping } from './domain/housekeeping';
import { AuthorizationCodeService } from './domain/authorization/authorization-code.service';
import { Registry } from './oauth/registry';
import { AccessTokenIssuer } from './oauth/access-token';
import { AccessTokenVerifier } from './oauth/token-verifier';
import { RevocationCheck } from './oauth/revocation-check';
import { TokenValidator } from './oauth/token-validator';
import { registerIntrospectionEndpoint } from './oauth/introspection-endpoint';
import { registerRevocationEndpoint } from './oauth/revocation-endpoint';
import { registerTokenEndpoint } from './oauth/token-endpoint';
import { registerAuthorizeEndpoint } from './oauth/authorize/endpoint';
import { TestTokenService } from './oauth/test-tokens';
import { mountGraphQL } from './http/graphql-route';
import { createManagementAuth, principalOf } from './http/management-auth';
import { registerWellKnown } from './http/well-known';
import { registerExplorer } from './http/explorer';
import { registerBodyParsers } from './http/body-parsers';
import { AccessLogController, loggerOptions, registerRequestCompletion, requestIdOf } from './http/logging';
import { registerHealthRoutes } from './http/health';
import { Metrics, MetricsServer, startMetricsServer } from './http/metrics';

export interface App {
  config: Config;
  http: FastifyInstance;
  database: Database;
  keyRing: KeyRing;
  registry: Registry;
  housekeeping: Housekeeping;
  /** The user directory (sign-in at /authorize, management through GraphQL). */
  users: UserService;
  /** Users' consents (user grants): recorded by the consent page, read before asking again. */
  userGrants: UserGrantService;
  /** Roles (RBAC): users' permissions, applied to their tokens for APIs with enforcePolicies. */
  roles: RoleService;
  /** Authorization codes: issued by /authorize, exchanged at the token endpoint. */
  authorizationCodes: AuthorizationCodeService;
  /** Refresh tokens: issued with offline_access, used at the token endpoint, revoked at /oauth/revoke. */
  refreshTokens: RefreshTokenService;
  bootstrap: BootstrapResult;
  /** The Prometheus endpoint's server, when METRICS_PORT is set. */
  metricsServer: MetricsServer | undefined;
  /** Marks the instance as shutting down: /readyz answers 503 from now on (close() does it too). */
  beginShutdown(): void;
  close(): Promise<void>;
}

/**
 * Wires the service: database (migrated) → keys → management bootstrap → HTTP routes.
 * Used by main.ts and by the tests, so tests run the real thing.
 */
export async function createApp(
  config: Config,
  /**
   * `poolSize`: tests reaching an embedded PGlite through its URL use its pool size of 1.
   * `logStream`: where the JSON log lines go (default stdout); tests capture them.
   * `clock`: the time of every time decision (default the system clock); tests move it.
   */
  options: { sqlLogger?: TypeOrmLogger; poolSize?: number; logStream?: { write(line: string): void }; clock?: Clock } = {},
): Promise<App> {
  const http = Fastify({
    logger: loggerOptions(config.logLevel, options.logStream),
    // Fastify's own request lines are off (they carry the raw URL); one access line per request instead.
    logController: new AccessLogController(),
    // The caller's x-request-id when it is a safe id, else a new UUID; on every log line as reqId.
    genReqId: requestIdOf,
    trustProxy: false,
  });
  const metrics = config.metrics ? new Metrics() : undefined;
  registerRequestCompletion(http, { accessLog: config.accessLog, observe: metrics && ((...args) => metrics.httpRequest(...args)) });
  let shuttingDown = false;
  http.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // While shutting down, no connection is kept alive: a request in flight ends with its connection.
    if (shuttingDown) reply.header('connection', 'close');
  });

  const database = await openDatabase(config, { logger: options.sqlLogger, poolSize: options.poolSize });
  let listener: ChangeListener | undefined;
  try {
    const dataSource = database.dataSource;
    const clock = options.clock ?? systemClock;
    const box = new SecretBox(resolveMasterKey({ masterKey: config.masterKey, dataDir: config.dataDir, warn: (m) => http.log.warn(m) }));
    // Cache invalidation, for changes committed here (at once) and on any instance (NOTIFY).
    const applyChange = (payload: string) => {
      registry.clear();
      if (payload.startsWith('signing_key:')) {
        keyRing.reload().catch((err) => http.log.error({ err }, 'key ring reload failed'));
      } else if (payload.startsWith('resource_server:')) {
        keyRing.forgetSecrets();
      }
    };
    const changes = new PgChangeFeed(applyChange);
    dataSource.subscribers.push(changes);
    const keyRing = new KeyRing(dataSource, box, changes, clock);
    const registry = new Registry(dataSource);

    listener = await listenForChanges(database.url, dataSource, {
      onChange: applyChange,
      // Notices may have been missed while disconnected: drop every cache and reload the keys.
      onReset: () => applyChange('signing_key:*'),
      onError: (err) => http.log.warn({ err }, 'change listener connection lost; reconnecting'),
    });

    const audit = new AuditLog(dataSource, (err) => http.log.error({ err }, 'audit event write failed'));
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
    const users = new UserService(dataSource, changes, audit);
    const refreshTokens = new RefreshTokenService(dataSource, audit, clock);
    const userGrants = new UserGrantService(dataSource, audit, refreshTokens);
    const roles = new RoleService(dataSource, changes, audit);
    const authorizationCodes = new AuthorizationCodeService(dataSource);
    const housekeeping = new Housekeeping(dataSource, revocations, clock, {
      auditRetentionDays: config.auditRetentionDays,
      onError: (err) => http.log.error({ err }, 'housekeeping failed'),
    });

    const bootstrap = await bootstrapManagement(dataSource, changes, {
      audience: config.managementAudience,
      bootstrapClient: config.bootstrapClient,
    });
    // Creates the ring if needed and loads every published key.
    await keyRing.ensureRing(bootstrap.managementApi.signingAlgorithm as AsymmetricAlgorithm);

    const issuer = new AccessTokenIssuer(keyRing, config.issuer);
    const verifier = new AccessTokenVerifier(keyRing, config.issuer, clock);
    const validator = new TokenValidator(registry, verifier, new RevocationCheck(dataSource));
    const tokens = new TestTokenService(dataSource, { registry, issuer, audit });

    registerBodyParsers(http);
    registerTokenEndpoint(http, {
      registry,
      issuer,
      authorizationCodes,
      users,
      roles,
      refreshTokens,
      observe: metrics && ((grantType, outcome) => metrics.tokenRequest(grantType, outcome)),
    });
    registerIntrospectionEndpoint(http, { registry, validator, observe: metrics && ((outcome) => metrics.introspectionRequest(outcome)) });
    registerRevocationEndpoint(http, { registry, validator, refreshTokens, revocations });
    // GET /authorize with its sign-in and consent pages (POST /authorize/login, /authorize/consent).
    registerAuthorizeEndpoint(http, { issuer: config.issuer, registry, dataSource, box, tokens: issuer, users, userGrants, authorizationCodes, roles });
    registerHealthRoutes(http, {
      shuttingDown: () => shuttingDown,
      checks: {
        database: () => dataSource.query('SELECT 1'),
        migrations: async () => {
          if (await dataSource.showMigrations()) throw new Error('pending migrations');
        },
        keys: async () => {
          if (!keyRing.hasCurrentKey(bootstrap.managementApi.signingAlgorithm)) throw new Error('no current key');
        },
      },
    });
    registerWellKnown(http, { issuer: config.issuer, keyRing });
    const explorer = config.explorer ? registerExplorer(http, { audience: config.managementAudience }) : undefined;
    await mountGraphQL(http, {
      config,
      dataSource,
      services: { resourceServers, clients, clientGrants, tokens, signingKeys, revocations, tokenValidator: validator, audit, users, userGrants, roles, refreshTokens },
      principalOf,
      preHandler: createManagementAuth({ validator, audience: config.managementAudience, audit }),
      explorer,
      metrics,
    });
    await http.ready();
    // Off the public port: a server of its own, only when METRICS_PORT is set.
    const metricsServer =
      metrics && config.metrics ? await startMetricsServer(metrics, { ...config.metrics, log: http.log }) : undefined;
    housekeeping.start(config.purgeIntervalSeconds);

    const activeListener = listener;
    return {
      config,
      http,
      database,
      keyRing,
      registry,
      housekeeping,
      users,
      userGrants,
      roles,
      authorizationCodes,
      refreshTokens,
      bootstrap,
      metricsServer,
      beginShutdown() {
        shuttingDown = true;
      },
      async close() {
        shuttingDown = true;
        await housekeeping.stop();
        // Stops accepting connections and waits for the requests in flight.
        await http.close();
        await metricsServer?.close();
        await activeListener.close();
        await database.close();
      },
    };
  } catch (error) {
    await listener?.close();
    await database.close();
    throw error;
  }
}
