import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The device authorization grant (RFC 8628): pending device requests, by the digests of their device
 * and user codes, until they are consumed or expire (housekeeping deletes them then).
 */
export class DeviceAuthorization1763856000013 implements MigrationInterface {
  name = 'DeviceAuthorization1763856000013';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE device_authorizations (
        device_code_hash varchar(64) PRIMARY KEY,
        user_code_hash varchar(64) NOT NULL UNIQUE,
        client_id uuid NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        resource_server_id uuid NOT NULL REFERENCES resource_servers(id) ON DELETE CASCADE,
        scopes text[] NOT NULL,
        interval_seconds integer NOT NULL,
        last_polled_at timestamptz,
        user_id uuid REFERENCES users(id) ON DELETE CASCADE,
        sid varchar(64),
        auth_time timestamptz,
        decision varchar(16) CHECK (decision IN ('APPROVED', 'DENIED')),
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        consumed_at timestamptz
      )`);
    await q.query(`CREATE INDEX ix_device_authorizations_expires_at ON device_authorizations (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE device_authorizations`);
    // The older code knows no DEVICE_CODE grant type: clients lose it.
    await q.query(`UPDATE clients SET grant_types = array_remove(grant_types, 'DEVICE_CODE') WHERE 'DEVICE_CODE' = ANY(grant_types)`);
  }
}
