import type { FastifyInstance } from 'fastify';

/**
 * Form bodies become URLSearchParams (which keep repeated names, so the OAuth endpoints can refuse
 * them); JSON stays Fastify's own parser.
 */
export function registerBodyParsers(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, new URLSearchParams(body as string));
  });
}
