/**
 * Writes the embedded database template (src/db/embedded-template.ts) into dist/, run by
 * `npm run build` after tsc. Skipped when the template is newer than every compiled migration.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EMBEDDED_TEMPLATE_FILE, migratedEmbeddedDump } from '../src/db/embedded-template';

async function main(): Promise<void> {
  const migrationsDir = path.resolve(__dirname, '..', 'src', 'db', 'migrations');
  const newestMigration = Math.max(...fs.readdirSync(migrationsDir).map((name) => fs.statSync(path.join(migrationsDir, name)).mtimeMs));
  if (fs.existsSync(EMBEDDED_TEMPLATE_FILE) && fs.statSync(EMBEDDED_TEMPLATE_FILE).mtimeMs > newestMigration) return;
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
