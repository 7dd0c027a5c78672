import type { DataSource, EntityManager } from 'typeorm';
import { IssueList } from '../errors';
import { RoleEntity } from '../role/role.entities';
import { UserEntity } from '../user/user.entity';
import { UserSessionEntity } from '../authorization/authorization.entities';
import { checkEmail, checkPassword } from '../user/user.rules';
import type { PasswordHasher } from '../user/password';
import type { AuditLog } from '../audit/audit-log';
import { SYSTEM_ACTOR, type Actor } from '../audit/actor';
import type { ChangeFeed } from '../../db/change-feed';
import type { Clock } from '../../lib/clock';
import { ALL_MANAGEMENT_SCOPES } from '../management-scopes';
import { AdminSetupTokenEntity } from './admin-setup-token.entity';
import { lockBootstrap } from './bootstrap-lock';
import { randomToken, sha256Hex } from '../../crypto/random';

export const ADMINISTRATOR_ROLE_NAME = 'Administrator';
/** Its name when a role created through the API already holds ADMINISTRATOR_ROLE_NAME (never given those users' trust). */
const ADMINISTRATOR_ROLE_FALLBACK_NAME = 'Administrator (built-in)';

/** How long a link to set the first administrator's password works. */
export const ADMIN_SETUP_LIFETIME_SECONDS = 24 * 3600;

/**
 * Makes sure the built-in Administrator role exists and holds every management scope (missing ones
 * added: the list grows with the code). Inside the bootstrap's transaction and lock.
 */
export async function ensureAdministratorRole(em: EntityManager, managementApiId: string): Promise<string> {
  let role = await em.findOneBy(RoleEntity, { builtin: 'ADMINISTRATOR' });
  if (!role) {
    const taken = await em
      .createQueryBuilder(RoleEntity, 'r')
      .where('lower(r.name) = lower(:name)', { name: ADMINISTRATOR_ROLE_NAME })
      .getCount();
    role = em.create(RoleEntity, {
      name: taken > 0 ? ADMINISTRATOR_ROLE_FALLBACK_NAME : ADMINISTRATOR_ROLE_NAME,
      description: 'Every Management API permission (built-in)',
      builtin: 'ADMINISTRATOR',
    });
    await em.insert(RoleEntity, role);
  }
  await em.query(
    `INSERT INTO role_permissions (role_id, resource_server_id, scope)
     SELECT $1, $2, s FROM unnest($3::text[]) WITH ORDINALITY AS t(s, n) ORDER BY t.n
     ON CONFLICT DO NOTHING`,
    [role.id, managementApiId, ALL_MANAGEMENT_SCOPES],
  );
  return role.id;
}

/** What became of a setup link's use. */
export type AdminSetupOutcome = 'done' | 'invalid_link' | 'already_set_up';

/**
 * The people who administer the service: the administrator named by BOOTSTRAP_ADMIN_EMAIL and
 * BOOTSTRAP_ADMIN_PASSWORD, or, without them, the one-time link (its token kept as a digest, valid
 * ADMIN_SETUP_LIFETIME_SECONDS, replaced by the next start's) that sets the first one. Either way the
 * person holds the built-in Administrator role; a link is refused once anyone holds it.
 */
