import { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '../errors';
import { keysetPage, Page, PageRequest } from '../pagination';
import type { AuditLog } from '../audit/audit-log';
import type { Actor } from '../audit/actor';
import { ClientEntity } from '../client/client.entity';
import { ResourceServerEntity } from '../resource-server/resource-server.entity';
import { UserGrantEntity } from './user-grant.entity';
import { isUuid } from '../../lib/uuid';

export interface UserGrantFilter {
  userId?: string;
  clientUuid?: string;
  resourceServerId?: string;
}

/** Revokes the refresh tokens resting on a consent (RefreshTokenService), in the caller's transaction. */
export interface ConsentRefreshTokens {
  revokeFor(em: EntityManager, userId: string, clientUuid: string, resourceServerId: string): Promise<number>;
}

/**
 * Users' consents: which scopes of one API a user allowed one client to use on their behalf.
 * Recorded by the consent page (the user's own act, so not a management mutation), listed and
 * deleted through the management API. A deleted consent is asked for again at the next /authorize.
 */
export class UserGrantService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    private readonly refreshTokens: ConsentRefreshTokens,
  ) {}

  /** The scopes the user consented to for this client (uuid) and API (uuid); [] when none. */
  async consentedScopes(userId: string, clientUuid: string, resourceServerId: string): Promise<string[]> {
    if (![userId, clientUuid, resourceServerId].every((id) => isUuid(id))) return [];
    const grant = await this.dataSource.manager.findOne(UserGrantEntity, {
      where: { userId, clientUuid, resourceServerId },
      select: { id: true, scopes: true },
    });
    return grant?.scopes ?? [];
  }

  /** Adds `scopes` to the user's consent for this client and API (created if none): a union, never a removal. */
  async recordConsent(userId: string, clientUuid: string, resourceServerId: string, scopes: string[]): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO user_grants (user_id, client_id, resource_server_id, scopes)
       VALUES ($1, $2, $3, ARRAY(SELECT DISTINCT unnest($4::text[]) ORDER BY 1))
       ON CONFLICT (user_id, client_id, resource_server_id) DO UPDATE
         SET scopes = ARRAY(SELECT DISTINCT unnest(user_grants.scopes || EXCLUDED.scopes) ORDER BY 1),
             updated_at = now()`,
      [userId, clientUuid, resourceServerId, scopes],
    );
  }

  /** Deletes the consent and revokes the refresh tokens of that user, client and API, in one transaction. */
  async delete(id: string, actor: Actor): Promise<UserGrantEntity> {
    return this.dataSource.transaction(async (em) => {
      const grant = isUuid(id) ? await em.findOne(UserGrantEntity, { where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
      if (!grant) throw DomainError.notFound(['id'], 'user grant');
      const client = await em.findOneBy(ClientEntity, { id: grant.clientUuid });
      const server = await em.findOneBy(ResourceServerEntity, { id: grant.resourceServerId });
      await em.delete(UserGrantEntity, { id });
      // The refresh tokens issued under this consent end with it.
      const refreshTokenFamiliesRevoked = await this.refreshTokens.revokeFor(em, grant.userId, grant.clientUuid, grant.resourceServerId);
      await this.audit.record(em, actor, {
        operation: 'userGrantDelete',
        targetType: 'UserGrant',
        targetId: id,
        summary: {
          userId: grant.userId,
          clientId: client?.clientId ?? null,
          audience: server?.identifier ?? null,
          scopes: grant.scopes,
          refreshTokenFamiliesRevoked,
        },
      });
      return grant;
    });
  }

  list(page: PageRequest, filter: UserGrantFilter = {}): Promise<Page<UserGrantEntity>> {
    return keysetPage(this.filtered(filter), page);
  }

  count(filter: UserGrantFilter = {}): Promise<number> {
    return this.filtered(filter).getCount();
  }

  private filtered(filter: UserGrantFilter) {
    const qb = this.dataSource.manager.createQueryBuilder(UserGrantEntity, 'g');
    // An id that cannot exist matches nothing (rather than failing the uuid cast).
    if ([filter.userId, filter.clientUuid, filter.resourceServerId].some((id) => id !== undefined && !isUuid(id))) {
      return qb.andWhere('1 = 0');
    }
    if (filter.userId !== undefined) qb.andWhere('g.user_id = :userId', { userId: filter.userId });
    if (filter.clientUuid !== undefined) qb.andWhere('g.client_id = :clientId', { clientId: filter.clientUuid });
    if (filter.resourceServerId !== undefined) qb.andWhere('g.resource_server_id = :rs', { rs: filter.resourceServerId });
    return qb;
  }
}
