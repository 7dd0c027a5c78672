import { entities } from '../../src/domain/entities';
import type { UserEntity } from '../../src/domain/user/user.entity';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../../src/db/database';
import { EMBEDDED_POOL_SIZE } from '../../src/db/embedded-postgres';
import { AuditLog } from '../../src/domain/audit/audit-log';
import { SYSTEM_ACTOR } from '../../src/domain/audit/actor';
import type { ChangeFeed } from '../../src/db/change-feed';
import { ClientService, ClientCreate } from '../../src/domain/client/client.service';
import { ResourceServerService, ResourceServerCreate } from '../../src/domain/resource-server/resource-server.service';
import { RefreshTokenService } from '../../src/domain/refresh-token/refresh-token.service';
import { UserGrantService } from '../../src/domain/user-grant/user-grant.service';
import { UserService } from '../../src/domain/user/user.service';
import { PasswordHasher } from '../../src/domain/user/password';
import { WorkLimiter } from '../../src/lib/work-limiter';
import type { Clock } from '../../src/lib/clock';
import type { CachedApi } from '../../src/oauth/registry';
import { createTestDatabase, TestDatabase } from './test-database';

/**
 * The real domain services on a private migrated database, without the HTTP server: for unit tests
 * of the steps that persist through them. Changes are not announced (no cache to clear here).
 */
export interface DomainServices {
  db: TestDatabase;
  dataSource: DataSource;
  audit: AuditLog;
  users: UserService;
  /** The users' cap on password hashing (2 at once, 100 waiting): a test may hold its slots. */
  passwordWork: WorkLimiter;
  clients: ClientService;
  resourceServers: ResourceServerService;
  refreshTokens: RefreshTokenService;
  userGrants: UserGrantService;
  /** A user with this password (not blocked unless asked). */
  createUser(email: string, password: string, options?: { blocked?: boolean }): Promise<UserEntity>;
  createClient(input: Partial<ClientCreate>): Promise<Awaited<ReturnType<ClientService['create']>>['client']>;
  /** An API as the registry hands it to /authorize. */
  createApi(input: Partial<ResourceServerCreate>): Promise<CachedApi>;
  close(): Promise<void>;
}

const silentChanges: ChangeFeed = { publish: async () => {} };

export async function openDomainServices(clock: Clock): Promise<DomainServices> {
  const db = await createTestDatabase();
  // As the service opens it: migrated (a no-op on the embedded template, needed on a fresh PostgreSQL schema).
  const database = await openDatabase(
    { databaseUrl: db.url, dataDir: '' },
    { entities, poolSize: process.env.DATABASE_URL ? undefined : EMBEDDED_POOL_SIZE },
  );
  const dataSource = database.dataSource;
  const audit = new AuditLog(dataSource, { clock });
  const passwordWork = new WorkLimiter({ concurrency: 2, queue: 100 });
  const users = new UserService(dataSource, silentChanges, audit, new PasswordHasher(passwordWork));
  const clients = new ClientService(dataSource, silentChanges, audit, clock);
  const resourceServers = new ResourceServerService(dataSource, silentChanges, audit, clock);
  const refreshTokens = new RefreshTokenService(dataSource, audit, clock);
  const userGrants = new UserGrantService(dataSource, audit, refreshTokens);
  let seq = 0;
  return {
    db,
    dataSource,
    audit,
    users,
    passwordWork,
    clients,
    resourceServers,
    refreshTokens,
    userGrants,
    async createUser(email, password, options = {}) {
      return users.create({ email, password, blocked: options.blocked ?? false }, SYSTEM_ACTOR);
    },
    async createClient(input) {
      const { client } = await clients.create(
        { name: `client ${++seq}`, appType: 'REGULAR_WEB', callbacks: ['https://app.example/cb'], ...input },
        SYSTEM_ACTOR,
      );
      return client;
    },
    async createApi(input) {
      const { server } = await resourceServers.create(
        { name: `API ${++seq}`, identifier: `https://api-${seq}.example`, ...input },
        SYSTEM_ACTOR,
      );
      const scopes = (await resourceServers.scopesOf([server.id])).get(server.id) ?? [];
      return { server, scopes: new Set(scopes.map((s) => s.value)) };
    },
    async close() {
      await database.close();
      await db.drop();
    },
  };
}
