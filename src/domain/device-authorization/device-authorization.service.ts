import type { DataSource } from 'typeorm';
import { randomToken, sha256Hex } from '../../crypto/random';
import { hydrate } from '../../db/hydrate';
import type { Clock } from '../../lib/clock';
import { isUniqueViolation } from '../errors';
import type { Authentication } from '../sign-in/authentication';
import { DeviceAuthorizationEntity } from './device-authorization.entity';
import { generateUserCode } from './user-code';

/** RFC 8628 §3.2: how long the codes live (10 minutes) and the first polling interval. */
export const DEVICE_CODE_LIFETIME_SECONDS = 600;
export const POLL_INTERVAL_SECONDS = 5;
/** §3.5: what each poll that came too soon adds to the interval. */
export const SLOW_DOWN_SECONDS = 5;
/** Longer device codes are refused before any query (ours are 43 characters). */
const DEVICE_CODE_MAX_LENGTH = 200;
/** New user codes drawn when one collides with a stored one (~2^-34 each). */
const USER_CODE_DRAWS = 5;

const addSeconds = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);

export interface DeviceAuthorizationInput {
  clientUuid: string;
  resourceServerId: string;
  scopes: string[];
}

export interface IssuedDeviceCodes {
  deviceCode: string;
  /** Normalized (no dash). */
  userCode: string;
  expiresIn: number;
  interval: number;
}

/** A pending request found by its user code, with the OAuth client_id of its client (for the registry). */
export interface PendingDeviceAuthorization {
  authorization: DeviceAuthorizationEntity;
  clientId: string;
}

/** What a poll finds (RFC 8628 §3.5), judged and recorded in one statement. */
export type PollResult =
  | { status: 'invalid' }
  | { status: 'used' }
  | { status: 'expired' }
  | { status: 'slow_down' }
  | { status: 'denied' }
  | { status: 'pending' }
  | { status: 'approved'; authorization: DeviceAuthorizationEntity };

/**
 * Device authorization requests: a device code (256 random bits) and a user code, both stored as
 * SHA-256 digests, valid DEVICE_CODE_LIFETIME_SECONDS. The user answers once (approve or deny); the
 * client's first poll after an approval consumes the request. Times read the injected clock.
 */
export class DeviceAuthorizationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Stores a new request and returns its codes (the only time they exist in clear). */
  async create(input: DeviceAuthorizationInput): Promise<IssuedDeviceCodes> {
    const deviceCode = randomToken(32);
    const now = this.clock.now();
    for (let draw = 1; ; draw++) {
      const userCode = generateUserCode();
      try {
        await this.dataSource.manager.insert(DeviceAuthorizationEntity, {
          deviceCodeHash: sha256Hex(deviceCode),
          userCodeHash: sha256Hex(userCode),
          clientUuid: input.clientUuid,
          resourceServerId: input.resourceServerId,
          scopes: input.scopes,
          intervalSeconds: POLL_INTERVAL_SECONDS,
          createdAt: now,
          expiresAt: addSeconds(now, DEVICE_CODE_LIFETIME_SECONDS),
        });
        return { deviceCode, userCode, expiresIn: DEVICE_CODE_LIFETIME_SECONDS, interval: POLL_INTERVAL_SECONDS };
      } catch (error) {
        // Another request holds this user code (expired rows too, until housekeeping): draw again.
        if (!isUniqueViolation(error) || draw >= USER_CODE_DRAWS) throw error;
      }
    }
  }

  /** The request a normalized user code names, while the user can still answer it; null otherwise. */
  async findPending(userCode: string): Promise<PendingDeviceAuthorization | null> {
    const [row]: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT d.*, c.client_id AS oauth_client_id FROM device_authorizations d JOIN clients c ON c.id = d.client_id
        WHERE d.user_code_hash = $1 AND d.decision IS NULL AND d.expires_at > $2`,
      [sha256Hex(userCode), this.clock.now()],
    );
    return row
      ? { authorization: hydrate(this.dataSource, DeviceAuthorizationEntity, row), clientId: row.oauth_client_id as string }
      : null;
  }

  /**
   * Records the user's answer to the request of a normalized user code, once: false when it was
   * answered before or has expired (the user code is single use).
   */
  async decide(userCode: string, decision: 'APPROVED' | 'DENIED', userId: string, authentication: Authentication): Promise<boolean> {
    // An UPDATE answers [rows, affected] through TypeORM.
    const [, affected] = (await this.dataSource.query(
      `UPDATE device_authorizations SET decision = $2, user_id = $3, sid = $4, auth_time = $5
        WHERE user_code_hash = $1 AND decision IS NULL AND expires_at > $6`,
      [sha256Hex(userCode), decision, userId, authentication.sid, authentication.authTime, this.clock.now()],
    )) as [unknown, number];
    return affected > 0;
  }

  /**
   * One poll of `clientUuid` with a device code, in one statement that locks the row: the poll's
   * time is recorded, a poll sooner than the interval after the previous one grows the interval by
   * SLOW_DOWN_SECONDS, and an approved request is consumed (of concurrent polls, exactly one gets
   * it). A device code of another client is 'invalid', like an unknown one, and is left untouched.
   */
  async poll(deviceCode: string, clientUuid: string): Promise<PollResult> {
    if (deviceCode.length === 0 || deviceCode.length > DEVICE_CODE_MAX_LENGTH) return { status: 'invalid' };
    const now = this.clock.now();
    const result = (await this.dataSource.query(
      `WITH old AS (
         SELECT device_code_hash, consumed_at,
                (last_polled_at IS NOT NULL AND last_polled_at > $3::timestamptz - make_interval(secs => interval_seconds)) AS too_fast
           FROM device_authorizations WHERE device_code_hash = $1 AND client_id = $2 FOR UPDATE
       )
       UPDATE device_authorizations d SET
         last_polled_at = $3,
         interval_seconds = CASE WHEN old.too_fast THEN d.interval_seconds + $4 ELSE d.interval_seconds END,
         consumed_at = CASE WHEN NOT old.too_fast AND d.decision = 'APPROVED' AND d.consumed_at IS NULL AND d.expires_at > $3
                            THEN $3::timestamptz ELSE d.consumed_at END
         FROM old WHERE d.device_code_hash = old.device_code_hash
       RETURNING d.*, old.too_fast, old.consumed_at AS previously_consumed_at`,
      [sha256Hex(deviceCode), clientUuid, now, SLOW_DOWN_SECONDS],
    )) as [Record<string, unknown>[], number];
    const [row] = result[0];
    if (!row) return { status: 'invalid' };
    const authorization = hydrate(this.dataSource, DeviceAuthorizationEntity, row);
    if (row.previously_consumed_at !== null) return { status: 'used' };
    if (authorization.expiresAt <= now) return { status: 'expired' };
    if (row.too_fast === true) return { status: 'slow_down' };
    if (authorization.decision === 'DENIED') return { status: 'denied' };
    if (authorization.decision === null) return { status: 'pending' };
    return { status: 'approved', authorization };
  }
}
