/**
 * Delegation (RFC 8693 token exchange): who acts in a token (`act`) and which access tokens it was
 * exchanged from (`exchanged_from`), so that revoking any of those also ends it.
 */

/** RFC 8693 §4.1 `act`: the current actor; the actor before it nested inside (a chain of exchanges). */
export interface ActorClaim {
  sub: string;
  act?: ActorClaim;
}

/** An access token an exchanged token comes from, as RevocationCheck identifies it: its API by identifier (`aud`). */
export interface ExchangedFrom {
  jti: string;
  client_id: string;
  aud: string;
  iat: number;
}

/** The claim (protected) listing the access tokens an exchanged token comes from: subject and actor tokens, transitively. */
export const EXCHANGED_FROM = 'exchanged_from';

/** Most access tokens one exchanged token may come from (and so most nested `act`s): a longer chain is refused. */
export const EXCHANGE_CHAIN_MAX = 8;

/** What an exchanged token keeps of its subject and says of its actors (TokenContext.delegation). */
export interface Delegation {
  /** The subject token's `sub`, kept as it is (a user's, or a machine token's client). */
  subject: string;
  act: ActorClaim;
  exchangedFrom: ExchangedFrom[];
}

/** Sets `act` and, when the token comes from access tokens, `exchanged_from`. Both are protected claims. */
export function setDelegationClaims(payload: Record<string, unknown>, delegation: Delegation): void {
  payload.act = delegation.act;
  if (delegation.exchangedFrom.length > 0) payload[EXCHANGED_FROM] = delegation.exchangedFrom;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The `exchanged_from` of a verified token: [] without one; null when it is not a list of at most
 * EXCHANGE_CHAIN_MAX well-formed entries (no token this service issued).
 */
export function exchangedFromOf(payload: Record<string, unknown>): ExchangedFrom[] | null {
  const claim = payload[EXCHANGED_FROM];
  if (claim === undefined) return [];
  if (!Array.isArray(claim) || claim.length > EXCHANGE_CHAIN_MAX) return null;
  const wellFormed = claim.every(
    (entry) =>
      isObject(entry) &&
      typeof entry.jti === 'string' &&
      typeof entry.client_id === 'string' &&
      typeof entry.aud === 'string' &&
      typeof entry.iat === 'number',
  );
  return wellFormed ? (claim as ExchangedFrom[]) : null;
}

/** The `act` of a verified token: undefined without one; null when malformed or nested deeper than EXCHANGE_CHAIN_MAX. */
export function actOf(payload: Record<string, unknown>): ActorClaim | undefined | null {
  if (payload.act === undefined) return undefined;
  let depth = 0;
  for (let actor: unknown = payload.act; actor !== undefined; actor = (actor as Record<string, unknown>).act) {
    if (!isObject(actor) || typeof actor.sub !== 'string' || ++depth > EXCHANGE_CHAIN_MAX) return null;
  }
  return payload.act as ActorClaim;
}
