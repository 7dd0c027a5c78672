import { DataSource, EntityManager, IsNull } from 'typeorm';
import { DomainError, IssueList, isUniqueViolation } from '../errors';
import { keysetPage, Page, PageRequest } from '../pagination';
import { withoutNulls } from '../resource-server/resource-server.service';
import type { ChangeFeed } from '../../db/change-feed';
import type { AuditLog } from '../audit/audit-log';
import type { Actor } from '../audit/actor';
import { UserEntity } from './user.entity';
import { AuthorizationCodeEntity, UserSessionEntity } from '../authorization/authorization.entities';
import type { PasswordHasher } from './password';
import { checkEmail, checkPassword, checkUserName, EMAIL_MAX, PASSWORD_MAX } from './user.rules';
import { appMetadataSummary, checkAppMetadata } from './app-metadata';
import { isUuid, NIL_UUID } from '../../lib/uuid';
import { userIdOfSubject } from './subject';

export interface UserCreate {
  email: string;
  /** Optional: a user without a password cannot sign in until one is set. */
  password?: string | null;
  name?: string | null;
  emailVerified?: boolean | null;
  blocked?: boolean | null;
  /** A JSON object (see app-metadata.ts); default {}. */
  appMetadata?: Record<string, unknown> | null;
}

export interface UserUpdate {
  email?: string | null;
  name?: string | null;
  emailVerified?: boolean | null;
  blocked?: boolean | null;
  /** Replaces the stored object; {} clears it. */
  appMetadata?: Record<string, unknown> | null;
}

export interface UserFilter {
  /** Exact match, whatever the case. */
  email?: string;
  /** The user a token's `sub` names (see subject.ts); none for a sub that names no user. */
  sub?: string;
}

/**
 * The built-in user directory. Emails are unique whatever their case (a unique index on
 * lower(email); comparisons use PostgreSQL's lower() on both sides, like the index). Passwords are
 * kept as Argon2id hashes only and never leave this service. Hashing goes through the process-wide
 * PasswordHasher: when its queue is full, `create`, `setPassword` and `authenticate` reject with
 * WorkLimiterFull before writing anything.
 */
