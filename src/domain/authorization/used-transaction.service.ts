import type { DataSource } from 'typeorm';

/**
 * Single-use forms: a form's transaction id is claimed when the form is submitted, and a second
 * submission (a replay of the same body and cookies, or a double click) finds it claimed. Kept in
 * the shared database so that every instance sees every claim; rows are purged by housekeeping
 * once the forms have expired (an expired form is refused before any claim).
 */
export class UsedTransactionService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Claims the transaction `id` (a form valid until `expiresAt`); false when it was claimed
   * before. One atomic insert: of concurrent claims of one id, exactly one wins.
   */
  async claim(id: string, expiresAt: Date): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO used_transactions (id, expires_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING 1`,
      [id, expiresAt],
    );
    return rows.length > 0;
  }
}
