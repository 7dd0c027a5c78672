/**
 * Writes the embedded database template (src/db/embedded-template.ts) into dist/, run by
 * `npm run build` after tsc when its inputs changed (scripts/build.mjs decides).
 */
import fs from 'node:fs';
import path from 'node:path';
import { EMBEDDED_TEMPLATE_FILE, migratedEmbeddedDump } from '../src/db/embedded-template';

async function main(): Promise<void> {
  const dump = await migratedEmbeddedDump();
  const partial = `${EMBEDDED_TEMPLATE_FILE}.partial`;
  fs.writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
  fs.renameSync(partial, EMBEDDED_TEMPLATE_FILE);
  console.log(`embedded template: ${path.relative(process.cwd(), EMBEDDED_TEMPLATE_FILE)} ${Math.round(dump.size / 1024)} KiB`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
