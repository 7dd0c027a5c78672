import { MigrationInterface, QueryRunner } from 'typeorm';

/** Revocation (jti denylist, per client+API watermarks) and the audit log. */
export class Lifecycle1763856000002 implements MigrationInterface {
  name = 'Lifecycle1763856000002';

  async up(q: QueryRunner): Promise<void> {
    // One row per revoked token until the token itself expires; purged after that.
    await q.query(`
      CREATE TABLE revoked_tokens (
        jti varchar(255) PRIMARY KEY,
        resource_server_id uuid REFERENCES resource_servers(id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_revoked_tokens_expires_at ON revoked_tokens (expires_at)`);
    // Tokens of this client for this API issued before not_before are refused. Keyed by the OAuth
    // client_id (the claim tokens carry), so it outlives the client row and its grant.
    await q.query(`
      CREATE TABLE token_watermarks (
        client_id varchar(128) NOT NULL,
        resource_server_id uuid NOT NULL REFERENCES resource_servers(id) ON DELETE CASCADE,
        not_before timestamptz NOT NULL,
        PRIMARY KEY (client_id, resource_server_id)
      )`);
    await q.query(`CREATE INDEX ix_token_watermarks_not_before ON token_watermarks (not_before)`);
    await q.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        actor_subject varchar(255),
        actor_client_id varchar(128),
        operation varchar(100) NOT NULL,
        target_type varchar(32),
        target_id varchar(255),
        summary jsonb NOT NULL DEFAULT '{}'::jsonb,
        outcome varchar(16) NOT NULL CHECK (outcome IN ('SUCCESS', 'DENIED')),
        request_id varchar(100)
      )`);
    await q.query(`CREATE INDEX ix_audit_events_target ON audit_events (target_id, seq)`);
    await q.query(`CREATE INDEX ix_audit_events_actor_subject ON audit_events (actor_subject, seq)`);
    await q.query(`CREATE INDEX ix_audit_events_actor_client ON audit_events (actor_client_id, seq)`);
    await q.query(`CREATE INDEX ix_audit_events_operation ON audit_events (operation, seq)`);
    await q.query(`CREATE INDEX ix_audit_events_occurred_at ON audit_events (occurred_at)`);
    await q.query(`CREATE INDEX ix_client_secrets_expires_at ON client_secrets (expires_at) WHERE expires_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_client_secrets_expires_at`);
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP TABLE token_watermarks`);
    await q.query(`DROP TABLE revoked_tokens`);
  }
}
