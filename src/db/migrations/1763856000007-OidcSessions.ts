import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * OpenID Connect: sessions get a public id (`sid` of ID tokens, never the cookie's secret) and an
 * idle expiry; authorization codes carry the request's `nonce` and the sign-in (`sid`, `auth_time`)
 * into the ID token, and refresh tokens carry the sign-in into the ID tokens of refreshes. The
 * built-in APIs are told apart by `builtin` (the Management API, and the userinfo endpoint's
 * audience for requests that name no API).
 */
export class OidcSessions1763856000007 implements MigrationInterface {
  name = 'OidcSessions1763856000007';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE user_sessions ADD COLUMN sid varchar(64)`);
    await q.query(`ALTER TABLE user_sessions ADD COLUMN idle_expires_at timestamptz`);
    // Sessions of before: a random public id each, idle until their absolute expiry.
    await q.query(`UPDATE user_sessions SET sid = replace(gen_random_uuid()::text, '-', ''), idle_expires_at = expires_at`);
    await q.query(`ALTER TABLE user_sessions ALTER COLUMN sid SET NOT NULL`);
    await q.query(`ALTER TABLE user_sessions ALTER COLUMN idle_expires_at SET NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX ux_user_sessions_sid ON user_sessions (sid)`);
    await q.query(`CREATE INDEX ix_user_sessions_idle_expires_at ON user_sessions (idle_expires_at)`);

    await q.query(`ALTER TABLE authorization_codes ADD COLUMN nonce varchar(255)`);
    await q.query(`ALTER TABLE authorization_codes ADD COLUMN sid varchar(64)`);
    await q.query(`ALTER TABLE authorization_codes ADD COLUMN auth_time timestamptz`);
    await q.query(`ALTER TABLE refresh_tokens ADD COLUMN sid varchar(64)`);
    await q.query(`ALTER TABLE refresh_tokens ADD COLUMN auth_time timestamptz`);

    await q.query(`ALTER TABLE resource_servers ADD COLUMN builtin varchar(16) CHECK (builtin IN ('MANAGEMENT', 'USERINFO'))`);
    await q.query(`UPDATE resource_servers SET builtin = 'MANAGEMENT' WHERE is_system`);
    await q.query(`CREATE UNIQUE INDEX ux_resource_servers_builtin ON resource_servers (builtin) WHERE builtin IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM resource_servers WHERE builtin = 'USERINFO'`);
    await q.query(`DROP INDEX ux_resource_servers_builtin`);
    await q.query(`ALTER TABLE resource_servers DROP COLUMN builtin`);
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN auth_time`);
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN sid`);
    await q.query(`ALTER TABLE authorization_codes DROP COLUMN auth_time`);
    await q.query(`ALTER TABLE authorization_codes DROP COLUMN sid`);
    await q.query(`ALTER TABLE authorization_codes DROP COLUMN nonce`);
    await q.query(`DROP INDEX ix_user_sessions_idle_expires_at`);
    await q.query(`DROP INDEX ux_user_sessions_sid`);
    await q.query(`ALTER TABLE user_sessions DROP COLUMN idle_expires_at`);
    await q.query(`ALTER TABLE user_sessions DROP COLUMN sid`);
  }
}
