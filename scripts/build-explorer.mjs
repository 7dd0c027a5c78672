// Bundles the browser apps into dist/<name>/<name>.js and dist/<name>/<name>.css:
// - the GraphQL explorer (explorer/index.jsx: GraphiQL, React and their CSS and fonts), served by
//   src/http/explorer.ts;
// - the admin console (console/index.jsx: React, oidc-client-ts and the typed SDK), served by
//   src/http/console.ts.
// Everything a page needs is in its two files: it loads nothing from a CDN.
// Run by `npm run build` after tsc; plain Node ESM so tsc never compiles it.
//
// Each bundle is skipped while its inputs are unchanged (scripts/build-cache.mjs): the files
// esbuild's metafile listed at its last build, the entry folder's file names, the lockfile and
// the esbuild version and options. A new bundle is one more entry in BUNDLES.
import { build, version as esbuildVersion } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { filesUnder, recordStamp, ROOT, upToDate } from './build-cache.mjs';

/** name: the output folder dist/<name>/ and file names <name>.js/.css; entry: its source. */
const BUNDLES = [
  { name: 'explorer', entry: 'explorer/index.jsx' },
  { name: 'console', entry: 'console/index.jsx' },
];

/** esbuild options every bundle shares. */
const OPTIONS = {
  bundle: true,
  minify: true,
  target: 'es2020',
  format: 'iife',
  platform: 'browser',
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  // GraphiQL's stylesheet embeds its fonts already; anything else it references is inlined too, so
  // the page never asks for a file the server does not serve.
  loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl' },
  legalComments: 'eof',
  logLevel: 'warning',
};

for (const bundle of BUNDLES) await buildBundle(bundle);

async function buildBundle({ name, entry }) {
  const outdir = path.join('dist', name);
  const outputs = ['js', 'css'].flatMap((ext) => [`${outdir}/${name}.${ext}`, `${outdir}/${name}.${ext}.gz`]);
  // Adding a file to the entry's folder may change what an import resolves to: its names are part of the key.
  const key = JSON.stringify({ entry, esbuildVersion, OPTIONS, folder: filesUnder(path.dirname(entry)).sort() });
  const stamp = `bundle-${name}`;
  if (upToDate(stamp, key, { outputs })) {
    console.log(`${name}: ${outdir}/ is up to date`);
    return;
  }

  rmSync(path.join(ROOT, outdir), { recursive: true, force: true });
  mkdirSync(path.join(ROOT, outdir), { recursive: true });
  const result = await build({
    ...OPTIONS,
    absWorkingDir: ROOT,
    entryPoints: { [name]: entry },
    outdir: path.join(ROOT, outdir),
    metafile: true,
  });

  // Pre-compressed copies, so the server sends a fraction of the bytes without compressing per request.
  for (const file of [`${name}.js`, `${name}.css`]) {
    const content = readFileSync(path.join(ROOT, outdir, file));
    const gzipped = gzipSync(content, { level: 9 });
    writeFileSync(path.join(ROOT, outdir, `${file}.gz`), gzipped);
    console.log(`${name}: ${outdir}/${file} ${(content.length / 1024).toFixed(0)} KiB (gzip ${(gzipped.length / 1024).toFixed(0)} KiB)`);
  }
  // Metafile inputs are relative to absWorkingDir; the lockfile stands for how packages resolve.
  recordStamp(stamp, key, [...Object.keys(result.metafile.inputs), 'package-lock.json']);
}
