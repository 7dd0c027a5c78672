import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Custom claims: client metadata, user app metadata (both sent to token hooks), one token hook per
 * API, and the FAILURE outcome of audit events (a token hook that failed).
 */
export class CustomClaims1763856000005 implements MigrationInterface {
  name = 'CustomClaims1763856000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clients ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}'::jsonb`);
    await q.query(`ALTER TABLE users ADD COLUMN app_metadata jsonb NOT NULL DEFAULT '{}'::jsonb`);
    // The secret signs each call (HMAC), so the service needs it back: sealed (AES-256-GCM) under
    // the master key, bound to its API's id, never hashed.
    await q.query(`
      CREATE TABLE token_hooks (
        resource_server_id uuid PRIMARY KEY REFERENCES resource_servers(id) ON DELETE CASCADE,
        url varchar(2000) NOT NULL,
        timeout_ms integer NOT NULL DEFAULT 2000 CHECK (timeout_ms BETWEEN 100 AND 10000),
        failure_policy varchar(32) NOT NULL DEFAULT 'DENY' CHECK (failure_policy IN ('DENY', 'ALLOW_WITHOUT_CLAIMS')),
        secret_sealed text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`ALTER TABLE audit_events DROP CONSTRAINT audit_events_outcome_check`);
    await q.query(`
      ALTER TABLE audit_events ADD CONSTRAINT audit_events_outcome_check
        CHECK (outcome IN ('SUCCESS', 'DENIED', 'FAILURE'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM audit_events WHERE outcome = 'FAILURE'`);
    await q.query(`ALTER TABLE audit_events DROP CONSTRAINT audit_events_outcome_check`);
    await q.query(`ALTER TABLE audit_events ADD CONSTRAINT audit_events_outcome_check CHECK (outcome IN ('SUCCESS', 'DENIED'))`);
    await q.query(`DROP TABLE token_hooks`);
    await q.query(`ALTER TABLE users DROP COLUMN app_metadata`);
    await q.query(`ALTER TABLE clients DROP COLUMN metadata`);
  }
}
