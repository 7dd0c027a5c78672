import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createDataSource } from './data-source';

/**
 * A migrated, empty embedded database as a `dumpDataDir()` tarball, made by `npm run build`
 * (scripts/build-embedded-template.ts) next to the compiled code. A first start on the embedded
 * database loads it instead of creating a cluster and running every migration (about 1 s instead
 * of 3–4 s); migrations newer than the tarball still run. It holds no keys, secrets or rows: those
 * are made at first start, per installation.
 */
export const EMBEDDED_TEMPLATE_FILE = path.resolve(__dirname, '..', '..', 'embedded-template.tar');

/** A PGlite in memory with every migration applied, dumped (uncompressed: it loads fastest). */
export async function migratedEmbeddedDump(): Promise<Blob> {
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
  await server.start();
  try {
    // Migrations are SQL of their own: no entity is needed to run them.
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
  const dump = await db.dumpDataDir('none');
  await db.close();
  return dump;
}

/** The template for a database directory that holds no database yet; undefined otherwise or when none was built. */
export function embeddedTemplateFor(pgdataDir: string, file = EMBEDDED_TEMPLATE_FILE): Blob | undefined {
  const fresh = !fs.existsSync(pgdataDir) || fs.readdirSync(pgdataDir).length === 0;
  if (!fresh || !fs.existsSync(file)) return undefined;
  return new Blob([fs.readFileSync(file)]);
}
