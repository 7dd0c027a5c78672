import type { Redis } from 'ioredis';

export interface RedisConnection {
  client: Redis;
  close(): Promise<void>;
}

/**
 * Connects to Redis (REDIS_URL), where instances share their rate-limit budgets. The start fails
 * when Redis cannot be reached, so a wrong URL is seen at once; a later outage only loosens the
 * limits (see lib/rate-limit.ts) while the client reconnects, and is logged once per outage.
 */
export async function openRedis(
  url: string,
  log: { warn(details: object, message: string): void; info(message: string): void },
  options: { connectTimeoutMs: number },
): Promise<RedisConnection> {
  // Loaded only when REDIS_URL is set: most installations never need it at start-up.
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs,
    // A command never waits for a connection: it fails at once and the budget is counted in memory.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Budgets checked in the same tick (an address's and a client's) travel in one round trip.
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let started = false;
  let down = false;
  client.on('error', (err: Error) => {
    // Before the start succeeded, the failure is the start's own error (thrown below).
    if (!started || down) return;
    down = true;
    log.warn({ err }, 'Redis unreachable: rate limits are counted per instance until it is back');
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    log.info('Redis reachable again: rate limits are shared again');
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new Error(`Redis at REDIS_URL cannot be reached: ${(error as Error).message}`, { cause: error });
  }
  started = true;
  return {
    client,
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
