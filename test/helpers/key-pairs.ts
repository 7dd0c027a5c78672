import fs from 'node:fs';
import { generateKeyPairJwks, type AsymmetricAlgorithm, type KeyPairSource } from '../../src/crypto/key-pairs';

/** RSA pairs made once per run (global-setup.ts): RSA 2048 generation costs ~0.1 s of CPU per key, and every test server's first start makes two. */
export const RSA_POOL_SIZE = 48;
const POOL_FILE_VARIABLE = 'APIAUTH_TEST_RSA_KEYS';

/** Generates the pool (in the thread pool, in parallel) into `file` and points test files at it. */
export async function writeRsaKeyPool(file: string): Promise<void> {
  const pairs = await Promise.all(Array.from({ length: RSA_POOL_SIZE }, () => generateKeyPairJwks('RS256')));
  fs.writeFileSync(file, JSON.stringify(pairs), { mode: 0o600 });
  process.env[POOL_FILE_VARIABLE] = file;
}

let pool: Awaited<ReturnType<KeyPairSource>>[] | undefined;
/** Pairs of the pool this test file has handed out, from a random starting point. */
let drawn = 0;
let start = 0;

/**
 * Key pairs for a test server: RSA pairs (RS256 and PS256 alike) from the run's pool, each at most
 * once in a test file (its servers may share one database, as in the multi-instance tests: a pair
 * given twice would be one key id twice), from a random starting point; other algorithms, and RSA
 * past the pool, generated as in production. Without a pool (a file run outside global-setup) all
 * are generated.
 */
export function pooledKeyPairs(): KeyPairSource {
  if (!pool) {
    const file = process.env[POOL_FILE_VARIABLE];
    pool = file && fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : [];
    start = Math.floor(Math.random() * pool!.length);
  }
  const pairs = pool!;
  return async (algorithm: AsymmetricAlgorithm) => {
    const rsa = algorithm === 'RS256' || algorithm === 'PS256';
    if (!rsa || drawn >= pairs.length) return generateKeyPairJwks(algorithm);
    return pairs[(start + drawn++) % pairs.length];
  };
}
