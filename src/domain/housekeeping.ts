import type { DataSource } from 'typeorm';
import type { RevocationService } from './revocation/revocation.service';
import type { Clock } from '../lib/clock';

export interface PurgeCounts {
  revokedTokens: number;
  watermarks: number;
  clientSecrets: number;
  signingSecrets: number;
  auditEvents: number;
  authorizationCodes: number;
  userSessions: number;
  usedTransactions: number;
  usedNonces: number;
  usedJtis: number;
  pushedAuthorizationRequests: number;
  loginFailures: number;
  refreshTokens: number;
  deviceAuthorizations: number;
}

/**
 * Periodic clean-up, so no table grows without bound: expired denylist entries and watermarks,
 * client and HS256 secrets past their grace period, audit events past retention, authorization codes
 * (an hour after they and the token they issued have expired), user sessions, used consent forms,
 * implicit nonces, client assertions and pushed authorization requests past expiry, login-failure
 * counters a day old and unlocked, refresh tokens past their absolute expiry or revoked more than a
 * day ago, device authorization requests past expiry. Every instance runs it; the deletes are
 * idempotent, so instances running together only repeat work.
 */
export class Housekeeping {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PurgeCounts> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly revocations: RevocationService,
    private readonly clock: Clock,
    private readonly options: { auditRetentionDays: number; onError: (error: unknown) => void },
  ) {}

  start(intervalSeconds: number): void {
    this.timer = setInterval(() => {
      this.runOnce().catch(this.options.onError);
    }, intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One purge pass (at most one at a time). */
  runOnce(): Promise<PurgeCounts> {
    this.running ??= this.purge().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async purge(): Promise<PurgeCounts> {
    // Every expiry is judged at the service clock's time ($1), like the decisions that read it: the
    // deletes are idempotent, so nothing here needs the database's own now().
    const now = this.clock.now();
    const deleted = async (sql: string, params: unknown[] = []) => {
      const [, affected] = (await this.dataSource.query(sql, [now, ...params])) as [unknown, number];
      return affected;
    };
    const { revokedTokens, watermarks } = await this.revocations.purgeExpired();
    return {
      revokedTokens,
      watermarks,
      clientSecrets: await deleted(`DELETE FROM client_secrets WHERE expires_at <= $1`),
      signingSecrets: await deleted(`DELETE FROM resource_server_secrets WHERE expires_at <= $1`),
      auditEvents: await deleted(`DELETE FROM audit_events WHERE occurred_at < $1::timestamptz - make_interval(days => $2)`, [
        this.options.auditRetentionDays,
      ]),
      // Kept while the token their exchange issued lives (a reuse of the code must still revoke it), plus an hour.
      authorizationCodes: await deleted(
        `DELETE FROM authorization_codes
          WHERE GREATEST(expires_at, COALESCE(issued_expires_at, expires_at)) < $1::timestamptz - interval '1 hour'`,
      ),
      userSessions: await deleted(`DELETE FROM user_sessions WHERE expires_at <= $1 OR idle_expires_at <= $1`),
      usedTransactions: await deleted(`DELETE FROM used_transactions WHERE expires_at <= $1`),
      usedNonces: await deleted(`DELETE FROM used_nonces WHERE expires_at <= $1`),
      usedJtis: await deleted(`DELETE FROM used_jtis WHERE expires_at <= $1`),
      pushedAuthorizationRequests: await deleted(`DELETE FROM pushed_authorization_requests WHERE expires_at <= $1`),
      // Throttling rows whose lock is over and whose window started more than a day ago.
      loginFailures: await deleted(
        `DELETE FROM login_failures WHERE window_started_at < $1::timestamptz - interval '1 day' AND (locked_until IS NULL OR locked_until <= $1)`,
      ),
      // Whole families: their members share the absolute expiry and are revoked together.
      refreshTokens: await deleted(`DELETE FROM refresh_tokens WHERE expires_at <= $1 OR revoked_at < $1::timestamptz - interval '1 day'`),
      // Device requests once their codes have expired, consumed or not (the tokens they gave live on their own).
      deviceAuthorizations: await deleted(`DELETE FROM device_authorizations WHERE expires_at <= $1`),
    };
  }
}