export class UserService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ChangeFeed,
    private readonly audit: AuditLog,
    private readonly passwords: PasswordHasher,
  ) {}

  async create(input: UserCreate, actor: Actor): Promise<UserEntity> {
    const issues = new IssueList();
    const field = (name: string) => ['input', name];
    const email = (input.email ?? '').trim();
    const values = {
      email,
      name: input.name ?? '',
      emailVerified: input.emailVerified ?? false,
      blocked: input.blocked ?? false,
    };
    checkEmail(issues, field('email'), email);
    checkUserName(issues, field('name'), values.name);
    if (input.password != null) checkPassword(issues, field('password'), input.password, email);
    const appMetadata = input.appMetadata ?? {};
    checkAppMetadata(issues, field('appMetadata'), appMetadata);
    issues.throwIfAny();
    if (await this.emailTaken(this.dataSource.manager, email)) throw emailTaken();
    // Hashing is slow on purpose: done before the transaction, so no lock waits on it.
    const passwordHash = input.password != null ? await this.passwords.hash(input.password) : null;

    return this.dataSource.transaction(async (em) => {
      const user = em.create(UserEntity, { ...values, appMetadata, passwordHash });
      try {
        // jsonb columns: TypeORM's deep-partial type cannot follow Record<string, unknown>.
        await em.insert(UserEntity, user as never);
      } catch (error) {
        if (isUniqueViolation(error)) throw emailTaken();
        throw error;
      }
      await this.audit.record(em, actor, {
        operation: 'userCreate',
        ...target(user.id),
        summary: { ...values, appMetadata: appMetadataSummary(appMetadata) },
      });
      await this.changes.publish(em, 'user', user.id);
      return em.findOneByOrFail(UserEntity, { id: user.id });
    });
  }

  /**
   * Changes the profile. A new email is unverified unless `emailVerified` says otherwise. Blocking
   * (`blocked: true`) also ends the user's login sessions and voids their unused authorization codes.
   */
  async update(id: string, input: UserUpdate, actor: Actor): Promise<UserEntity> {
    const changes = withoutNulls(input) as Partial<Pick<UserEntity, 'email' | 'name' | 'emailVerified' | 'blocked' | 'appMetadata'>>;
    if (changes.email !== undefined) changes.email = changes.email.trim();
    const issues = new IssueList();
    const field = (name: string) => ['input', name];
    if (changes.email !== undefined) checkEmail(issues, field('email'), changes.email);
    if (changes.name !== undefined) checkUserName(issues, field('name'), changes.name);
    if (changes.appMetadata !== undefined) checkAppMetadata(issues, field('appMetadata'), changes.appMetadata);
    issues.throwIfAny();

    return this.dataSource.transaction(async (em) => {
      const user = await this.lockOrFail(em, id);
      if (changes.email !== undefined && changes.email !== user.email) {
        if (await this.emailTaken(em, changes.email, id)) throw emailTaken();
        if (changes.emailVerified === undefined && changes.email.toLowerCase() !== user.email.toLowerCase()) {
          changes.emailVerified = false;
        }
      }
      if (Object.keys(changes).length > 0) {
        try {
          await em.update(UserEntity, { id }, changes as never);
        } catch (error) {
          if (isUniqueViolation(error)) throw emailTaken();
          throw error;
        }
      }
      const signedOut = changes.blocked === true ? await this.endSessions(em, id) : undefined;
      await this.audit.record(em, actor, {
        operation: 'userUpdate',
        ...target(id),
        summary: {
          ...changes,
          ...(changes.appMetadata !== undefined ? { appMetadata: appMetadataSummary(changes.appMetadata) } : {}),
          ...(signedOut !== undefined ? { sessionsEnded: signedOut } : {}),
        },
      });
      await this.changes.publish(em, 'user', id);
      return em.findOneByOrFail(UserEntity, { id });
    });
  }

  /** Deletes the user; their sessions, consents and authorization codes go with them (foreign keys). */
  async delete(id: string, actor: Actor): Promise<UserEntity> {
    return this.dataSource.transaction(async (em) => {
      const user = await this.lockOrFail(em, id);
      await em.delete(UserEntity, { id });
      await this.audit.record(em, actor, { operation: 'userDelete', ...target(id), summary: { email: user.email } });
      await this.changes.publish(em, 'user', id);
      return user;
    });
  }

  /**
   * Sets (or replaces) the password, under the password policy. The user's other login sessions
   * end: whoever knew the old password is signed out.
   */
  async setPassword(id: string, password: string, actor: Actor): Promise<UserEntity> {
    const before = await this.findById(id);
    if (!before) throw DomainError.notFound(['id'], 'user');
    const field = ['input', 'password'];
    const issues = new IssueList();
    checkPassword(issues, field, password, before.email);
    issues.throwIfAny();
    const passwordHash = await this.passwords.hash(password);

    return this.dataSource.transaction(async (em) => {
      const user = await this.lockOrFail(em, id);
      // The email may have changed while the hash was computed: the policy holds against the current one.
      if (user.email !== before.email) {
        checkPassword(issues, field, password, user.email);
        issues.throwIfAny();
      }
      await em.update(UserEntity, { id }, { passwordHash });
      const sessionsEnded = await this.endSessions(em, id, false);
      await this.audit.record(em, actor, { operation: 'userPasswordSet', ...target(id), summary: { sessionsEnded } });
      await this.changes.publish(em, 'user', id);
      return em.findOneByOrFail(UserEntity, { id });
    });
  }

  /**
   * The user with this email (any case) and password, or null. Runs a password verification
   * whatever happens (a dummy one for an unknown email or a user without password), so the time
   * taken does not reveal which emails exist. A blocked user is returned too: the caller decides,
   * and must answer with the same generic error as for a wrong password.
   */
  async authenticate(email: string, password: string): Promise<UserEntity | null> {
    const trimmed = (email ?? '').trim();
    const user =
      trimmed.length > 0 && trimmed.length <= EMAIL_MAX
        ? await this.dataSource.manager
            .createQueryBuilder(UserEntity, 'u')
            .where('lower(u.email) = lower(:email)', { email: trimmed })
            .getOne()
        : null;
    // Over-long passwords are refused without hashing them, after the same work as a miss.
    const candidate = password.length <= PASSWORD_MAX ? password : '';
    const ok = await this.passwords.verify(user?.passwordHash ?? null, candidate);
    return user && ok && password.length <= PASSWORD_MAX ? user : null;
  }

  /** Stamps a successful sign-in (`lastLoginAt`); not a profile change, so `updatedAt` stays. */
  async recordLogin(userId: string): Promise<void> {
    if (!isUuid(userId)) return;
    await this.dataSource.query('UPDATE users SET last_login_at = now() WHERE id = $1', [userId]);
  }

  findById(id: string): Promise<UserEntity | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.dataSource.manager.findOneBy(UserEntity, { id });
  }

  list(page: PageRequest, filter: UserFilter = {}): Promise<Page<UserEntity>> {
    return keysetPage(this.filtered(filter), page);
  }

  count(filter: UserFilter = {}): Promise<number> {
    return this.filtered(filter).getCount();
  }

  private filtered(filter: UserFilter) {
    const qb = this.dataSource.manager.createQueryBuilder(UserEntity, 'u');
    if (filter.email !== undefined) qb.andWhere('lower(u.email) = lower(:email)', { email: filter.email.trim() });
    // A sub that is no user id matches no row, without giving the uuid column text it would refuse.
    if (filter.sub !== undefined) qb.andWhere('u.id = :subjectId', { subjectId: userIdOfSubject(filter.sub) ?? NIL_UUID });
    return qb;
  }

  private async emailTaken(em: EntityManager, email: string, exceptId?: string): Promise<boolean> {
    const qb = em.createQueryBuilder(UserEntity, 'u').where('lower(u.email) = lower(:email)', { email });
    if (exceptId) qb.andWhere('u.id <> :exceptId', { exceptId });
    return (await qb.getCount()) > 0;
  }

  /** Ends every login session of the user (and, when blocking, voids their unused authorization codes). */
  private async endSessions(em: EntityManager, userId: string, voidCodes = true): Promise<number> {
    const { affected } = await em.delete(UserSessionEntity, { userId });
    if (voidCodes) await em.delete(AuthorizationCodeEntity, { userId, consumedAt: IsNull() });
    return affected ?? 0;
  }

  private async lockOrFail(em: EntityManager, id: string): Promise<UserEntity> {
    const user = isUuid(id) ? await em.findOne(UserEntity, { where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
    if (!user) throw DomainError.notFound(['id'], 'user');
    return user;
  }
}

function target(id: string) {
  return { targetType: 'User', targetId: id };
}

function emailTaken(): DomainError {
  return DomainError.of('TAKEN', ['input', 'email'], 'a user with this email already exists');
}
