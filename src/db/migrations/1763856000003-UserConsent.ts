import { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, their consents (user grants), authorization codes, login sessions, throttling, implicit nonces. */
export class UserConsent1763856000003 implements MigrationInterface {
  name = 'UserConsent1763856000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        email varchar(320) NOT NULL,
        email_verified boolean NOT NULL DEFAULT false,
        name varchar(200) NOT NULL DEFAULT '',
        password_hash text,
        blocked boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_login_at timestamptz
      )`);
    // Emails are unique whatever their case.
    await q.query(`CREATE UNIQUE INDEX uq_users_email ON users (lower(email))`);
    await q.query(`
      CREATE TABLE user_grants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        client_id uuid NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        resource_server_id uuid NOT NULL REFERENCES resource_servers(id) ON DELETE CASCADE,
        scopes text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_user_grants UNIQUE (user_id, client_id, resource_server_id)
      )`);
    await q.query(`CREATE INDEX ix_user_grants_client ON user_grants (client_id)`);
    await q.query(`CREATE INDEX ix_user_grants_resource_server ON user_grants (resource_server_id)`);
    // Codes are stored as SHA-256 digests only; single use, 60 seconds.
    await q.query(`
      CREATE TABLE authorization_codes (
        code_hash varchar(64) PRIMARY KEY,
        client_id uuid NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        resource_server_id uuid NOT NULL REFERENCES resource_servers(id) ON DELETE CASCADE,
        redirect_uri varchar(2000) NOT NULL,
        scopes text[] NOT NULL,
        code_challenge varchar(128),
        code_challenge_method varchar(8),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        consumed_at timestamptz,
        issued_jti varchar(255),
        issued_expires_at timestamptz
      )`);
    await q.query(`CREATE INDEX ix_authorization_codes_expires_at ON authorization_codes (expires_at)`);
    // Browser login sessions: the cookie holds a random id, the table its SHA-256 digest.
    await q.query(`
      CREATE TABLE user_sessions (
        id_hash varchar(64) PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX ix_user_sessions_user ON user_sessions (user_id)`);
    await q.query(`CREATE INDEX ix_user_sessions_expires_at ON user_sessions (expires_at)`);
    // Failed logins per account and per IP address, in a sliding window.
    await q.query(`
      CREATE TABLE login_failures (
        key varchar(400) PRIMARY KEY,
        failures integer NOT NULL,
        window_started_at timestamptz NOT NULL,
        locked_until timestamptz
      )`);
    // Implicit-grant nonces already used, kept until the token they protected expires.
    await q.query(`
      CREATE TABLE used_nonces (
        client_id uuid NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        nonce varchar(255) NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (client_id, nonce)
      )`);
    await q.query(`CREATE INDEX ix_used_nonces_expires_at ON used_nonces (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE used_nonces`);
    await q.query(`DROP TABLE login_failures`);
    await q.query(`DROP TABLE user_sessions`);
    await q.query(`DROP TABLE authorization_codes`);
    await q.query(`DROP TABLE user_grants`);
    await q.query(`DROP TABLE users`);
  }
}
