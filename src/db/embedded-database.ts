import path from 'node:path';
import { lockDataDir } from './data-dir-lock';
import { startEmbeddedPostgres } from './embedded-postgres';

/** The embedded database of a data directory, open: its URL, and close (stops it, releases the directory). */
export interface EmbeddedDatabase {
  url: string;
  close(): Promise<void>;
}

/**
 * Opens the embedded database in `dataDir`: takes the directory's lock (one process at a time),
 * gives a directory that holds no database yet a copy of the template, and starts PGlite on it,
 * in a thread of its own with `thread` (the service) or in this one (tools, tests).
 */
export async function openEmbeddedDatabase(
  dataDir: string,
  options: { templateDir?: string; thread?: boolean } = {},
): Promise<EmbeddedDatabase> {
  const pgdata = path.join(dataDir, 'pgdata');
  const unlock = lockDataDir(dataDir);
  try {
    const postgres = await startEmbeddedPostgres({ dataDir: pgdata, thread: options.thread, templateDir: options.templateDir });
    return {
      url: postgres.url,
      async close() {
        await postgres.stop();
        unlock();
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}
