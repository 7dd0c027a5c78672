import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * DPoP (RFC 9449): each API's proof-of-possession policy; the key an authorization code
 * (`dpop_jkt`) and a refresh-token family (public clients) are bound to; and one replay store for every one-time JWT (client assertions and DPoP
 * proofs), keyed by who minted it, instead of a table per kind. The assertions remembered so far
 * are carried over, so none becomes replayable during the upgrade.
 */
export class Dpop1763856000012 implements MigrationInterface {
  name = 'Dpop1763856000012';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE resource_servers ADD COLUMN proof_of_possession varchar(16) NOT NULL DEFAULT 'NONE'`);
    await q.query(`ALTER TABLE refresh_tokens ADD COLUMN dpop_jkt varchar(43)`);
    await q.query(`ALTER TABLE authorization_codes ADD COLUMN dpop_jkt varchar(43)`);
    await q.query(`
      CREATE TABLE used_jtis (
        issuer varchar(100) NOT NULL,
        jti varchar(255) NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (issuer, jti)
      )`);
    await q.query(`CREATE INDEX ix_used_jtis_expires_at ON used_jtis (expires_at)`);
    await q.query(
      `INSERT INTO used_jtis (issuer, jti, expires_at) SELECT 'client:' || client_id, jti, expires_at FROM used_client_assertions`,
    );
    await q.query(`DROP TABLE used_client_assertions`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE used_client_assertions (
        client_id uuid NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        jti varchar(255) NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (client_id, jti)
      )`);
    await q.query(`CREATE INDEX ix_used_client_assertions_expires_at ON used_client_assertions (expires_at)`);
    await q.query(
      `INSERT INTO used_client_assertions (client_id, jti, expires_at)
       SELECT c.id, u.jti, u.expires_at FROM used_jtis u JOIN clients c ON u.issuer = 'client:' || c.id`,
    );
    await q.query(`DROP TABLE used_jtis`);
    // Refresh tokens bound to a key the older code cannot check: revoked rather than left usable by anyone holding them.
    await q.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE dpop_jkt IS NOT NULL AND revoked_at IS NULL`);
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN dpop_jkt`);
    // A code lives 60 seconds: one bound to a key is simply dropped.
    await q.query(`DELETE FROM authorization_codes WHERE dpop_jkt IS NOT NULL AND issued_jti IS NULL`);
    await q.query(`ALTER TABLE authorization_codes DROP COLUMN dpop_jkt`);
    await q.query(`ALTER TABLE resource_servers DROP COLUMN proof_of_possession`);
  }
}
