import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * OpenID Connect client settings: the URLs a client may send the browser to after logout, and the
 * algorithm and lifetime of its ID tokens. Existing clients get the defaults.
 */
export class OidcClients1763856000006 implements MigrationInterface {
  name = 'OidcClients1763856000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE clients
        ADD COLUMN allowed_logout_urls text[] NOT NULL DEFAULT '{}',
        ADD COLUMN id_token_signing_alg varchar(16) NOT NULL DEFAULT 'RS256',
        ADD COLUMN id_token_lifetime integer NOT NULL DEFAULT 36000`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE clients
        DROP COLUMN id_token_lifetime,
        DROP COLUMN id_token_signing_alg,
        DROP COLUMN allowed_logout_urls`);
  }
}
