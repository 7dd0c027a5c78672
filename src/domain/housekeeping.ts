import type { DataSource } from 'typeorm';
import type { RevocationService } from './revocation/revocation.service';

export interface PurgeCounts {
  revokedTokens: number;
  watermarks: number;
  clientSecrets: number;
  signingSecrets: number;
  auditEvents: number;
}

/**
 * Periodic clean-up, so no table grows without bound: expired denylist entries and watermarks,
 * client and HS256 secrets past their grace period, audit events past retention. Every instance
 * runs it; the deletes are idempotent, so instances running together only repeat work.
 */
export class Housekeeping {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PurgeCounts> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly revocations: RevocationService,
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
    const deleted = async (sql: string, params: unknown[] = []) => {
      const [, affected] = (await this.dataSource.query(sql, params)) as [unknown, number];
      return affected;
    };
    const { revokedTokens, watermarks } = await this.revocations.purgeExpired();
    return {
      revokedTokens,
      watermarks,
      clientSecrets: await deleted(`DELETE FROM client_secrets WHERE expires_at <= now()`),
      signingSecrets: await deleted(`DELETE FROM resource_server_secrets WHERE expires_at <= now()`),
      auditEvents: await deleted(`DELETE FROM audit_events WHERE occurred_at < now() - make_interval(days => $1)`, [
        this.options.auditRetentionDays,
      ]),
    };
  }
}
