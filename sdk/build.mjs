// Builds the package (npm run build:sdk at the root, or npm pack here): dist/cjs and dist/esm,
// each with its .d.ts files, compiled by the TypeScript of the repository.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(path.join(here, 'dist'), { recursive: true, force: true });
for (const format of ['cjs', 'esm']) {
  execFileSync(process.execPath, [tsc, '-p', path.join(here, `tsconfig.${format}.json`)], { stdio: 'inherit' });
}
// The package is "type": "commonjs"; this marks the ESM build's .js (and .d.ts) files as modules.
writeFileSync(path.join(here, 'dist', 'esm', 'package.json'), '{ "type": "module" }\n');
