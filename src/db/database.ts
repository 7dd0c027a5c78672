import type { DataSource, DataSourceOptions, Logger } from 'typeorm';
import { createDataSource, DatabaseTimeouts } from './data-source';
import { EMBEDDED_POOL_SIZE } from './embedded-postgres';
import { EmbeddedDatabase, openEmbeddedDatabase } from './embedded-database';

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
  config: { databaseUrl?: string; dataDir: string },
  options: {
    entities: DataSourceOptions['entities'];
    logger?: Logger;
    migrate?: boolean;
    poolSize?: number;
    /** Of the serving connections; migrations run without a statement limit. */
    timeouts?: DatabaseTimeouts;
    /** The embedded database's first-start template directory (default: the one `npm run build` made). */
    embeddedTemplateDir?: string;
    /** The embedded database, already opening (src/main.ts opens it while the service loads its code); else opened here, in this thread. */
    embedded?: Promise<EmbeddedDatabase>;
  },
): Promise<Database> {
  const embedded =
    config.databaseUrl === undefined
      ? await (options.embedded ?? openEmbeddedDatabase(config.dataDir, { templateDir: options.embeddedTemplateDir }))
      : undefined;
  const url = embedded?.url ?? config.databaseUrl!;
  const poolSize = options.poolSize ?? (embedded ? EMBEDDED_POOL_SIZE : undefined);
  const dataSource = createDataSource(url, { entities: options.entities, logger: options.logger, poolSize, timeouts: options.timeouts });
  try {
    if (options.migrate !== false) {
      // A long migration must not meet the serving connections' statement timeout: its own connections, no limit.
      const migrator = createDataSource(url, { entities: options.entities, logger: options.logger, poolSize });
      await migrator.initialize();
      try {
        await migrator.runMigrations({ transaction: 'each' });
      } finally {
        await migrator.destroy();
      }
    }
    await dataSource.initialize();
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.close();
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
      await embedded?.close();
    },
  };
}
