import { createHash, randomFillSync, timingSafeEqual } from 'node:crypto';

/**
 * CSPRNG output fetched 4 KiB at a time and handed out once each (as Node's randomUUID does): one
 * call into OpenSSL per ~250 access-token jtis instead of one per token.
 */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** URL-safe random token of `bytes` bytes of entropy (base64url, no padding). */
export function randomToken(bytes: number): string {
  if (bytes > POOL_SIZE) return randomFillSync(Buffer.alloc(bytes)).toString('base64url');
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const token = pool.toString('base64url', poolOffset, poolOffset + bytes);
  // Zeroed once used: the pool never holds a value it already gave out.
  pool.fill(0, poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return token;
}

/** OAuth client id: 192 bits, URL-safe. */
export function generateClientId(): string {
  return randomToken(24);
}

/** A client secret or HS256 key: 256 bits. */
export function generateSecret(): string {
  return randomToken(32);
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * Whether a presented secret matches one of the stored SHA-256 hex digests. Every candidate is
 * compared in constant time, without an early exit, so timing says nothing about which (if any)
 * matched.
 */
export function secretMatchesAnyHash(secret: string, hashesHex: string[]): boolean {
  const presented = createHash('sha256').update(secret, 'utf8').digest();
  let matched = false;
  for (const hashHex of hashesHex) {
    const stored = Buffer.from(hashHex, 'hex');
    if (stored.length === presented.length && timingSafeEqual(presented, stored)) matched = true;
  }
  return matched;
}
