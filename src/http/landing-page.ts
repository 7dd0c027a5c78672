import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { endpointUrl } from '../lib/issuer-url';

const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{font-size:.9em}';

/**
 * The page's Content-Security-Policy: nothing loads, nothing runs; its one <style> element is
 * admitted by its hash (the page is static, so no nonce is needed).
 */
export const LANDING_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * GET /: a small static page for whoever opens the service's address in a browser, linking what
 * is served (the explorer only while EXPLORER is on). Absolute links under the issuer, as
 * discovery gives them.
 */
export function registerLandingPage(app: FastifyInstance, options: { issuer: string; explorer: boolean }): void {
  const links: [string, string, string][] = [
    ['Admin console', '/console', 'APIs, applications, users and keys, signed in as a person'],
    ...(options.explorer ? ([['GraphQL explorer', '/graphql', 'the Management API in a browser']] as [string, string, string][]) : []),
    ['OpenID Connect discovery', '/.well-known/openid-configuration', 'the endpoints, grant types and algorithms'],
    ['JSON Web Key Set', '/.well-known/jwks.json', 'the public keys that verify the tokens'],
    ['Readiness', '/readyz', 'whether this instance can serve'],
  ];
  const items = links
    .map(([name, path, what]) => {
      const url = escapeHtml(endpointUrl(options.issuer, path));
      return `<li><a href="${url}">${escapeHtml(name)}</a>: ${escapeHtml(what)} (<code>${escapeHtml(path)}</code>)</li>`;
    })
    .join('\n');
  const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>apiauth</title>
<style>${STYLE}</style>
</head>
<body>
<h1>apiauth</h1>
<p>An OAuth 2.0 authorization server for APIs. Issuer: <code>${escapeHtml(options.issuer)}</code></p>
<ul>
${items}
</ul>
</body>
</html>
`;
  app.get('/', async (_request, reply) =>
    reply
      .headers({
        'Content-Security-Policy': LANDING_PAGE_CSP,
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-cache',
      })
      .type('text/html; charset=utf-8')
      .send(page),
  );
}
