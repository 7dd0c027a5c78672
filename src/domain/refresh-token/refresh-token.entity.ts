import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An opaque refresh token, by its SHA-256 digest; a member of one family (one authorization). */
@Entity({ name: 'refresh_tokens' })
export class RefreshTokenEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'bigint', insert: false, update: false })
  seq!: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ name: 'family_id', type: 'uuid' })
  familyId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  /** The client's uuid (clients.id). */
  @Column({ name: 'client_id', type: 'uuid' })
  clientUuid!: string;

  @Column({ name: 'resource_server_id', type: 'uuid' })
  resourceServerId!: string;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  /** The sign-in the family comes from (`sid`, `auth_time` of the ID tokens of refreshes); null without one. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  sid!: string | null;

  @Column({ name: 'auth_time', type: 'timestamptz', nullable: true })
  authTime!: Date | null;

  /** The RFC 7638 thumbprint of the DPoP key the family is bound to (public clients, RFC 9449 §5); null: unbound. */
  @Column({ name: 'dpop_jkt', type: 'varchar', length: 43, nullable: true })
  dpopJkt!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** When the family began: the absolute lifetime counts from here. */
  @Column({ name: 'family_created_at', type: 'timestamptz' })
  familyCreatedAt!: Date;

  /** Absolute expiry (family start + the client's absolute lifetime). */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  /** Idle expiry (last use + the client's idle lifetime). */
  @Column({ name: 'idle_expires_at', type: 'timestamptz' })
  idleExpiresAt!: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  /** Set when a rotating exchange replaced this token. */
  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
