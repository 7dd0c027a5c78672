import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * RFC 9700 tightening. The jti denylist is keyed by (API, jti): a jti is unique only within the API
 * that issued it, so denylisting one API's token must not refuse another API's token with the same
 * jti. And a consent form is single-use: the random ids of the forms already submitted, kept until
 * the forms expire.
 */
export class ProtocolHardening1763856000008 implements MigrationInterface {
  name = 'ProtocolHardening1763856000008';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE revoked_tokens DROP CONSTRAINT revoked_tokens_pkey`);
    // No code path ever wrote a NULL API (every writer names the token's API). A row without one
    // meant "this jti, whatever its API" under the old key: it becomes one row per API, so nothing
    // revoked becomes active again.
    await q.query(`
      INSERT INTO revoked_tokens (jti, resource_server_id, expires_at, revoked_at)
      SELECT t.jti, s.id, t.expires_at, t.revoked_at FROM revoked_tokens t CROSS JOIN resource_servers s
       WHERE t.resource_server_id IS NULL`);
    await q.query(`DELETE FROM revoked_tokens WHERE resource_server_id IS NULL`);
    await q.query(`ALTER TABLE revoked_tokens ALTER COLUMN resource_server_id SET NOT NULL`);
    await q.query(`ALTER TABLE revoked_tokens ADD PRIMARY KEY (resource_server_id, jti)`);

    await q.query(`
      CREATE TABLE used_transactions (
        id varchar(64) PRIMARY KEY,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX ix_used_transactions_expires_at ON used_transactions (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE used_transactions`);
    // Back to one row per jti (which then refuses that jti for every API): the longest-lived one.
    await q.query(`
      DELETE FROM revoked_tokens t USING revoked_tokens o
       WHERE t.jti = o.jti AND (t.expires_at, t.resource_server_id) < (o.expires_at, o.resource_server_id)`);
    await q.query(`ALTER TABLE revoked_tokens DROP CONSTRAINT revoked_tokens_pkey`);
    await q.query(`ALTER TABLE revoked_tokens ALTER COLUMN resource_server_id DROP NOT NULL`);
    await q.query(`ALTER TABLE revoked_tokens ADD PRIMARY KEY (jti)`);
  }
}
