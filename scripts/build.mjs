// `npm run build` (and `npm start`'s prestart): each step runs only when its inputs changed, so a
// build with nothing to do takes a few seconds.
//   1. tsc in build mode (`tsc -b`, incremental, tsBuildInfo in dist/): unchanged sources are
//      neither checked nor emitted again. It watches the project's own files only: after a change
//      of the lockfile (a dependency's types) the build is forced.
//   2. the browser bundles (scripts/build-explorer.mjs, skipped per bundle by content hash);
//   3. the embedded database template (scripts/build-embedded-template.ts), made again only when
//      the migrations, the code that runs them or the database packages changed.
// `node scripts/build.mjs typecheck` is step 1 for tsconfig.json (sources and tests, no emit).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { filesUnder, recordStamp, ROOT, upToDate } from './build-cache.mjs';

const require = createRequire(import.meta.url);
const typecheckOnly = process.argv[2] === 'typecheck';

tsc(typecheckOnly ? 'tsconfig.json' : 'tsconfig.build.json');
if (!typecheckOnly) {
  run(process.execPath, [path.join(ROOT, 'scripts', 'build-explorer.mjs')]);
  embeddedTemplate();
}

function tsc(project) {
  const stamp = `tsc-${path.basename(project, '.json')}`;
  const inputs = ['package-lock.json'];
  const force = !upToDate(stamp, '', { inputs });
  run(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', project, ...(force ? ['--force'] : [])]);
  recordStamp(stamp, '', inputs);
}

function embeddedTemplate() {
  const inputs = [
    ...filesUnder('src/db/migrations'),
    'src/db/data-source.ts',
    'src/db/embedded-template.ts',
    'src/db/embedded-template-copy.ts',
    'scripts/build-embedded-template.ts',
    ...['@electric-sql/pglite', '@electric-sql/pglite-socket', 'typeorm', 'pg'].map((name) => `node_modules/${name}/package.json`),
  ];
  const outputs = ['dist/embedded-template/PG_VERSION'];
  if (upToDate('embedded-template', '', { inputs, outputs })) {
    console.log('embedded template: dist/embedded-template/ is up to date');
    return;
  }
  run(process.execPath, [path.join(ROOT, 'dist', 'scripts', 'build-embedded-template.js')]);
  recordStamp('embedded-template', '', inputs);
}

function run(command, args) {
  const { status } = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
}
