import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * private_key_jwt client authentication (RFC 7523 §2.2): a client's public keys, and the `jti` of
 * each client assertion already used, kept (per client) until the assertion expires so that none
 * is accepted twice, on any instance.
 */
export class ClientKeys1763856000009 implements MigrationInterface {
  name = 'ClientKeys1763856000009';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clients ADD COLUMN jwks jsonb`);
    await q.query(`
      CREATE TABLE used_client_assertions (
        client_id uuid NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        jti varchar(255) NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (client_id, jti)
      )`);
    await q.query(`CREATE INDEX ix_used_client_assertions_expires_at ON used_client_assertions (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE used_client_assertions`);
    // The older code knows no PRIVATE_KEY_JWT: such clients become secret clients without a secret
    // (they cannot authenticate until clientSecretRotate gives them one), rather than being deleted.
    await q.query(
      `UPDATE clients SET token_endpoint_auth_method = 'CLIENT_SECRET_BASIC' WHERE token_endpoint_auth_method = 'PRIVATE_KEY_JWT'`,
    );
    await q.query(`ALTER TABLE clients DROP COLUMN jwks`);
  }
}
