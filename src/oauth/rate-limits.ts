import type { FastifyReply, FastifyRequest } from 'fastify';
import { addressKey } from '../lib/client-address';
import { rateLimitHeaders, type Budget, type RateLimit, type RateLimitFactory, type Verdict } from '../lib/rate-limit';
import { presentedClientId } from './client-auth/presented-client';
import { OAuthError } from './errors';

/** The budgets of the endpoints clients authenticate to (RATE_LIMIT_OAUTH_*, RATE_LIMIT_CLIENT_AUTH_FAILURES); an absent one is off. */
export interface OAuthBudgets {
  /** Every request, per client address. */
  requestsPerAddress?: Budget;
  /** Failed requests (any 4xx answer), per client address. */
  failuresPerAddress?: Budget;
  /** Failed client authentications (`invalid_client`), per client_id at one address. */
  clientAuthFailures?: Budget;
}

/** Each budget's name (its Redis key prefix) and what a refusal by it says. */
const LIMITS: Record<keyof OAuthBudgets, { name: string; refusal: string }> = {
  requestsPerAddress: { name: 'oauth-requests', refusal: 'Too many requests from this address' },
  failuresPerAddress: { name: 'oauth-failures', refusal: 'Too many failed requests from this address' },
  clientAuthFailures: { name: 'client-auth-failures', refusal: 'Too many failed authentications of this client from this address' },
};

interface Limit {
  limit: RateLimit;
  refusal: string;
}

export interface OAuthRouteHooks {
  preHandler?: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  onResponse?: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

/**
 * Rate limits of /oauth/token, /oauth/introspect and /oauth/revoke, as route hooks (none at all
 * when every budget is off).
 *
 * Before the handler, in one pipelined Redis round trip: the request counts against its address's
 * request budget, and is refused (429 `too_many_requests`) when that budget, the address's failure
 * budget or the failure budget of the client it names at that address is spent. After the answer:
 * a failure counts against the address, and an `invalid_client` (the only 401 of these endpoints,
 * RFC 6749 §5.2) against the client at that address too. A client that succeeds is never charged,
 * and someone guessing at a client's credentials from elsewhere never locks that client out.
 * Failures count when answered, so requests already in flight may exceed a failure budget by their number.
 */
/** Requests whose 4xx answer is a step of the protocol, not a failure (see notAFailure). */
const expectedAnswers = new WeakSet<FastifyRequest>();

/**
 * Marks a request whose error answer is expected in normal use (a device polling while its user has
 * not answered yet, RFC 8628 `authorization_pending`): it does not count against the address's failure budget.
 */
export function notAFailure(request: FastifyRequest): void {
  expectedAnswers.add(request);
}

export function oauthRateLimitHooks(
  budgets: OAuthBudgets,
  rateLimit: RateLimitFactory,
  log: { warn(details: object, message: string): void },
): OAuthRouteHooks {
  const limitOf = (key: keyof OAuthBudgets): Limit | undefined => {
    const budget = budgets[key];
    return budget && { limit: rateLimit(LIMITS[key].name, budget), refusal: LIMITS[key].refusal };
  };
  const requests = limitOf('requestsPerAddress');
  const failures = limitOf('failuresPerAddress');
  const clientFailures = limitOf('clientAuthFailures');
  if (!requests && !failures && !clientFailures) return {};
  const clientKey = (request: FastifyRequest, address: string): string | undefined => {
    const clientId = presentedClientId(request.headers.authorization, request.body);
    return clientId === undefined ? undefined : `${address}|${clientId}`;
  };

  return {
    async preHandler(request, reply) {
      const address = addressKey(request.ip);
      const client = clientFailures ? clientKey(request, address) : undefined;
      const verdicts = await Promise.all([
        requests?.limit.consume(address),
        failures?.limit.peek(address),
        client === undefined ? undefined : clientFailures?.limit.peek(client),
      ]);
      const limits = [requests, failures, clientFailures];
      const refused = verdicts.findIndex((verdict) => verdict !== undefined && !verdict.allowed);
      // Thrown: the route's error handler answers it as every OAuth error (JSON, no-store, CORS).
      if (refused >= 0) throw tooManyRequests(verdicts[refused]!, limits[refused]!);
      if (verdicts[0] && requests) reply.headers(rateLimitHeaders(verdicts[0], requests.limit.budget));
    },

    async onResponse(request, reply) {
      const status = reply.statusCode;
      if (status < 400 || status >= 500 || status === 429 || expectedAnswers.has(request)) return;
      const address = addressKey(request.ip);
      const client = status === 401 && clientFailures ? clientKey(request, address) : undefined;
      await Promise.all([failures?.limit.consume(address), client === undefined ? undefined : clientFailures?.limit.consume(client)]).catch(
        (err: unknown) => log.warn({ err }, 'rate limit: a failure could not be counted'),
      );
    },
  };
}

/** 429 `too_many_requests` with the refusing budget's headers (Retry-After, RateLimit-*). */
function tooManyRequests(verdict: Verdict, { limit, refusal }: Limit): OAuthError {
  const headers = rateLimitHeaders(verdict, limit.budget);
  return new OAuthError('too_many_requests', `${refusal}; retry after ${headers['Retry-After']} seconds`, 429, headers);
}
