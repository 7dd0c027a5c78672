import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The files of a browser bundle built by scripts/build-explorer.mjs (the explorer's, the console's),
 * read once and served from memory under content-addressed names, with their pre-compressed copies.
 */
export interface Asset {
  /** Content-addressed name used in URLs, e.g. explorer.3f2a9c0d1e4b5a69.js */
  name: string;
  body: Buffer;
  gzip: Buffer | undefined;
  contentType: string;
  /** Content hash (hex), in the name and the ETag. */
  hash: string;
}

/** The build's pre-compressed copy, if there is one and it matches the file. */
function readGzip(file: string, body: Buffer): Buffer | undefined {
  if (!existsSync(`${file}.gz`)) return undefined;
  const gzip = readFileSync(`${file}.gz`);
  try {
    return gunzipSync(gzip).equals(body) ? gzip : undefined;
  } catch {
    return undefined;
  }
}

/** True when Accept-Encoding admits gzip (`gzip` or `*`, without `q=0`). */
export function acceptsGzip(acceptEncoding: string | string[] | undefined): boolean {
  let gzip: boolean | undefined;
  let any = false;
  for (const coding of String(acceptEncoding ?? '')
    .toLowerCase()
    .split(',')) {
    const [name, ...params] = coding.split(';').map((s) => s.trim());
    const q = params.find((p) => p.startsWith('q='));
    const admitted = q === undefined || Number(q.slice(2)) > 0;
    if (name === 'gzip' || name === 'x-gzip') gzip = admitted;
    else if (name === '*') any = admitted;
  }
  return gzip ?? any;
}

export function loadAsset(dir: string, file: string, contentType: string): Asset {
  const body = readFileSync(path.join(dir, file));
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  const ext = path.extname(file);
  return {
    name: `${path.basename(file, ext)}.${hash}${ext}`,
    body,
    gzip: readGzip(path.join(dir, file), body),
    contentType,
    hash,
  };
}

/** A bundle's two files (dist/<name>/<name>.js and .css), and both by their content-addressed names. */
export interface Bundle {
  assets: Map<string, Asset>;
  css: Asset;
  js: Asset;
}

/**
 * Reads the bundle `name` from the first of `dirs` that has it, once: later calls return the same
 * copy. Undefined while no folder has it (not built yet: each call looks again) or it cannot be read.
 */
export function bundleLoader(name: string, dirs: string[], log: FastifyBaseLogger): () => Bundle | undefined {
  let bundle: Bundle | undefined;
  return () => {
    if (bundle) return bundle;
    const dir = dirs.find((d) => existsSync(path.join(d, `${name}.js`)) && existsSync(path.join(d, `${name}.css`)));
    if (!dir) return undefined;
    try {
      const js = loadAsset(dir, `${name}.js`, 'text/javascript; charset=utf-8');
      const css = loadAsset(dir, `${name}.css`, 'text/css; charset=utf-8');
      bundle = { assets: new Map([js, css].map((a) => [a.name, a])), css, js };
    } catch (err) {
      log.error({ err, dir }, `could not read the ${name} bundle`);
    }
    return bundle;
  };
}

/** Answers an asset request: 404 when unknown, else cached for a year (the name changes with the content). */
export function sendAsset(request: FastifyRequest, reply: FastifyReply, asset: Asset | undefined): FastifyReply {
  reply.header('X-Content-Type-Options', 'nosniff');
  if (!asset) return reply.code(404).header('Cache-Control', 'no-store').type('text/plain; charset=utf-8').send('Not found\n');
  const gzip = asset.gzip !== undefined && acceptsGzip(request.headers['accept-encoding']);
  // Each encoding is its own representation, with its own ETag.
  const etag = gzip ? `"${asset.hash}-gzip"` : `"${asset.hash}"`;
  reply
    .header('Cache-Control', 'public, max-age=31536000, immutable')
    .header('ETag', etag)
    .header('Vary', 'Accept-Encoding')
    .type(asset.contentType);
  if (
    String(request.headers['if-none-match'] ?? '')
      .split(/\s*,\s*/)
      .includes(etag)
  )
    return reply.code(304).send();
  if (gzip) reply.header('Content-Encoding', 'gzip');
  return reply.send(gzip ? asset.gzip : asset.body);
}

/** `<` escaped so the JSON can never close its <script> element. */
export const jsonForHtml = (value: unknown) =>
  JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
export const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
