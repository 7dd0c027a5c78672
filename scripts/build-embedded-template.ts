/**
 * Writes the embedded database template (src/db/embedded-template.ts) into dist/, run by
 * `npm run build` after tsc when its inputs changed (scripts/build.mjs decides).
 */
import fs from 'node:fs';
import path from 'node:path';
import { EMBEDDED_TEMPLATE_DIR } from '../src/db/embedded-template-copy';
import { buildEmbeddedTemplate } from '../src/db/embedded-template';

/** Bytes of the files under `dir`. */
function sizeOf(dir: string): number {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + fs.statSync(path.join(entry.parentPath, entry.name)).size, 0);
}

async function main(): Promise<void> {
  await buildEmbeddedTemplate(EMBEDDED_TEMPLATE_DIR);
  // The tarball earlier builds made.
  fs.rmSync(path.join(path.dirname(EMBEDDED_TEMPLATE_DIR), 'embedded-template.tar'), { force: true });
  console.log(
    `embedded template: ${path.relative(process.cwd(), EMBEDDED_TEMPLATE_DIR)}/ ${Math.round(sizeOf(EMBEDDED_TEMPLATE_DIR) / 1024)} KiB`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
