import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signing in to the Management API as a person (the console): the built-in console client and
 * Administrator role are marked `builtin` (one of each, ensured at start), and the one pending
 * link to set the first administrator's password is kept as the digest of its token.
 */
export class Console1763856000014 implements MigrationInterface {
  name = 'Console1763856000014';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clients ADD COLUMN builtin varchar(16) UNIQUE CHECK (builtin IN ('CONSOLE'))`);
    await q.query(`ALTER TABLE roles ADD COLUMN builtin varchar(16) UNIQUE CHECK (builtin IN ('ADMINISTRATOR'))`);
    await q.query(`
      CREATE TABLE admin_setup_tokens (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        token_hash varchar(64) NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE admin_setup_tokens`);
    // The older code gives users no Management API token: permissions on it would only be refused clutter.
    await q.query(
      `DELETE FROM role_permissions WHERE resource_server_id IN (SELECT id FROM resource_servers WHERE builtin = 'MANAGEMENT')`,
    );
    await q.query(`ALTER TABLE roles DROP COLUMN builtin`);
    await q.query(`ALTER TABLE clients DROP COLUMN builtin`);
  }
}
