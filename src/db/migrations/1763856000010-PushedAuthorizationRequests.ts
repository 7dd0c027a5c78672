import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pushed authorization requests (RFC 9126): each pushed request's parameters under the SHA-256 digest
 * of its `request_uri` handle, bound to the pushing client, until redeemed once at /authorize or
 * expired (then purged by housekeeping); and the per-client setting that makes pushing mandatory.
 */
export class PushedAuthorizationRequests1763856000010 implements MigrationInterface {
  name = 'PushedAuthorizationRequests1763856000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clients ADD COLUMN require_pushed_authorization_requests boolean NOT NULL DEFAULT false`);
    await q.query(`
      CREATE TABLE pushed_authorization_requests (
        request_hash varchar(64) PRIMARY KEY,
        client_id uuid NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        params jsonb NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX ix_pushed_authorization_requests_expires_at ON pushed_authorization_requests (expires_at)`);
    await q.query(`CREATE INDEX ix_pushed_authorization_requests_client_id ON pushed_authorization_requests (client_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE pushed_authorization_requests`);
    await q.query(`ALTER TABLE clients DROP COLUMN require_pushed_authorization_requests`);
  }
}
