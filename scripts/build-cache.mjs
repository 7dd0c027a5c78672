// Content-hash stamps for the build steps `npm run build` may skip (scripts/build.mjs,
// scripts/build-explorer.mjs). A step is up to date when the hash of its inputs equals the hash
// recorded after its last success. Contents, not mtimes: a checkout, `npm ci` or a re-emit changes
// mtimes without changing what a step would produce. Stamps live in dist/, so `rm -rf dist` resets them.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STAMPS_DIR = path.join(ROOT, 'dist', '.build-stamps');

/**
 * sha256 of `key` (what else decides the output: options, tool versions) and of each input file's
 * path (relative to the root) and content; a missing file hashes differently from any content.
 */
export function hashInputs(files, key = '') {
  const hash = createHash('sha256').update(key);
  for (const file of [...new Set(files)].sort()) {
    hash.update(`\0${file}\0`);
    const absolute = path.resolve(ROOT, file);
    hash.update(fs.existsSync(absolute) ? fs.readFileSync(absolute) : '\0missing\0');
  }
  return hash.digest('hex');
}

/** Every file under `dir` (relative to the root), recursively. */
export function filesUnder(dir) {
  return fs
    .readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
}

/**
 * Whether step `name` is up to date: its outputs exist and its inputs hash, under `key`, to the value
 * recorded after its last success. `inputs` default to the recorded list, for a step that learns its
 * inputs only by running (an esbuild bundle: the files its metafile lists).
 */
export function upToDate(name, key, { inputs, outputs = [] } = {}) {
  const stamp = readStamp(name);
  if (!stamp || !outputs.every((file) => fs.existsSync(path.resolve(ROOT, file)))) return false;
  return stamp.hash === hashInputs(inputs ?? stamp.inputs, key);
}

/** Records a successful run of step `name` over `inputs` (relative paths) under `key`. */
export function recordStamp(name, key, inputs) {
  fs.mkdirSync(STAMPS_DIR, { recursive: true });
  const stamp = { hash: hashInputs(inputs, key), inputs: [...new Set(inputs)].sort() };
  fs.writeFileSync(path.join(STAMPS_DIR, `${name}.json`), `${JSON.stringify(stamp, null, 1)}\n`);
}

function readStamp(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(STAMPS_DIR, `${name}.json`), 'utf8'));
  } catch {
    return undefined;
  }
}
