import { Algorithm, hash, verify } from '@node-rs/argon2';

/** OWASP's Argon2id baseline: 19 MiB, 2 passes, 1 lane. */
const OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Hashes a password with Argon2id (a PHC string `$argon2id$v=19$m=19456,t=2,p=1$…`, with a random salt). */
export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

let dummyHash: Promise<string> | undefined;

/**
 * Whether `password` matches `hash`. With no hash (unknown user, or no password set) it still
 * verifies against a fixed dummy hash and answers false, so a miss costs what a wrong password costs
 * and response times do not tell which emails exist. A malformed stored hash is a mismatch.
 */
export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  if (hash === null) {
    dummyHash ??= hashPassword('dummy password: the account has none');
    try {
      await verify(await dummyHash, password);
    } catch {
      dummyHash = undefined; // computed again next time
    }
    return false;
  }
  try {
    return await verify(hash, password);
  } catch {
    return false;
  }
}
