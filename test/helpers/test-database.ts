import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';

export interface TestDatabase {
  /** A URL for DATABASE_URL: every instance given it shares the same data. */
  url: string;
  /** Plain `pg` access for assertions on what is stored. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/**
 * A private database for one test file: a fresh PGlite from the migrated template, or (with
 * DATABASE_URL) a fresh schema on that PostgreSQL, selected through the connection's search_path.
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  let url: string;
  let cleanup: () => Promise<void>;
  const external = process.env.DATABASE_URL;
  if (external) {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = new Client({ connectionString: external });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const u = new URL(external);
    u.searchParams.set('options', `-c search_path=${schema}`);
    url = u.toString();
    cleanup = async () => {
      const c = new Client({ connectionString: external });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    };
  } else {
    const templateFile = process.env.APIAUTH_TEST_TEMPLATE;
    const template = options.migrated === false || !templateFile ? undefined : new Blob([fs.readFileSync(templateFile)]);
    const embedded = await startEmbeddedPostgres({ template });
    url = embedded.url;
    cleanup = () => embedded.stop();
  }
  const client = new Client({ connectionString: url });
  // A test that kills connections (database-faults) kills this one too: an error event, not a crash.
  client.on('error', () => undefined);
  await client.connect();
  return {
    url,
    async query<T>(sql: string, params?: unknown[]) {
      return (await client.query(sql, params)).rows as T[];
    },
    async drop() {
      await client.end();
      await cleanup();
    },
  };
}
