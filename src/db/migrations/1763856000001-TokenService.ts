import { MigrationInterface, QueryRunner } from 'typeorm';

/** Signing keys (per algorithm ring) and HS256 API secrets. */
export class TokenService1763856000001 implements MigrationInterface {
  name = 'TokenService1763856000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE signing_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        kid varchar(100) NOT NULL CONSTRAINT uq_signing_keys_kid UNIQUE,
        algorithm varchar(16) NOT NULL,
        state varchar(16) NOT NULL CHECK (state IN ('NEXT', 'CURRENT', 'PREVIOUS', 'REVOKED')),
        public_jwk jsonb NOT NULL,
        private_key_sealed text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        activated_at timestamptz,
        rotated_at timestamptz,
        revoked_at timestamptz
      )`);
    // At most one current and one next key per algorithm, even with concurrent writers.
    await q.query(`CREATE UNIQUE INDEX uq_signing_keys_current ON signing_keys (algorithm) WHERE state = 'CURRENT'`);
    await q.query(`CREATE UNIQUE INDEX uq_signing_keys_next ON signing_keys (algorithm) WHERE state = 'NEXT'`);
    await q.query(`
      CREATE TABLE resource_server_secrets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        resource_server_id uuid NOT NULL REFERENCES resource_servers(id) ON DELETE CASCADE,
        kid varchar(100) NOT NULL CONSTRAINT uq_resource_server_secrets_kid UNIQUE,
        secret_sealed text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz
      )`);
    await q.query(`CREATE INDEX ix_resource_server_secrets_server ON resource_server_secrets (resource_server_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE resource_server_secrets`);
    await q.query(`DROP TABLE signing_keys`);
  }
}
