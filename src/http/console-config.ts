import type { FastifyInstance } from 'fastify';
import { consoleUrls } from '../domain/management/console-client';
import { ALL_MANAGEMENT_SCOPES } from '../domain/management-scopes';

/**
 * GET /console/config.json: what the console needs to sign people in (its client, the Management
 * API's audience, every management scope to ask for; the token's `scope` says what was granted).
 * Not cached: ISSUER and the client follow the configuration of the running service.
 */
export function registerConsoleConfig(app: FastifyInstance, deps: { issuer: string; clientId: string; audience: string }): void {
  const urls = consoleUrls(deps.issuer);
  const body = JSON.stringify({
    issuer: deps.issuer,
    clientId: deps.clientId,
    audience: deps.audience,
    redirectUri: urls.redirectUri,
    postLogoutRedirectUri: urls.postLogoutRedirectUri,
    scopes: ALL_MANAGEMENT_SCOPES,
  });
  app.get('/console/config.json', async (_request, reply) =>
    reply.header('Cache-Control', 'no-store').type('application/json; charset=utf-8').send(body),
  );
}
