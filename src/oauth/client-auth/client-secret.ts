import { secretMatchesAnyHash, sha256Hex } from '../../crypto/random';
import { liveSecretHashes, type CachedClient } from '../registry';
import type { PresentedCredentials, VerifyContext } from './method';

/** Hash compared against when the client is unknown (or has no live secret), so every failure costs the same. */
const DUMMY_HASH = [sha256Hex('no such client')];

/** The secret methods' check: the presented secret matches one of the client's unexpired secrets. */
export async function verifyClientSecret(
  presented: PresentedCredentials,
  cached: CachedClient | null,
  { clock }: VerifyContext,
): Promise<string | undefined> {
  if (presented.secret === undefined) return 'no secret';
  const now = clock.now().getTime();
  const hashes = cached ? liveSecretHashes(cached, now) : [];
  const matched = secretMatchesAnyHash(presented.secret, hashes.length > 0 ? hashes : DUMMY_HASH) && hashes.length > 0;
  return matched ? undefined : 'wrong or expired secret';
}
