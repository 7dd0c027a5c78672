import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createDataSource } from './data-source';

/**
 * Making the embedded database template (scripts/build-embedded-template.ts, at `npm run build`;
 * see EMBEDDED_TEMPLATE_DIR) and the dump test databases start from.
 */

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
