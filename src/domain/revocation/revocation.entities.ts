import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A revoked access token, named by its API and its jti (a jti is unique only among its API's
 * tokens), kept until the token would have expired anyway.
 */
@Entity({ name: 'revoked_tokens' })
export class RevokedTokenEntity {
  @PrimaryColumn({ name: 'resource_server_id', type: 'uuid' })
  resourceServerId!: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  jti!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', insert: false, update: false })
  revokedAt!: Date;
}

/** Tokens of `clientId` (the OAuth client_id) for the API issued before `notBefore` are refused. */
@Entity({ name: 'token_watermarks' })
export class TokenWatermarkEntity {
  @PrimaryColumn({ name: 'client_id', type: 'varchar', length: 128 })
  clientId!: string;

  @PrimaryColumn({ name: 'resource_server_id', type: 'uuid' })
  resourceServerId!: string;

  @Column({ name: 'not_before', type: 'timestamptz' })
  notBefore!: Date;
}
