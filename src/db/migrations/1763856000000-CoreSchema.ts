import { MigrationInterface, QueryRunner } from 'typeorm';

/** Resource servers, scopes, clients, client secrets and client grants. */
export class CoreSchema1763856000000 implements MigrationInterface {
  name = 'CoreSchema1763856000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE resource_servers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        name varchar(200) NOT NULL,
        identifier varchar(600) NOT NULL CONSTRAINT uq_resource_servers_identifier UNIQUE,
        signing_algorithm varchar(16) NOT NULL,
        token_lifetime integer NOT NULL,
        token_lifetime_for_web integer NOT NULL,
        allow_skipping_user_consent boolean NOT NULL,
        allow_offline_access boolean NOT NULL,
        enforce_policies boolean NOT NULL,
        token_dialect varchar(32) NOT NULL,
        is_system boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_resource_servers_lifetimes CHECK (
          token_lifetime BETWEEN 60 AND 2592000 AND token_lifetime_for_web BETWEEN 60 AND token_lifetime)
      )`);
    await q.query(`
      CREATE TABLE scopes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        resource_server_id uuid NOT NULL REFERENCES resource_servers(id) ON DELETE CASCADE,
        value varchar(280) NOT NULL,
        description varchar(500) NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_scopes_server_value UNIQUE (resource_server_id, value)
      )`);
    await q.query(`
      CREATE TABLE clients (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        client_id varchar(64) NOT NULL CONSTRAINT uq_clients_client_id UNIQUE,
        name varchar(200) NOT NULL,
        description varchar(140) NOT NULL DEFAULT '',
        app_type varchar(32) NOT NULL,
        is_first_party boolean NOT NULL,
        grant_types text[] NOT NULL,
        token_endpoint_auth_method varchar(32) NOT NULL,
        callbacks text[] NOT NULL,
        allowed_origins text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_clients_app_type_seq ON clients (app_type, seq)`);
    await q.query(`
      CREATE TABLE client_secrets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        client_id uuid NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        secret_hash varchar(64) NOT NULL,
        last_four varchar(4) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz
      )`);
    await q.query(`CREATE INDEX ix_client_secrets_client ON client_secrets (client_id)`);
    await q.query(`
      CREATE TABLE client_grants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        client_id uuid NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        resource_server_id uuid NOT NULL REFERENCES resource_servers(id) ON DELETE CASCADE,
        scopes text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_client_grants_client_resource_server UNIQUE (client_id, resource_server_id)
      )`);
    await q.query(`CREATE INDEX ix_client_grants_server_seq ON client_grants (resource_server_id, seq)`);
    await q.query(`CREATE INDEX ix_client_grants_client_seq ON client_grants (client_id, seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE client_grants`);
    await q.query(`DROP TABLE client_secrets`);
    await q.query(`DROP TABLE clients`);
    await q.query(`DROP TABLE scopes`);
    await q.query(`DROP TABLE resource_servers`);
  }
}
