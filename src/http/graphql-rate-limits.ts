import type { FastifyReply, FastifyRequest } from 'fastify';
import { addressKey } from '../lib/client-address';
import { rateLimitHeaders, type Budget, type RateLimit, type RateLimitFactory, type Verdict } from '../lib/rate-limit';
import type { Principal } from '../graphql/context';

/** The budgets of /graphql (RATE_LIMIT_GRAPHQL_*); an absent one is off. */
export interface GraphQLBudgets {
  /** Requests per caller: the token's client and subject, so a fresh token does not bring a fresh budget. */
  perCaller?: Budget;
  /** Requests without a valid token (schema introspection, refused tokens), per client address. */
  tokenlessPerAddress?: Budget;
}

/**
 * Admission of /graphql requests against their budget: each method counts the request and answers
 * false, having sent a 429 `RATE_LIMITED` GraphQL error with Retry-After and RateLimit-* headers,
 * when the budget is spent. Admitted requests carry their budget's RateLimit-* headers.
 */
export interface GraphQLRateLimits {
  /** A request without a token, or with one that is refused (counted before the refusal is written to the audit log). */
  admitTokenless(request: FastifyRequest, reply: FastifyReply): Promise<boolean>;
  /** A request with a valid Management API token. */
  admitCaller(principal: Principal, reply: FastifyReply): Promise<boolean>;
}

export function graphqlRateLimits(budgets: GraphQLBudgets, rateLimit: RateLimitFactory): GraphQLRateLimits {
  const perCaller = budgets.perCaller && rateLimit('graphql-callers', budgets.perCaller);
  const tokenless = budgets.tokenlessPerAddress && rateLimit('graphql-tokenless', budgets.tokenlessPerAddress);
  const admit = async (limit: RateLimit | undefined, key: string, reply: FastifyReply, refusal: string): Promise<boolean> => {
    if (!limit) return true;
    const verdict = await limit.consume(key);
    reply.headers(rateLimitHeaders(verdict, limit.budget));
    if (!verdict.allowed) await sendRefusal(reply, verdict, refusal);
    return verdict.allowed;
  };
  return {
    admitTokenless: (request, reply) =>
      admit(tokenless, addressKey(request.ip), reply, 'Too many requests without a valid access token from this address'),
    admitCaller: (principal, reply) =>
      admit(perCaller, `${principal.clientId}|${principal.subject}`, reply, 'Too many requests for this caller'),
  };
}

async function sendRefusal(reply: FastifyReply, verdict: Verdict, refusal: string): Promise<void> {
  const retryAfter = Math.max(1, Math.ceil(verdict.resetMs / 1000));
  await reply
    .code(429)
    .header('Cache-Control', 'no-store')
    .send({ errors: [{ message: `${refusal}; retry after ${retryAfter} seconds`, extensions: { code: 'RATE_LIMITED' } }] });
}
