import { createDataSource } from '../../src/db/data-source';
import { entities } from '../../src/domain/entities';
import { migrations } from '../../src/db/migrations';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';

const TABLES = [
  'resource_servers',
  'scopes',
  'clients',
  'client_secrets',
  'client_grants',
  'signing_keys',
  'resource_server_secrets',
  'revoked_tokens',
  'token_watermarks',
  'audit_events',
  'users',
  'user_grants',
  'authorization_codes',
  'user_sessions',
  'login_failures',
  'used_nonces',
  'refresh_tokens',
  'roles',
  'role_permissions',
  'user_roles',
  'token_hooks',
];

async function tables(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> 'migrations' ORDER BY 1`,
  );
  return rows.map((r) => r.table_name);
}

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('run up, all the way down, and up again on a real database', async () => {
    const dataSource = createDataSource(db.url, { entities, poolSize: 2 });
    await dataSource.initialize();
    try {
      expect(await tables(db)).toEqual([]);
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      expect(applied.map((m) => m.name)).toEqual(migrations.map((m) => new m().name));
      expect(await tables(db)).toEqual([...TABLES].sort());

      for (let i = 0; i < migrations.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
      expect(await tables(db)).toEqual([]);
      expect(await db.query('SELECT * FROM migrations')).toEqual([]);

      const again = await dataSource.runMigrations({ transaction: 'each' });
      expect(again).toHaveLength(migrations.length);
      expect(await tables(db)).toEqual([...TABLES].sort());
      expect(await dataSource.showMigrations()).toBe(false);
    } finally {
      await dataSource.destroy();
    }
  });
});
