import type { DataSource } from 'typeorm';
import { randomToken, sha256Hex } from '../../crypto/random';
import type { Clock } from '../../lib/clock';
import { PushedAuthorizationRequestEntity } from './authorization.entities';

/** How long a pushed request can be redeemed (RFC 9126 §2.2: short-lived; 60 s like node-oidc-provider and Keycloak). */
export const PUSHED_REQUEST_LIFETIME_SECONDS = 60;

/** Longer handles are refused before any query (ours are 43 characters). */
const HANDLE_MAX_LENGTH = 200;

/**
 * Pushed authorization requests (RFC 9126): the parameters a client pushed, under a handle of 256
 * random bits stored only as its SHA-256 digest, bound to that client, redeemable once within
 * PUSHED_REQUEST_LIFETIME_SECONDS (the injected clock's time, passed to SQL). Expired rows are
 * purged by housekeeping.
 */
export class PushedAuthorizationRequestService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Stores the request of the client `clientUuid` and returns its handle (the only time it exists in clear). */
  async push(clientUuid: string, params: [string, string][]): Promise<string> {
    const handle = randomToken(32);
    const now = this.clock.now();
    await this.dataSource.manager.insert(PushedAuthorizationRequestEntity, {
      requestHash: sha256Hex(handle),
      clientUuid,
      params,
      expiresAt: new Date(now.getTime() + PUSHED_REQUEST_LIFETIME_SECONDS * 1000),
    });
    return handle;
  }

  /**
   * The parameters pushed under `handle` by the client `clientUuid`, removed in the same statement
   * (of concurrent redemptions exactly one gets them); null when unknown, expired, already redeemed
   * or pushed by another client (which leaves it to its own client).
   */
  async redeem(clientUuid: string, handle: string): Promise<[string, string][] | null> {
    if (handle.length === 0 || handle.length > HANDLE_MAX_LENGTH) return null;
    // A DELETE answers [rows, affected count].
    const [rows] = (await this.dataSource.query(
      `DELETE FROM pushed_authorization_requests WHERE request_hash = $1 AND client_id = $2 AND expires_at > $3 RETURNING params`,
      [sha256Hex(handle), clientUuid, this.clock.now()],
    )) as [{ params: [string, string][] }[], number];
    return rows.length > 0 ? rows[0].params : null;
  }
}
