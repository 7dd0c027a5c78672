import type { DataSource } from 'typeorm';
import { DomainError, IssueList } from '../errors';
import { keysetPage, Page, PageRequest } from '../pagination';
import { checkEnum } from '../resource-server/resource-server.rules';
import type { ChangeFeed } from '../../db/change-feed';
import type { AuditLog } from '../audit/audit-log';
import type { Actor } from '../audit/actor';
import { KeyRing } from '../../crypto/key-ring';
import { ASYMMETRIC_ALGORITHMS, AsymmetricAlgorithm } from '../../crypto/key-pairs';
import { KeyState, SigningKeyEntity } from '../../crypto/signing-key.entity';
import type { Clock } from '../../lib/clock';

export interface SigningKeyFilter {
  algorithm?: string;
  state?: KeyState;
}

/**
 * Previous keys one ring may hold. Each is still published and verifies; past this, a rotation asks
 * for an old one to be revoked first rather than growing the JWKS without bound.
 */
export const PREVIOUS_KEYS_MAX = 3;

/** What rotation needs from the key ring: new key material, and a reload once committed. */
export type KeyMaterial = Pick<KeyRing, 'generate' | 'reload'>;

/**
 * The lifecycle of asymmetric signing keys. Per algorithm: NEXT (published, not signing yet) →
 * CURRENT (signs) → PREVIOUS (published, verifies old tokens) → REVOKED (gone for good: out of the
 * JWKS, its tokens refused, its private key erased).
 */
export class SigningKeyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ChangeFeed,
    private readonly audit: AuditLog,
    private readonly keys: KeyMaterial,
    private readonly clock: Clock,
  ) {}

  /** Next becomes current, current becomes previous, and a new next is generated: one transaction. */
  async rotate(
    algorithm: string,
    actor: Actor,
  ): Promise<{ current: SigningKeyEntity; next: SigningKeyEntity; previous: SigningKeyEntity }> {
    if (algorithm === 'HS256') {
      throw DomainError.of('INVALID', ['algorithm'], 'HS256 APIs have their own secret: use resourceServerSigningSecretRotate');
    }
    const issues = new IssueList();
    checkEnum(issues, ['algorithm'], algorithm, ASYMMETRIC_ALGORITHMS);
    issues.throwIfAny();
    const fresh = await this.keys.generate(algorithm as AsymmetricAlgorithm);
    const result = await this.dataSource.transaction(async (em) => {
      await KeyRing.lockRing(em, algorithm);
      const ring = await em.findBy(SigningKeyEntity, { algorithm });
      const current = ring.find((k) => k.state === 'CURRENT');
      const next = ring.find((k) => k.state === 'NEXT');
      if (!current || !next) {
        throw DomainError.of(
          'NOT_FOUND',
          ['algorithm'],
          `there are no ${algorithm} keys yet; the ring is created with the first ${algorithm} API`,
        );
      }
      const previousCount = ring.filter((k) => k.state === 'PREVIOUS').length;
      if (previousCount >= PREVIOUS_KEYS_MAX) {
        throw DomainError.of(
          'LIMIT_EXCEEDED',
          ['algorithm'],
          `the ${algorithm} ring already has ${previousCount} previous keys; revoke one (signingKeyRevoke) before rotating again`,
        );
      }
      const now = this.clock.now();
      // In this order: the unique indexes allow one current and one next key per algorithm.
      await em.update(SigningKeyEntity, { id: current.id }, { state: 'PREVIOUS', rotatedAt: now });
      await em.update(SigningKeyEntity, { id: next.id }, { state: 'CURRENT', activatedAt: now });
      await em.insert(SigningKeyEntity, { ...fresh, state: 'NEXT' });
      await this.audit.record(em, actor, {
        operation: 'signingKeyRotate',
        targetType: 'SigningKey',
        targetId: next.id,
        summary: { algorithm, current: next.kid, previous: current.kid, next: fresh.kid },
      });
      await this.changes.publish(em, 'signing_key', algorithm);
      return {
        current: await em.findOneByOrFail(SigningKeyEntity, { id: next.id }),
        previous: await em.findOneByOrFail(SigningKeyEntity, { id: current.id }),
        next: await em.findOneByOrFail(SigningKeyEntity, { kid: fresh.kid }),
      };
    });
    await this.keys.reload();
    return result;
  }

  /** Revokes a previous key for good; current and next keys must be rotated out first. */
  async revoke(kid: string, actor: Actor): Promise<SigningKeyEntity> {
    if (kid.length > 100) throw DomainError.notFound(['kid'], 'signing key');
    const revoked = await this.dataSource.transaction(async (em) => {
      const key = await em.findOne(SigningKeyEntity, { where: { kid }, lock: { mode: 'pessimistic_write' } });
      if (!key) throw DomainError.notFound(['kid'], 'signing key');
      if (key.state === 'REVOKED') throw DomainError.of('INVALID', ['kid'], 'this key is already revoked');
      if (key.state !== 'PREVIOUS') {
        throw DomainError.of('INVALID', ['kid'], `only a PREVIOUS key can be revoked; this one is ${key.state} (rotate it out first)`);
      }
      // The private key is erased: a revoked key can never sign or be restored.
      await em.update(SigningKeyEntity, { id: key.id }, { state: 'REVOKED', revokedAt: this.clock.now(), privateKeySealed: '' });
      await this.audit.record(em, actor, {
        operation: 'signingKeyRevoke',
        targetType: 'SigningKey',
        targetId: key.id,
        summary: { kid, algorithm: key.algorithm },
      });
      await this.changes.publish(em, 'signing_key', key.algorithm);
      return em.findOneByOrFail(SigningKeyEntity, { id: key.id });
    });
    await this.keys.reload();
    return revoked;
  }

  list(page: PageRequest, filter: SigningKeyFilter = {}): Promise<Page<SigningKeyEntity>> {
    return keysetPage(this.filtered(filter), page);
  }

  count(filter: SigningKeyFilter = {}): Promise<number> {
    return this.filtered(filter).getCount();
  }

  private filtered(filter: SigningKeyFilter) {
    const qb = this.dataSource.manager.createQueryBuilder(SigningKeyEntity, 'k');
    if (filter.algorithm) qb.andWhere('k.algorithm = :algorithm', { algorithm: filter.algorithm });
    if (filter.state) qb.andWhere('k.state = :state', { state: filter.state });
    return qb;
  }
}
