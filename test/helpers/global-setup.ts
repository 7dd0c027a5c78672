import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migratedEmbeddedDump } from '../../src/db/embedded-template';
import { writeRsaKeyPool } from './key-pairs';

/**
 * Prepares what every test file starts from, in one temporary directory (APIAUTH_TEST_DIR):
 * - the run's pool of RSA key pairs (key-pairs.ts);
 * - embedded: a migrated PGlite, dumped once to a tarball each test file loads (~0.4 s instead of
 *   2–3 s). PostgreSQL: nothing; each test file gets a fresh schema of its own (test-database.ts).
 */
export default async function globalSetup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apiauth-test-'));
  process.env.APIAUTH_TEST_DIR = dir;
  const keys = writeRsaKeyPool(path.join(dir, 'rsa-keys.json'));
  if (!process.env.DATABASE_URL) {
    const dump = await migratedEmbeddedDump();
    const file = path.join(dir, 'template.tar');
    fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
    process.env.APIAUTH_TEST_TEMPLATE = file;
  }
  await keys;
}
