import { Authentication, authenticationOf } from '../sign-in/authentication';
import { createHash, randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { randomToken, sha256Hex } from '../../crypto/random';
import { hydrate } from '../../db/hydrate';
import { DomainError } from '../errors';
import { keysetPage, Page, PageRequest } from '../pagination';
import type { AuditLog } from '../audit/audit-log';
import type { Actor } from '../audit/actor';
import type { Clock } from '../../lib/clock';
import { ClientEntity } from '../client/client.entity';
import { effectiveRotation } from '../client/client.rules';
import { ResourceServerEntity } from '../resource-server/resource-server.entity';
import { RefreshTokenEntity } from './refresh-token.entity';
import { isUuid } from '../../lib/uuid';

/** Longer tokens are refused before any query (ours are 43 characters). */
const TOKEN_MAX_LENGTH = 200;

/** What the service needs of a client: its uuid and its refresh-token settings. */
export type RefreshTokenClient = Pick<
  ClientEntity,
  'id' | 'appType' | 'refreshTokenRotation' | 'refreshTokenLeeway' | 'refreshTokenAbsoluteLifetime' | 'refreshTokenIdleLifetime'
>;

export interface RefreshTokenIssue {
  client: RefreshTokenClient;
  userId: string;
  /** The API's uuid. */
  resourceServerId: string;
  scopes: string[];
  /** The id of the new family (default: a random one); see familyIdForCode. */
  familyId?: string;
  /** The sign-in the family comes from, for the ID tokens of refreshes (OpenID Connect). */
  authentication?: Authentication | null;
  /** The DPoP key (thumbprint) every use of the family must prove possession of; null or absent: none. */
  dpopJkt?: string | null;
}

export type ExchangeResult =
  /** `token`: the presented token; `newRefreshToken`: its successor, when it rotated. */
  | { status: 'ok'; token: RefreshTokenEntity; newRefreshToken?: string }
  /** Unknown, another client's, revoked, expired, or its user is blocked. Nothing changed. */
  | { status: 'invalid' }
  /** A rotated-out token presented again after the leeway: its whole family is now revoked. */
  | { status: 'reused' }
  /** `scopes` asked more than the token holds (listed in `notHeld`). Nothing changed. */
  | { status: 'invalid_scope'; notHeld: string[] };

export interface RefreshTokenFilter {
  userId?: string;
  /** The client's uuid. */
  clientUuid?: string;
}

/**
 * The family of the refresh tokens issued by one authorization code's exchange: derived from the
 * code's digest, so that a replay of the code can revoke them without storing anything more.
 */
export function familyIdForCode(codeHash: string): string {
  const bytes = createHash('sha256').update(`refresh-token-family:${codeHash}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const addSeconds = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);
const earliest = (a: Date, b: Date) => (a.getTime() <= b.getTime() ? a : b);

/**
 * Refresh tokens: opaque (256 random bits), stored only as SHA-256 digests, bound to a user, a
 * client, an API and scopes. One authorization starts a *family*; with rotation each use adds a
 * member (the successor) and retires the one used. Presenting a retired member again, after the
 * client's leeway, is taken as theft: the whole family is revoked.
 *
 * Every time decision uses the injected clock (tests move it instead of sleeping), and passes it
 * to SQL explicitly rather than using now().
 *
 * Concurrency: every change to a family first locks the family's first member (its "head", the
 * lowest seq), so changes to one family are serialized, in one lock order (no deadlocks), on
 * PostgreSQL's pool and PGlite's single connection alike. Of concurrent uses of one token, the
 * first rotates it; the others find it rotated (and, with no leeway, revoke the family).
 */
export class RefreshTokenService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /** Starts a new family and returns its first token (the only time it exists in clear). */
  async issue(input: RefreshTokenIssue): Promise<string> {
    const now = this.clock.now();
    return this.insert(this.dataSource.manager, {
      client: input.client,
      userId: input.userId,
      resourceServerId: input.resourceServerId,
      scopes: input.scopes,
      familyId: input.familyId ?? randomUUID(),
      authentication: input.authentication ?? null,
      dpopJkt: input.dpopJkt ?? null,
      familyCreatedAt: now,
      expiresAt: addSeconds(now, input.client.refreshTokenAbsoluteLifetime),
      now,
    });
  }

  /**
   * One use of a refresh token by `client` (RFC 6749 §6), atomically. `scopes`, when given, must
   * be held by the token (narrowing), else 'invalid_scope' and nothing changes.
   * - rotating clients: a token not rotated yet is retired and a successor issued (same family,
   *   scopes and absolute expiry); a retired one is accepted again within the leeway (another
   *   successor), and after it revokes the family ('reused');
   * - non-rotating clients: the token stays and its idle expiry moves on.
   */
  async exchange(token: string, client: RefreshTokenClient, options: { scopes?: string[] } = {}): Promise<ExchangeResult> {
    if (token.length === 0 || token.length > TOKEN_MAX_LENGTH) return { status: 'invalid' };
    const tokenHash = sha256Hex(token);
    return this.dataSource.transaction(async (em) => {
      const [found]: { family_id: string }[] = await em.query(`SELECT family_id FROM refresh_tokens WHERE token_hash = $1`, [tokenHash]);
      if (!found) return { status: 'invalid' };
      if (!(await this.lockFamily(em, found.family_id))) return { status: 'invalid' };
      // Read after the lock: what a concurrent use committed is seen.
      const [row]: Record<string, unknown>[] = await em.query(
        `SELECT t.*, u.blocked AS user_blocked FROM refresh_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1`,
        [tokenHash],
      );
      if (!row) return { status: 'invalid' };
      const current = hydrate(this.dataSource, RefreshTokenEntity, row);
      // Another client's token is refused like an unknown one, and left alone.
      if (current.clientUuid !== client.id) return { status: 'invalid' };
      const now = this.clock.now();
      if (current.revokedAt !== null || current.expiresAt.getTime() <= now.getTime() || row.user_blocked === true) {
        return { status: 'invalid' };
      }

      if (current.rotatedAt !== null) {
        // A retired token: a retry within the leeway, or a replay.
        const leeway = client.refreshTokenLeeway;
        if (leeway > 0 && now.getTime() - current.rotatedAt.getTime() <= leeway * 1000) {
          const notHeld = notHeldScopes(current, options.scopes);
          if (notHeld.length > 0) return { status: 'invalid_scope', notHeld };
          return { status: 'ok', token: current, newRefreshToken: await this.successor(em, current, client, now) };
        }
        await this.revokeLockedFamily(em, current.familyId, now);
        return { status: 'reused' };
      }
      if (current.idleExpiresAt.getTime() <= now.getTime()) return { status: 'invalid' };
      const notHeld = notHeldScopes(current, options.scopes);
      if (notHeld.length > 0) return { status: 'invalid_scope', notHeld };

      if (effectiveRotation(client) === 'ROTATING') {
        await em.query(`UPDATE refresh_tokens SET rotated_at = $2, last_used_at = $2 WHERE id = $1`, [current.id, now]);
        return { status: 'ok', token: current, newRefreshToken: await this.successor(em, current, client, now) };
      }
      const idleExpiresAt = earliest(addSeconds(now, client.refreshTokenIdleLifetime), current.expiresAt);
      await em.query(`UPDATE refresh_tokens SET last_used_at = $2, idle_expires_at = $3 WHERE id = $1`, [current.id, now, idleExpiresAt]);
      return { status: 'ok', token: { ...current, lastUsedAt: now, idleExpiresAt } };
    });
  }

  /** The stored token (revoked, rotated or expired alike), or null. */
  async findByToken(token: string): Promise<RefreshTokenEntity | null> {
    if (token.length === 0 || token.length > TOKEN_MAX_LENGTH) return null;
    return this.dataSource.manager.findOneBy(RefreshTokenEntity, { tokenHash: sha256Hex(token) });
  }

  findById(id: string): Promise<RefreshTokenEntity | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.dataSource.manager.findOneBy(RefreshTokenEntity, { id });
  }

  /** Revokes every token of the family; returns how many were still unrevoked. */
  async revokeFamily(familyId: string): Promise<number> {
    if (!isUuid(familyId)) return 0;
    return this.dataSource.transaction(async (em) => {
      if (!(await this.lockFamily(em, familyId))) return 0;
      return this.revokeLockedFamily(em, familyId, this.clock.now());
    });
  }

  /**
   * Revokes the refresh tokens of a user for a client (uuid) and an API (uuid), inside the caller's
   * transaction (the consent they rest on is being deleted). Returns how many families it revoked.
   */
  async revokeFor(em: EntityManager, userId: string, clientUuid: string, resourceServerId: string): Promise<number> {
    // The heads of the families, locked in one order (family id), before any change.
    const heads: { family_id: string }[] = await em.query(
      `SELECT family_id FROM refresh_tokens
        WHERE id IN (SELECT DISTINCT ON (family_id) id FROM refresh_tokens
                      WHERE user_id = $1 AND client_id = $2 AND resource_server_id = $3
                      ORDER BY family_id, seq)
        ORDER BY family_id
        FOR UPDATE`,
      [userId, clientUuid, resourceServerId],
    );
    if (heads.length === 0) return 0;
    const revoked: { family_id: string }[] = await em.query(
      `WITH revoked AS (
         UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = ANY($1::uuid[]) AND revoked_at IS NULL RETURNING family_id
       )
       SELECT DISTINCT family_id FROM revoked`,
      [heads.map((h) => h.family_id), this.clock.now()],
    );
    return revoked.length;
  }

  /**
   * Revokes the token's whole family (management API, audited). Revoking a revoked token again
   * changes nothing but is still answered with the token.
   */
  async revoke(id: string, actor: Actor): Promise<RefreshTokenEntity> {
    return this.dataSource.transaction(async (em) => {
      const token = isUuid(id) ? await em.findOneBy(RefreshTokenEntity, { id }) : null;
      if (!token || !(await this.lockFamily(em, token.familyId))) throw DomainError.notFound(['id'], 'refresh token');
      const revokedTokens = await this.revokeLockedFamily(em, token.familyId, this.clock.now());
      const client = await em.findOneBy(ClientEntity, { id: token.clientUuid });
      const server = await em.findOneBy(ResourceServerEntity, { id: token.resourceServerId });
      await this.audit.record(em, actor, {
        operation: 'refreshTokenRevoke',
        targetType: 'RefreshToken',
        targetId: id,
        summary: {
          userId: token.userId,
          clientId: client?.clientId ?? null,
          audience: server?.identifier ?? null,
          scopes: token.scopes,
          familyId: token.familyId,
          revokedTokens,
        },
      });
      return em.findOneByOrFail(RefreshTokenEntity, { id });
    });
  }

  list(page: PageRequest, filter: RefreshTokenFilter = {}): Promise<Page<RefreshTokenEntity>> {
    return keysetPage(this.filtered(filter), page);
  }

  count(filter: RefreshTokenFilter = {}): Promise<number> {
    return this.filtered(filter).getCount();
  }

  private filtered(filter: RefreshTokenFilter) {
    const qb = this.dataSource.manager.createQueryBuilder(RefreshTokenEntity, 't');
    // An id that cannot exist matches nothing (rather than failing the uuid cast).
    if ([filter.userId, filter.clientUuid].some((id) => id !== undefined && !isUuid(id))) return qb.andWhere('1 = 0');
    if (filter.userId !== undefined) qb.andWhere('t.user_id = :userId', { userId: filter.userId });
    if (filter.clientUuid !== undefined) qb.andWhere('t.client_id = :clientId', { clientId: filter.clientUuid });
    return qb;
  }

  /** Locks the family's head (its first member); false when the family no longer exists. */
  private async lockFamily(em: EntityManager, familyId: string): Promise<boolean> {
    const rows: unknown[] = await em.query(`SELECT id FROM refresh_tokens WHERE family_id = $1 ORDER BY seq LIMIT 1 FOR UPDATE`, [
      familyId,
    ]);
    return rows.length > 0;
  }

  private async revokeLockedFamily(em: EntityManager, familyId: string, now: Date): Promise<number> {
    const revoked: unknown[] = await em.query(
      `WITH revoked AS (UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL RETURNING 1)
       SELECT * FROM revoked`,
      [familyId, now],
    );
    return revoked.length;
  }

  /** The next member of a family: same user, client, API, scopes and absolute expiry. */
  private successor(em: EntityManager, of: RefreshTokenEntity, client: RefreshTokenClient, now: Date): Promise<string> {
    return this.insert(em, {
      client,
      userId: of.userId,
      resourceServerId: of.resourceServerId,
      scopes: of.scopes,
      familyId: of.familyId,
      authentication: authenticationOf(of),
      dpopJkt: of.dpopJkt,
      familyCreatedAt: of.familyCreatedAt,
      expiresAt: of.expiresAt,
      now,
    });
  }

  private async insert(
    em: EntityManager,
    values: {
      client: RefreshTokenClient;
      userId: string;
      resourceServerId: string;
      scopes: string[];
      familyId: string;
      authentication: Authentication | null;
      dpopJkt: string | null;
      familyCreatedAt: Date;
      expiresAt: Date;
      now: Date;
    },
  ): Promise<string> {
    const token = randomToken(32);
    await em.insert(RefreshTokenEntity, {
      tokenHash: sha256Hex(token),
      familyId: values.familyId,
      userId: values.userId,
      clientUuid: values.client.id,
      resourceServerId: values.resourceServerId,
      scopes: values.scopes,
      sid: values.authentication?.sid ?? null,
      authTime: values.authentication?.authTime ?? null,
      dpopJkt: values.dpopJkt,
      createdAt: values.now,
      familyCreatedAt: values.familyCreatedAt,
      expiresAt: values.expiresAt,
      idleExpiresAt: earliest(addSeconds(values.now, values.client.refreshTokenIdleLifetime), values.expiresAt),
    });
    return token;
  }
}

function notHeldScopes(token: RefreshTokenEntity, requested: string[] | undefined): string[] {
  if (requested === undefined) return [];
  const held = new Set(token.scopes);
  return requested.filter((s) => !held.has(s));
}
