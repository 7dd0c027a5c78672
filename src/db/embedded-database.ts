import fs from 'node:fs';
import path from 'node:path';
import { lockDataDir } from './data-dir-lock';
import { startEmbeddedPostgres } from './embedded-postgres';

/**
 * A migrated, empty embedded database directory, made by `npm run build`
 * (scripts/build-embedded-template.ts, src/db/embedded-template.ts) next to the compiled code. A
 * first start on the embedded database copies it (a file copy: ~0.2 s, where loading a dump
 * through PGlite's file system takes ~2 s, and creating a cluster and running every migration
 * 3–4 s); migrations newer than it still run. It holds no keys, secrets or rows: those are made at
 * first start, per installation.
 */
export const EMBEDDED_TEMPLATE_DIR = path.resolve(__dirname, '..', '..', 'embedded-template');

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
    seedFromTemplate(pgdata, options.templateDir);
    const postgres = await startEmbeddedPostgres({ dataDir: pgdata, thread: options.thread });
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

/**
 * A database directory that holds nothing yet gets a copy of the template (when one was built):
 * copied beside it and renamed into place, so a start that stops half-way leaves no half-copied
 * database behind. True when it did.
 */
export function seedFromTemplate(pgdataDir: string, templateDir = EMBEDDED_TEMPLATE_DIR): boolean {
  const fresh = !fs.existsSync(pgdataDir) || fs.readdirSync(pgdataDir).length === 0;
  if (!fresh || !fs.existsSync(path.join(templateDir, 'PG_VERSION'))) return false;
  const partial = `${pgdataDir}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.cpSync(templateDir, partial, { recursive: true });
  fs.chmodSync(partial, 0o700);
  fs.rmSync(pgdataDir, { recursive: true, force: true });
  fs.renameSync(partial, pgdataDir);
  return true;
}
