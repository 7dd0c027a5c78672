import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createDataSource } from '../../src/db/data-source';
import { entities } from '../../src/domain/entities';

/**
 * Prepares the database the tests start from. Embedded: a migrated PGlite, dumped once to a
 * tarball each test file loads (~0.4 s instead of 2–3 s). PostgreSQL: nothing; each test file
 * gets a fresh schema of its own (test/helpers/test-database.ts).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) return;
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
  await server.start();
  const dataSource = createDataSource(`postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`, { entities, poolSize: 1 });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();
  await server.stop();
  const dump = await db.dumpDataDir('none');
  await db.close();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'apiauth-test-')), 'template.tar');
  fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  process.env.APIAUTH_TEST_TEMPLATE = file;
}
