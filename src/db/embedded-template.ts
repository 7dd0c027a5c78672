import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createDataSource } from './data-source';

/**
 * A migrated, empty embedded database directory, made by `npm run build`
 * (scripts/build-embedded-template.ts) next to the compiled code. A first start on the embedded
 * database copies it (a file copy: ~0.2 s, where loading a dump through PGlite's file system takes
 * ~2 s, and creating a cluster and running every migration 3–4 s); migrations newer than it still
 * run. It holds no keys, secrets or rows: those are made at first start, per installation.
 */
export const EMBEDDED_TEMPLATE_DIR = path.resolve(__dirname, '..', '..', 'embedded-template');

/** Runs every migration on the PGlite `db` (migrations are SQL of their own: no entity is needed). */
async function migrate(db: PGlite): Promise<void> {
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
  await server.start();
  try {
    const dataSource = createDataSource(`postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`, {
      entities: [],
      poolSize: 1,
    });
    await dataSource.initialize();
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await server.stop();
  }
}

/** Writes the template directory `dir` (replacing it): a cluster on disk, every migration applied, closed cleanly. */
export async function buildEmbeddedTemplate(dir: string): Promise<void> {
  const partial = `${dir}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  const db = await PGlite.create({ dataDir: partial });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(partial, dir);
}

/** A PGlite in memory with every migration applied, dumped (uncompressed: it loads fastest). Test databases start from it. */
export async function migratedEmbeddedDump(): Promise<Blob> {
  const db = await PGlite.create();
  await migrate(db);
  const dump = await db.dumpDataDir('none');
  await db.close();
  return dump;
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
