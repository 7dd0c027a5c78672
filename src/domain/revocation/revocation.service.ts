import { DataSource, EntityManager, LessThan, LessThanOrEqual } from 'typeorm';
import { DomainError, IssueList } from '../errors';
import { ResourceServerEntity } from '../resource-server/resource-server.entity';
import { TOKEN_LIFETIME_MAX } from '../resource-server/resource-server.rules';
import type { AuditLog } from '../audit/audit-log';
import type { Actor } from '../audit/actor';
import { RevokedTokenEntity, TokenWatermarkEntity } from './revocation.entities';
import type { Clock } from '../../lib/clock';
import { hasControlCharacter } from '../../lib/control-characters';

export const JTI_MAX = 255;

export interface TokenToRevoke {
  jti: string;
  resourceServerId: string;
  expiresAt: Date;
}

/**
 * Access-token revocation without storing issued tokens: a denylist of revoked (API, jti) pairs,
 * each kept only until its token expires, and per (client, API) watermarks written by grant deletion.
 */
export class RevocationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /** Denylists the token's (API, jti) until `expiresAt`. Revoking a revoked token again is a no-op. */
  async revoke(token: TokenToRevoke, actor: Actor, fields: { jti: string[]; expiresAt: string[] }): Promise<RevokedTokenEntity> {
    const issues = new IssueList();
    if (token.jti.length === 0 || token.jti.length > JTI_MAX || hasControlCharacter(token.jti)) {
      issues.add('INVALID', fields.jti, `must be 1 to ${JTI_MAX} printable characters`);
    }
    const now = this.clock.now().getTime();
    if (Number.isNaN(token.expiresAt.getTime()) || token.expiresAt.getTime() <= now) {
      issues.add('INVALID', fields.expiresAt, 'the token has already expired: it is refused everywhere without revocation');
    } else if (token.expiresAt.getTime() > now + TOKEN_LIFETIME_MAX * 1000) {
      issues.add('INVALID', fields.expiresAt, `no token lives longer than ${TOKEN_LIFETIME_MAX} seconds`);
    }
    issues.throwIfAny();
    return this.dataSource.transaction(async (em) => {
      const server = await em.findOne(ResourceServerEntity, { where: { id: token.resourceServerId }, lock: { mode: 'pessimistic_read' } });
      if (!server) throw DomainError.notFound(['input', 'resourceServerId'], 'resource server');
      await insertDenylisted(em, token, this.clock.now());
      await this.audit.record(em, actor, {
        operation: 'accessTokenRevoke',
        targetType: 'AccessToken',
        targetId: token.jti,
        summary: { audience: server.identifier, expiresAt: token.expiresAt },
      });
      return em.findOneByOrFail(RevokedTokenEntity, { resourceServerId: token.resourceServerId, jti: token.jti });
    });
  }

  /**
   * Denylists an access token its own client revoked (POST /oauth/revoke): not a management action,
   * so not audited. The token was verified by the caller; an expired one needs nothing.
   */
  async denylist(token: TokenToRevoke): Promise<void> {
    if (token.expiresAt.getTime() <= this.clock.now().getTime()) return;
    await insertDenylisted(this.dataSource.manager, token, this.clock.now());
  }

  /**
   * Deletes what can no longer matter: denylist entries whose tokens have expired, and watermarks
   * older than the longest token lifetime (every token they could refuse has expired).
   */
  async purgeExpired(): Promise<{ revokedTokens: number; watermarks: number }> {
    const now = this.clock.now();
    const revoked = await this.dataSource.manager.delete(RevokedTokenEntity, { expiresAt: LessThanOrEqual(now) });
    const watermarks = await this.dataSource.manager.delete(TokenWatermarkEntity, {
      notBefore: LessThan(new Date(now.getTime() - TOKEN_LIFETIME_MAX * 1000)),
    });
    return { revokedTokens: revoked.affected ?? 0, watermarks: watermarks.affected ?? 0 };
  }
}

/** Puts the (API, jti) on the denylist until the token expires; an entry already there stays as it is. */
async function insertDenylisted(em: EntityManager, token: TokenToRevoke, revokedAt: Date): Promise<void> {
  await em
    .createQueryBuilder()
    .insert()
    .into(RevokedTokenEntity)
    .values({ jti: token.jti, resourceServerId: token.resourceServerId, expiresAt: token.expiresAt, revokedAt })
    .orIgnore()
    .execute();
}
