import { MigrationInterface, QueryRunner } from 'typeorm';

/** Refresh tokens (families, rotation), per-client refresh-token settings, and RBAC roles. */
export class RefreshTokensRbac1763856000004 implements MigrationInterface {
  name = 'RefreshTokensRbac1763856000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE clients
        ADD COLUMN refresh_token_rotation varchar(16) NOT NULL DEFAULT 'ROTATING'
          CHECK (refresh_token_rotation IN ('ROTATING', 'NON_ROTATING')),
        ADD COLUMN refresh_token_leeway integer NOT NULL DEFAULT 0,
        ADD COLUMN refresh_token_absolute_lifetime integer NOT NULL DEFAULT 2592000,
        ADD COLUMN refresh_token_idle_lifetime integer NOT NULL DEFAULT 1296000`);
    // Opaque refresh tokens, kept only as SHA-256 digests. One family per authorization: rotation
    // adds a member; reuse of a rotated member revokes the family.
    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        token_hash varchar(64) NOT NULL CONSTRAINT uq_refresh_tokens_hash UNIQUE,
        family_id uuid NOT NULL,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        client_id uuid NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        resource_server_id uuid NOT NULL REFERENCES resource_servers(id) ON DELETE CASCADE,
        scopes text[] NOT NULL,
        created_at timestamptz NOT NULL,
        family_created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        idle_expires_at timestamptz NOT NULL,
        last_used_at timestamptz,
        rotated_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX ix_refresh_tokens_family ON refresh_tokens (family_id)`);
    await q.query(`CREATE INDEX ix_refresh_tokens_user_client ON refresh_tokens (user_id, client_id, resource_server_id)`);
    await q.query(`CREATE INDEX ix_refresh_tokens_client ON refresh_tokens (client_id)`);
    await q.query(`CREATE INDEX ix_refresh_tokens_expires_at ON refresh_tokens (expires_at)`);
    await q.query(`
      CREATE TABLE roles (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        name varchar(200) NOT NULL,
        description varchar(500) NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_roles_name ON roles (lower(name))`);
    // A permission is a scope defined on an API: removing the scope (or the API) removes it.
    await q.query(`
      CREATE TABLE role_permissions (
        role_id uuid NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
        resource_server_id uuid NOT NULL,
        scope varchar(280) NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        PRIMARY KEY (role_id, resource_server_id, scope),
        FOREIGN KEY (resource_server_id, scope) REFERENCES scopes (resource_server_id, value) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX ix_role_permissions_server ON role_permissions (resource_server_id, scope)`);
    await q.query(`
      CREATE TABLE user_roles (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role_id uuid NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, role_id)
      )`);
    await q.query(`CREATE INDEX ix_user_roles_role ON user_roles (role_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE user_roles`);
    await q.query(`DROP TABLE role_permissions`);
    await q.query(`DROP TABLE roles`);
    await q.query(`DROP TABLE refresh_tokens`);
    await q.query(`
      ALTER TABLE clients
        DROP COLUMN refresh_token_rotation,
        DROP COLUMN refresh_token_leeway,
        DROP COLUMN refresh_token_absolute_lifetime,
        DROP COLUMN refresh_token_idle_lifetime`);
  }
}
