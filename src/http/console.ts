import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { endpointUrl } from '../lib/issuer-url';
import { Asset, Bundle, bundleLoader, escapeAttribute, jsonForHtml, sendAsset } from './bundle-assets';

/**
 * The admin console (console/: React on the typed SDK), bundled by `npm run build`
 * (scripts/build-explorer.mjs) into dist/console and served from memory. Every path under
 * /console is a page of the single-page app (deep links load the same document, the app routes
 * on the URL); the more specific routes (/console/config.json, the assets) are registered apart.
 */
export const CONSOLE_PATH = '/console';
export const CONSOLE_ASSETS_PREFIX = '/console/assets/';

/** The bundle: dist/console seen from dist/src/http (compiled) or from src/http (Jest runs the sources). */
export const CONSOLE_BUNDLE_DIRS = [path.resolve(__dirname, '../../console'), path.resolve(__dirname, '../../dist/console')];

/**
 * The explorer's policy without its style nonce: the console adds no <style> element (React sets
 * inline styles through the CSSOM, which CSP does not govern). Nothing inline, nothing from elsewhere.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT =
  'The console is not built: dist/console/console.js is missing.\n' +
  'Run `npm run build` (it compiles the service and bundles the console), then reload this page.\n';

function renderPage(basePath: string, bundle: Bundle): string {
  // Root-relative URLs from the issuer's path: a deep link (/console/apis/…) resolves them alike.
  const asset = (a: Asset) => escapeAttribute(`${basePath}assets/${a.name}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Console · apiauth</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${asset(bundle.css)}">
<script type="application/json" id="console-config">${jsonForHtml({ basePath })}</script>
<script defer src="${asset(bundle.js)}"></script>
</head>
<body>
<div id="console"></div>
<noscript>The console needs JavaScript. Without it, use the Management API at /graphql.</noscript>
</body>
</html>
`;
}

/**
 * Registers GET /console, /console/* (the app's pages) and the bundle's assets. The bundle is read
 * once; while it is missing every page answers 503 saying to run `npm run build`.
 */
export function registerConsole(app: FastifyInstance, options: { issuer: string; bundleDirs?: string[] }): void {
  const basePath = new URL(endpointUrl(options.issuer, `${CONSOLE_PATH}/`)).pathname;
  const dirs = options.bundleDirs ?? CONSOLE_BUNDLE_DIRS;
  const load = bundleLoader('console', dirs, app.log);

  const sendPage = async (_request: unknown, reply: FastifyReply): Promise<FastifyReply> => {
    const loaded = load();
    reply.header('X-Content-Type-Options', 'nosniff').header('Referrer-Policy', 'no-referrer').header('Cache-Control', 'no-store');
    if (!loaded) return reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
    return reply
      .header('Content-Security-Policy', CONSOLE_CSP)
      .header('X-Frame-Options', 'DENY')
      .type('text/html; charset=utf-8')
      .send(renderPage(basePath, loaded));
  };

  app.get(CONSOLE_PATH, sendPage);
  app.get(`${CONSOLE_PATH}/*`, sendPage);
  app.get<{ Params: { name: string } }>(`${CONSOLE_ASSETS_PREFIX}:name`, async (request, reply) =>
    sendAsset(request, reply, load()?.assets.get(request.params.name)),
  );
}