export class AdministratorService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ChangeFeed,
    private readonly audit: AuditLog,
    private readonly passwords: PasswordHasher,
    private readonly clock: Clock,
  ) {}

  /** Whether some user holds the Administrator role. */
  async hasAdministrator(em: EntityManager = this.dataSource.manager): Promise<boolean> {
    const rows: unknown[] = await em.query(
      `SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id AND r.builtin = 'ADMINISTRATOR' LIMIT 1`,
    );
    return rows.length > 0;
  }

  /**
   * Creates the user with this email, or resets their password, unblocks them and gives them the
   * Administrator role (BOOTSTRAP_ADMIN_*; the config checked email and password). Nothing is
   * written when all of that already holds, so restarts neither sign the administrator out nor fill
   * the audit log.
   */
  async ensureBootstrapAdministrator(input: { email: string; password: string }): Promise<void> {
    const email = input.email.trim();
    const existing = await this.findByEmail(this.dataSource.manager, email);
    if (
      existing &&
      !existing.blocked &&
      (await this.holdsAdministrator(existing.id)) &&
      (await this.passwords.verify(existing.passwordHash, input.password))
    ) {
      return;
    }
    const passwordHash = await this.passwords.hash(input.password);
    await this.dataSource.transaction(async (em) => {
      await lockBootstrap(em);
      await this.makeAdministrator(em, email, passwordHash, SYSTEM_ACTOR, 'administratorBootstrap');
    });
  }

  /**
   * A new link token when no user holds the Administrator role (the previous link stops working);
   * undefined, and no link left, once one does. Called once the service listens, like the first
   * management client.
   */
  async issueSetupToken(): Promise<string | undefined> {
    return this.dataSource.transaction(async (em) => {
      await lockBootstrap(em);
      if (await this.hasAdministrator(em)) {
        await em.delete(AdminSetupTokenEntity, { id: 1 });
        return undefined;
      }
      const token = randomToken(32);
      const now = this.clock.now();
      await em.query(
        `INSERT INTO admin_setup_tokens (id, token_hash, created_at, expires_at) VALUES (1, $1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at`,
        [sha256Hex(token), now, new Date(now.getTime() + ADMIN_SETUP_LIFETIME_SECONDS * 1000)],
      );
      return token;
    });
  }

  /** Whether the link's token may still be used: the current one, not expired, and no administrator yet. */
  async setupState(token: string): Promise<AdminSetupOutcome> {
    if (await this.hasAdministrator()) return 'already_set_up';
    return (await this.validSetupToken(this.dataSource.manager, token)) ? 'done' : 'invalid_link';
  }

  /**
   * Uses the link: creates the first administrator (or makes the user with this email one, with this
   * password). Bad email or password: a DomainError (fields `email`, `password`), the link still
   * usable. The token is spent in the transaction that creates the administrator.
   */
  async completeSetup(token: string, input: { email: string; password: string }, requestId: string | null): Promise<AdminSetupOutcome> {
    const state = await this.setupState(token);
    if (state !== 'done') return state;
    const email = (input.email ?? '').trim();
    const issues = new IssueList();
    checkEmail(issues, ['email'], email);
    checkPassword(issues, ['password'], input.password, email);
    issues.throwIfAny();
    // Slow on purpose: only once the link is known good, and before the transaction.
    const passwordHash = await this.passwords.hash(input.password);
    return this.dataSource.transaction(async (em) => {
      await lockBootstrap(em);
      if (await this.hasAdministrator(em)) return 'already_set_up';
      const spent = await em.delete(AdminSetupTokenEntity, { id: 1, tokenHash: sha256Hex(token) });
      if (!spent.affected) return 'invalid_link';
      await this.makeAdministrator(em, email, passwordHash, { ...SYSTEM_ACTOR, requestId }, 'administratorSetup');
      return 'done';
    });
  }

  private async validSetupToken(em: EntityManager, token: string): Promise<boolean> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
    const row = await em.findOneBy(AdminSetupTokenEntity, { id: 1, tokenHash: sha256Hex(token) });
    return row !== null && row.expiresAt.getTime() > this.clock.now().getTime();
  }

  /** `lock`: inside a transaction, held until it ends. */
  private findByEmail(em: EntityManager, email: string, lock = false): Promise<UserEntity | null> {
    const qb = em.createQueryBuilder(UserEntity, 'u').where('lower(u.email) = lower(:email)', { email });
    return (lock ? qb.setLock('pessimistic_write') : qb).getOne();
  }

  private async holdsAdministrator(userId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id AND r.builtin = 'ADMINISTRATOR' WHERE ur.user_id = $1`,
      [userId],
    );
    return rows.length > 0;
  }

  /** The user with this email (created if none) gets the password, is unblocked and holds the Administrator role. */
  private async makeAdministrator(em: EntityManager, email: string, passwordHash: string, actor: Actor, operation: string): Promise<void> {
    const existing = await this.findByEmail(em, email, true);
    let userId: string;
    if (existing) {
      userId = existing.id;
      await em.update(UserEntity, { id: userId }, { passwordHash, blocked: false });
      // Whoever knew the old password is signed out.
      await em.delete(UserSessionEntity, { userId });
    } else {
      const user = em.create(UserEntity, { email, name: '', emailVerified: false, blocked: false, appMetadata: {}, passwordHash });
      await em.insert(UserEntity, user as never);
      userId = user.id;
    }
    const role = await em.findOneByOrFail(RoleEntity, { builtin: 'ADMINISTRATOR' });
    await em.query(`INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [userId, role.id]);
    await this.audit.record(em, actor, {
      operation,
      targetType: 'User',
      targetId: userId,
      summary: { email, created: !existing, role: role.name },
    });
    await this.changes.publish(em, 'user', userId);
  }
}
