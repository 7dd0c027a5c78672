// Bundles the browser apps into dist/<name>/<name>.js and dist/<name>/<name>.css:
// - the GraphQL explorer (explorer/index.jsx: GraphiQL, React and their CSS and fonts), served by
//   src/http/explorer.ts;
// - the admin console (console/index.jsx: React, oidc-client-ts and the typed SDK), served by
//   src/http/console.ts.
// Everything a page needs is in its two files: it loads nothing from a CDN.
// Run by `npm run build` after tsc; plain Node ESM so tsc never compiles it.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function bundle(name, entry) {
  const outdir = path.join(root, 'dist', name);
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });

  await build({
    absWorkingDir: root,
    entryPoints: { [name]: entry },
    outdir,
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
  });

  // Pre-compressed copies, so the server sends a fraction of the bytes without compressing per request.
  for (const file of [`${name}.js`, `${name}.css`]) {
    const content = readFileSync(path.join(outdir, file));
    const gzipped = gzipSync(content, { level: 9 });
    writeFileSync(path.join(outdir, `${file}.gz`), gzipped);
    console.log(`${name}: dist/${name}/${file} ${(content.length / 1024).toFixed(0)} KiB (gzip ${(gzipped.length / 1024).toFixed(0)} KiB)`);
  }
}

await bundle('explorer', 'explorer/index.jsx');
await bundle('console', 'console/index.jsx');
