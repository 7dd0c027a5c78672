import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SCHEMA_SDL_PATH } from './graphql-route';
import { Asset, bundleLoader, escapeAttribute, jsonForHtml, sendAsset } from './bundle-assets';

export { acceptsGzip } from './bundle-assets';

/**
 * The GraphQL explorer: GraphiQL with a token helper (explorer/index.jsx), bundled by
 * `npm run build` (scripts/build-explorer.mjs) into dist/explorer and served from memory. The page
 * loads nothing but its own two assets, under a strict Content-Security-Policy: no inline script,
 * no CDN, so it works on a machine without internet.
 *
 * Served at GET /explorer, and at GET /graphql when a browser navigates there (see `wantsPage`).
 */
export const EXPLORER_PATH = '/explorer';
export const EXPLORER_ASSETS_PREFIX = '/explorer/assets/';

/** The bundle: dist/explorer seen from dist/src/http (compiled) or from src/http (Jest runs the sources). */
export const EXPLORER_BUNDLE_DIRS = [path.resolve(__dirname, '../../explorer'), path.resolve(__dirname, '../../dist/explorer')];

/**
 * The page's Content-Security-Policy. No inline script at all. Styles: the bundle's stylesheet, plus
 * the <style> elements GraphiQL's dialogs add at run time (react-remove-scroll), admitted by a
 * per-response nonce the page hands to them (explorer/index.jsx), never by 'unsafe-inline'.
 */
export const explorerCsp = (styleNonce: string) =>
  [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${styleNonce}'`,
    "img-src 'self' data:",
    // GraphiQL's stylesheet embeds its fonts as data: URLs.
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

const NOT_BUILT =
  'The GraphQL explorer is not built: dist/explorer/explorer.js is missing.\n' +
  'Run `npm run build` (it compiles the service and bundles the explorer), then reload this page.\n';

export interface Explorer {
  /** True for a browser navigating to /graphql: GET, preferring HTML, with no GraphQL operation in the URL. */
  wantsPage(request: FastifyRequest): boolean;
  sendPage(reply: FastifyReply): FastifyReply;
}

/**
 * True when the Accept header asks for HTML at least as much as for JSON (a browser navigation
 * sends `text/html,…,*\/*;q=0.8`; fetch, curl and GraphQL clients send JSON or `*\/*`).
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  let html = 0;
  let json = 0;
  for (const range of accept.toLowerCase().split(',')) {
    const [type, ...params] = range.split(';').map((s) => s.trim());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    if (type === 'text/html') html = Math.max(html, q);
    else if (type === 'application/json' || type === 'application/graphql-response+json') json = Math.max(json, q);
  }
  return html > 0 && html >= json;
}

function renderPage(css: Asset, js: Asset, pageConfig: Record<string, string>): string {
  // Relative URLs: the page lives at /graphql or /explorer, so they resolve from the site root,
  // behind a reverse proxy's path prefix too.
  const asset = (a: Asset) => escapeAttribute(`${EXPLORER_ASSETS_PREFIX.slice(1)}${a.name}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>GraphQL explorer · apiauth</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${asset(css)}">
<script type="application/json" id="explorer-config">${jsonForHtml(pageConfig)}</script>
<script defer src="${asset(js)}"></script>
</head>
<body>
<div id="explorer"></div>
<noscript>The GraphQL explorer needs JavaScript. Without it, POST queries to /graphql with an Authorization: Bearer header.</noscript>
</body>
</html>
`;
}

/**
 * Registers GET /explorer and the bundle's assets; returns what the /graphql route needs to serve
 * the same page to browsers. The bundle is read once; while it is missing every page request
 * answers 503 saying to run `npm run build`, and the next request looks again.
 */
export function registerExplorer(app: FastifyInstance, options: { audience: string; bundleDirs?: string[] }): Explorer {
  // schemaPath: the SDL route (the page never introspects, so it works with INTROSPECTION=off
  // too: it then sends its token for the schema). Relative, like the others.
  const pageConfig = {
    graphqlPath: 'graphql',
    tokenPath: 'oauth/token',
    schemaPath: SCHEMA_SDL_PATH.slice(1),
    audience: options.audience,
  };
  const dirs = options.bundleDirs ?? EXPLORER_BUNDLE_DIRS;
  const load = bundleLoader('explorer', dirs, app.log);

  const sendPage = (reply: FastifyReply): FastifyReply => {
    const loaded = load();
    reply
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'no-referrer')
      // Each response has its own nonce: never reuse a stored copy.
      .header('Cache-Control', 'no-store')
      .header('Vary', 'Accept');
    if (!loaded) return reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
    const styleNonce = randomBytes(16).toString('base64');
    return reply
      .header('Content-Security-Policy', explorerCsp(styleNonce))
      .header('X-Frame-Options', 'DENY')
      .type('text/html; charset=utf-8')
      .send(renderPage(loaded.css, loaded.js, { ...pageConfig, styleNonce }));
  };

  app.get(EXPLORER_PATH, async (_request, reply) => sendPage(reply));

  app.get<{ Params: { name: string } }>(`${EXPLORER_ASSETS_PREFIX}:name`, async (request, reply) => {
    return sendAsset(request, reply, load()?.assets.get(request.params.name));
  });

  return {
    wantsPage(request) {
      if (request.method !== 'GET' || !prefersHtml(request.headers.accept)) return false;
      const query = (request.query ?? {}) as Record<string, unknown>;
      return query.query === undefined && query.extensions === undefined;
    },
    sendPage,
  };
}
