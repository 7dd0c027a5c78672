import path from 'node:path';
import type { DataSource, Logger } from 'typeorm';
import type { Config } from '../config';
import { createDataSource } from './data-source';
import { EMBEDDED_POOL_SIZE, startEmbeddedPostgres } from './embedded-postgres';

export interface Database {
  dataSource: DataSource;
  /** The URL the pool uses (for a LISTEN connection of its own). */
  url: string;
  embedded: boolean;
  /** One trivial statement: rejects when the database cannot be reached (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens PostgreSQL at DATABASE_URL, or the embedded PGlite in DATA_DIR, and applies pending
 * migrations. Both go through the same `pg` driver and the same migrations.
 */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  options: { logger?: Logger; migrate?: boolean; poolSize?: number } = {},
): Promise<Database> {
  const embedded = config.databaseUrl === undefined
    ? await startEmbeddedPostgres({ dataDir: path.join(config.dataDir, 'pgdata') })
    : undefined;
  const url = embedded?.url ?? config.databaseUrl!;
  const dataSource = createDataSource(url, { logger: options.logger, poolSize: options.poolSize ?? (embedded ? EMBEDDED_POOL_SIZE : undefined) });
  try {
    await dataSource.initialize();
    if (options.migrate !== false) await dataSource.runMigrations({ transaction: 'each' });
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
    throw error;
  }
  return {
    dataSource,
    url,
    embedded: embedded !== undefined,
    async ping() {
      await dataSource.query('SELECT 1');
    },
    async close() {
      await dataSource.destroy();
      await embedded?.stop();
    },
  };
}
