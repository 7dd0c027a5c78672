import { generateKeyPairJwks, type AsymmetricAlgorithm, type KeyPairSource } from './key-pairs';

/**
 * Key pairs of `algorithm` whose generation starts now, handed out as the first `count` asked for;
 * any other is generated when asked. For a first start: the key ring it creates (a current and a
 * next key) is generated while the service loads and opens its database, not after.
 */
export function keyPairsAhead(algorithm: AsymmetricAlgorithm, count: number): KeyPairSource {
  const ahead = Array.from({ length: count }, () => generateKeyPairJwks(algorithm));
  // Not asked for (a start that fails first) is not an unhandled rejection.
  for (const pair of ahead) pair.catch(() => undefined);
  return (asked) => (asked === algorithm && ahead.length > 0 ? ahead.shift()! : generateKeyPairJwks(asked));
}
