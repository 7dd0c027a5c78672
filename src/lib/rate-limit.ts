import {
  RateLimiterCluster,
  RateLimiterClusterMaster,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  RLWrapperTimeouts,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';

/** A budget: `points` per fixed window of `seconds` (a request or a failure costs one point). */
export interface Budget {
  points: number;
  seconds: number;
}

/**
 * Where budgets are counted: this process, Redis shared by every instance, or the primary process
 * of a cluster (WORKERS>1 without Redis), shared by its workers over IPC.
 */
export type RateLimitStore = { kind: 'memory' } | { kind: 'redis'; client: Redis; keyPrefix: string } | { kind: 'cluster' };

/** Longest a worker waits for the primary's count before counting in its own memory (as during a Redis outage). */
const CLUSTER_TIMEOUT_MS = 1000;

/**
 * In a cluster's primary: counts the budgets of every worker whose store is `cluster` (each budget
 * is created on the first worker's request, by name). Call before forking; once per process.
 */
export function countClusterRateLimits(): void {
  new RateLimiterClusterMaster();
}

/** Makes the named budgets of one store (and one refusal observer): what the endpoints' limits are built with. */
export type RateLimitFactory = (name: string, budget: Budget) => RateLimit;

export function rateLimitFactory(store: RateLimitStore, onRefused?: (name: string) => void): RateLimitFactory {
  return (name, budget) => new RateLimit(name, budget, store, onRefused);
}

/** A budget's state for one key after a request was counted (or looked at). */
export interface Verdict {
  /** False: the budget is spent; the request is refused. */
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the window ends and the budget is whole again. */
  resetMs: number;
}

/**
 * One named budget counted per key (an address, a client at an address, a caller). With Redis the
 * count is shared by every instance; should Redis fail, each instance counts in its own memory
 * until it is back (the insurance limiter), so an outage of Redis loosens limits, never refuses
 * requests or fails them. In a cluster's worker the count is the primary's, likewise insured.
 */
export class RateLimit {
  private readonly limiter: RateLimiterAbstract;

  constructor(
    readonly name: string,
    readonly budget: Budget,
    store: RateLimitStore,
    /** Told each time a request finds this budget spent (for metrics). */
    private readonly onRefused?: (name: string) => void,
  ) {
    const options = { points: budget.points, duration: budget.seconds, keyPrefix: name };
    this.limiter =
      store.kind === 'memory'
        ? new RateLimiterMemory(options)
        : store.kind === 'redis'
          ? new RateLimiterRedis({
              ...options,
              keyPrefix: `${store.keyPrefix}rl:${name}`,
              storeClient: store.client,
              // While the connection is down, count in memory at once instead of waiting for it.
              rejectIfRedisNotReady: true,
              insuranceLimiter: new RateLimiterMemory(options),
            })
          : // The primary answers in well under a millisecond; should it not within a second, count here.
            new RLWrapperTimeouts({
              limiter: new RateLimiterCluster({ ...options, timeoutMs: CLUSTER_TIMEOUT_MS }),
              timeoutMs: CLUSTER_TIMEOUT_MS,
              insuranceLimiter: new RateLimiterMemory(options),
            });
  }

  /** Counts one request (or failure) against `key`'s budget; `allowed` is false once it was already spent. */
  async consume(key: string): Promise<Verdict> {
    try {
      return this.verdict(await this.limiter.consume(key), true);
    } catch (refusal) {
      if (refusal instanceof RateLimiterRes) return this.verdict(refusal, false);
      throw refusal;
    }
  }

  /** `key`'s budget without counting anything: `allowed` is false when it is spent. */
  async peek(key: string): Promise<Verdict> {
    const state = await this.limiter.get(key);
    if (state === null)
      return { allowed: true, limit: this.budget.points, remaining: this.budget.points, resetMs: this.budget.seconds * 1000 };
    return this.verdict(state, state.consumedPoints < this.budget.points);
  }

  private verdict(state: RateLimiterRes, allowed: boolean): Verdict {
    if (!allowed) this.onRefused?.(this.name);
    return {
      allowed,
      limit: this.budget.points,
      remaining: Math.max(0, this.budget.points - state.consumedPoints),
      resetMs: Math.max(0, state.msBeforeNext),
    };
  }
}

/**
 * The rate-limit headers of a response (draft-ietf-httpapi-ratelimit-headers: limit, remaining,
 * seconds to reset, and the policy), plus `Retry-After` when the request is refused.
 */
export function rateLimitHeaders(verdict: Verdict, budget: Budget): Record<string, string> {
  const resetSeconds = String(Math.max(1, Math.ceil(verdict.resetMs / 1000)));
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(verdict.limit),
    'RateLimit-Remaining': String(verdict.remaining),
    'RateLimit-Reset': resetSeconds,
    'RateLimit-Policy': `${budget.points};w=${budget.seconds}`,
  };
  if (!verdict.allowed) headers['Retry-After'] = resetSeconds;
  return headers;
}
