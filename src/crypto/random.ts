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

/** Compares a presented secret with a stored SHA-256 hex digest in constant time. */
export function secretMatchesHash(secret: string, hashHex: string): boolean {
  const presented = createHash('sha256').update(secret, 'utf8').digest();
  const stored = Buffer.from(hashHex, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}
