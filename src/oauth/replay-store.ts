/**
 * The replay store of one-time JWTs (client assertions, DPoP proofs; UsedJtiService in the
 * database): true the first time an issuer's `jti` is claimed, false for a replay until `expiresAt`.
 */
export interface ReplayStore {
  claim(issuer: string, jti: string, expiresAt: Date): Promise<boolean>;
}
