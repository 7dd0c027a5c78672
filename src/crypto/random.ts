import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** URL-safe random token of `bytes` bytes of entropy (base64url, no padding). */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
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
