import type { TokenClient } from '../../domain/token-read-model';
import type { CachedApi } from '../registry';
import { OFFLINE_ACCESS } from '../standard-scopes';
import { isClientAllowed } from './grant';
import { refreshTokenGrant } from './refresh-token';

/**
 * Whether a user's grant (an authorization code, an approved device request) comes with a refresh
 * token: offline_access was granted, the API still allows offline access, and the client may still
 * use refresh tokens.
 */
export function grantsRefreshToken(grantedScopes: readonly string[], api: CachedApi, client: TokenClient): boolean {
  return grantedScopes.includes(OFFLINE_ACCESS) && api.server.allowOfflineAccess && isClientAllowed(client, refreshTokenGrant);
}
