import type { DataSource } from 'typeorm';

/**
 * Is a verified token revoked? Its (API, jti) on the denylist, or issued before its (client, API)
 * watermark. One indexed lookup in the shared database, so a revocation made on any instance holds
 * on every instance at once.
 */
export class RevocationCheck {
  constructor(private readonly dataSource: DataSource) {}

  async isRevoked(token: { jti: string; clientId: string; serverId: string; issuedAt: number }): Promise<boolean> {
    // iat has whole seconds: a token from the watermark's own second counts as before it (strict).
    const [row] = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE resource_server_id = $3 AND jti = $1)
           OR EXISTS (SELECT 1 FROM token_watermarks
                      WHERE client_id = $2 AND resource_server_id = $3 AND not_before > to_timestamp($4)) AS revoked`,
      [token.jti, token.clientId, token.serverId, token.issuedAt],
    );
    return row.revoked === true;
  }
}
