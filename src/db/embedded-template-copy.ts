import fs from 'node:fs';
import path from 'node:path';

/**
 * A migrated, empty embedded database directory, made by `npm run build`
 * (scripts/build-embedded-template.ts, src/db/embedded-template.ts) next to the compiled code. A
 * first start on the embedded database copies it (a file copy: ~0.2 s, where loading a dump
 * through PGlite's file system takes ~2 s, and creating a cluster and running every migration
 * 3–4 s); migrations newer than it still run. It holds no keys, secrets or rows: those are made at
 * first start, per installation.
 */
export const EMBEDDED_TEMPLATE_DIR = path.resolve(__dirname, '..', '..', 'embedded-template');

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
