/**
 * The ceiling a token endpoint is measured against: how fast jose alone signs the same access token
 * (RFC 9068 claims, a key of the same type) in the bench process. Shared by bench:token and
 * bench:compare.
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';

/** The algorithms the benchmarks measure, in the order they print. */
export const ALGORITHMS = ['RS256', 'ES256', 'EdDSA', 'HS256'] as const;
export type BenchAlgorithm = (typeof ALGORITHMS)[number];

const SECONDS = 3;

/** Tokens per second jose signs here alone, `concurrency` at a time, for the claims of a client-credentials token. */
export async function joseSignRate(algorithm: BenchAlgorithm, audience: string, clientId: string, concurrency: number): Promise<number> {
  const key =
    algorithm === 'HS256'
      ? createSecretKey(randomBytes(32))
      : (await generateKeyPair(algorithm, { ...(algorithm === 'EdDSA' ? { crv: 'Ed25519' } : {}) })).privateKey;
  const sign = () => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: 'http://127.0.0.1',
      sub: clientId,
      aud: audience,
      iat: now,
      exp: now + 86400,
      jti: randomBytes(16).toString('base64url'),
      client_id: clientId,
      scope: 'read:items write:items',
    })
      .setProtectedHeader({ alg: algorithm, typ: 'at+jwt', kid: 'bench' })
      .sign(key);
  };
  const until = Date.now() + SECONDS * 1000;
  let count = 0;
  while (Date.now() < until) {
    await Promise.all(Array.from({ length: concurrency }, sign));
    count += concurrency;
  }
  return Math.round(count / SECONDS);
}
