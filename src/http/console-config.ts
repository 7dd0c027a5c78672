import type { FastifyInstance } from 'fastify';
import { consoleUrls } from '../domain/management/console-client';
import { ALL_MANAGEMENT_SCOPES } from '../domain/management-scopes';
import { TOKEN_HOOK_DEFAULTS, TOKEN_HOOK_TIMEOUT_MAX_MS, TOKEN_HOOK_TIMEOUT_MIN_MS } from '../domain/token-hook/token-hook.rules';

/**
 * GET /console/config.json: what the console needs to sign people in (its client, the Management
 * API's audience, every management scope to ask for; the token's `scope` says what was granted),
 * and the limits its forms explain, from their one definition (a token hook's timeout).
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
    tokenHookTimeoutMs: { min: TOKEN_HOOK_TIMEOUT_MIN_MS, max: TOKEN_HOOK_TIMEOUT_MAX_MS, default: TOKEN_HOOK_DEFAULTS.timeoutMs },
  });
  app.get('/console/config.json', async (_request, reply) =>
    reply.header('Cache-Control', 'no-store').type('application/json; charset=utf-8').send(body),
  );
}
