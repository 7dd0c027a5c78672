import { secretMatchesAnyHash, sha256Hex } from '../../crypto/random';
import type { Clock } from '../../lib/clock';
import type { CachedClient } from '../registry';
import type { PresentedCredentials } from './method';

/** Hash compared against when the client is unknown (or has no live secret), so every failure costs the same. */
const DUMMY_HASH = [sha256Hex('no such client')];

/** The secret methods' check: the presented secret matches one of the client's unexpired secrets. */
export function verifyClientSecret(presented: PresentedCredentials, cached: CachedClient | null, clock: Clock): boolean {
  if (presented.secret === undefined) return false;
  const now = clock.now().getTime();
  const hashes = cached?.secrets.filter((s) => s.expiresAt === null || s.expiresAt.getTime() > now).map((s) => s.hash) ?? [];
  return secretMatchesAnyHash(presented.secret, hashes.length > 0 ? hashes : DUMMY_HASH) && hashes.length > 0;
}
