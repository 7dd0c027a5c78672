import type { DataSource } from 'typeorm';
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
  'used_transactions',
  'used_jtis',
  'pushed_authorization_requests',
  'refresh_tokens',
  'roles',
  'role_permissions',
  'user_roles',
  'token_hooks',
  'device_authorizations',
  'admin_setup_tokens',
];

/** Undoes the latest migrations, down to and including the one named `name`. */
async function undoThrough(dataSource: DataSource, name: string): Promise<void> {
  for (const migration of [...migrations].reverse()) {
    await dataSource.undoLastMigration({ transaction: 'each' });
    if (new migration().name === name) return;
  }
  throw new Error(`no migration ${name}`);
}

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

  it('keys the jti denylist by (API, jti): entries keep their API; one without an API is kept for every API; down keeps one per jti', async () => {
    const dataSource = createDataSource(db.url, { entities, poolSize: 2 });
    await dataSource.initialize();
    try {
      await dataSource.runMigrations({ transaction: 'each' });
      await undoThrough(dataSource, 'ProtocolHardening1763856000008');
      const apiIds: string[] = [];
      for (const name of ['a', 'b']) {
        const [row] = await db.query<{ id: string }>(
          `INSERT INTO resource_servers (name, identifier, signing_algorithm, token_lifetime, token_lifetime_for_web,
             allow_skipping_user_consent, allow_offline_access, enforce_policies, token_dialect)
           VALUES ($1, $2, 'RS256', 600, 600, false, false, false, 'RFC9068_PROFILE') RETURNING id`,
          [name, `https://${name}.example/`],
        );
        apiIds.push(row.id);
      }
      const [a, b] = apiIds;
      const expiry = new Date(Date.now() + 3_600_000);
      await db.query(
        `INSERT INTO revoked_tokens (jti, resource_server_id, expires_at) VALUES ('j-a', $1, $3), ('j-b', $2, $3), ('j-null', NULL, $3)`,
        [a, b, expiry],
      );
      await dataSource.runMigrations({ transaction: 'each' });
      const rows = () => db.query<any>(`SELECT jti, resource_server_id, expires_at FROM revoked_tokens ORDER BY jti, resource_server_id`);
      const sorted = [a, b].sort();
      expect(await rows()).toEqual([
        { jti: 'j-a', resource_server_id: a, expires_at: expiry },
        { jti: 'j-b', resource_server_id: b, expires_at: expiry },
        { jti: 'j-null', resource_server_id: sorted[0], expires_at: expiry },
        { jti: 'j-null', resource_server_id: sorted[1], expires_at: expiry },
      ]);
      // The same jti may now be denylisted for two APIs; NULL is refused.
      await db.query(`INSERT INTO revoked_tokens (jti, resource_server_id, expires_at) VALUES ('j-a', $1, $2)`, [b, expiry]);
      await expect(
        db.query(`INSERT INTO revoked_tokens (jti, resource_server_id, expires_at) VALUES ('j-c', NULL, $1)`, [expiry]),
      ).rejects.toThrow();

      await undoThrough(dataSource, 'ProtocolHardening1763856000008');
      expect((await rows()).map((r: { jti: string }) => r.jti)).toEqual(['j-a', 'j-b', 'j-null']);
    } finally {
      await dataSource.destroy();
    }
  });

  it('Dpop up carries the client assertions remembered into used_jtis, and down carries them back', async () => {
    const dataSource = createDataSource(db.url, { entities, poolSize: 2 });
    await dataSource.initialize();
    try {
      await dataSource.runMigrations({ transaction: 'each' });
      await undoThrough(dataSource, 'Dpop1763856000012');
      const [row] = await db.query<{ id: string }>(
        `INSERT INTO clients (client_id, name, app_type, is_first_party, grant_types, token_endpoint_auth_method, callbacks, allowed_origins, jwks)
         VALUES ('dpop-migration-client', 'd', 'MACHINE_TO_MACHINE', true, '{CLIENT_CREDENTIALS}', 'PRIVATE_KEY_JWT', '{}', '{}', '{"keys": []}') RETURNING id`,
      );
      await db.query(
        `INSERT INTO used_client_assertions (client_id, jti, expires_at) VALUES ($1, 'carried', now() + interval '1 minute')`,
        [row.id],
      );
      await dataSource.runMigrations({ transaction: 'each' });
      expect(await db.query(`SELECT issuer, jti FROM used_jtis WHERE jti = 'carried'`)).toEqual([
        { issuer: `client:${row.id}`, jti: 'carried' },
      ]);
      // A DPoP proof's jti has no client: it does not go back.
      await db.query(`INSERT INTO used_jtis (issuer, jti, expires_at) VALUES ('dpop:thumbprint', 'proof', now() + interval '1 minute')`);
      await undoThrough(dataSource, 'Dpop1763856000012');
      expect(await db.query(`SELECT client_id, jti FROM used_client_assertions WHERE jti IN ('carried', 'proof')`)).toEqual([
        { client_id: row.id, jti: 'carried' },
      ]);
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await dataSource.destroy();
    }
  });

  it('ClientKeys down: a PRIVATE_KEY_JWT client becomes a secret client without a secret, not a deleted one', async () => {
    const dataSource = createDataSource(db.url, { entities, poolSize: 2 });
    await dataSource.initialize();
    try {
      await dataSource.runMigrations({ transaction: 'each' });
      const [row] = await db.query<{ id: string }>(
        `INSERT INTO clients (client_id, name, app_type, is_first_party, grant_types, token_endpoint_auth_method, callbacks, allowed_origins, jwks)
         VALUES ('key-client', 'k', 'MACHINE_TO_MACHINE', true, '{CLIENT_CREDENTIALS}', 'PRIVATE_KEY_JWT', '{}', '{}', '{"keys": []}') RETURNING id`,
      );
      await undoThrough(dataSource, 'Dpop1763856000012');
      await db.query(`INSERT INTO used_client_assertions (client_id, jti, expires_at) VALUES ($1, 'j', now())`, [row.id]);
      await undoThrough(dataSource, 'ClientKeys1763856000009');
      expect(await db.query(`SELECT client_id, token_endpoint_auth_method FROM clients WHERE id = $1`, [row.id])).toEqual([
        { client_id: 'key-client', token_endpoint_auth_method: 'CLIENT_SECRET_BASIC' },
      ]);
      expect(await tables(db)).not.toContain('used_client_assertions');
      await dataSource.runMigrations({ transaction: 'each' });
      expect(await db.query(`SELECT jwks FROM clients WHERE id = $1`, [row.id])).toEqual([{ jwks: null }]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('DeviceAuthorization down: clients lose DEVICE_CODE, keep their other grants', async () => {
    const dataSource = createDataSource(db.url, { entities, poolSize: 2 });
    await dataSource.initialize();
    try {
      await dataSource.runMigrations({ transaction: 'each' });
      const [row] = await db.query<{ id: string }>(
        `INSERT INTO clients (client_id, name, app_type, is_first_party, grant_types, token_endpoint_auth_method, callbacks, allowed_origins)
         VALUES ('tv-client', 'tv', 'NATIVE', true, '{AUTHORIZATION_CODE,DEVICE_CODE,REFRESH_TOKEN}', 'NONE', '{}', '{}') RETURNING id`,
      );
      await undoThrough(dataSource, 'DeviceAuthorization1763856000013');
      expect(await db.query(`SELECT grant_types FROM clients WHERE id = $1`, [row.id])).toEqual([
        { grant_types: ['AUTHORIZATION_CODE', 'REFRESH_TOKEN'] },
      ]);
      expect(await tables(db)).not.toContain('device_authorizations');
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await dataSource.destroy();
    }
  });
});
