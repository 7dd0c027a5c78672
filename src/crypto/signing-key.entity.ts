import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const KEY_STATES = ['NEXT', 'CURRENT', 'PREVIOUS', 'REVOKED'] as const;
export type KeyState = (typeof KEY_STATES)[number];

/** An asymmetric signing key: one algorithm, a stable kid (RFC 7638 thumbprint), private part sealed. */
@Entity({ name: 'signing_keys' })
export class SigningKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'bigint', insert: false, update: false })
  seq!: string;

  @Column({ type: 'varchar', length: 100, unique: true })
  kid!: string;

  @Column({ type: 'varchar', length: 16 })
  algorithm!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: KeyState;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk!: Record<string, string>;

  /** AES-256-GCM sealed private JWK (associated data: the kid). */
  @Column({ name: 'private_key_sealed', type: 'text' })
  privateKeySealed!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true })
  activatedAt!: Date | null;

  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}

/** An HS256 API's signing secret, sealed (associated data: the kid). */
@Entity({ name: 'resource_server_secrets' })
export class ResourceServerSecretEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'resource_server_id', type: 'uuid' })
  resourceServerId!: string;

  @Column({ type: 'varchar', length: 100, unique: true })
  kid!: string;

  @Column({ name: 'secret_sealed', type: 'text' })
  secretSealed!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Null: the active secret. */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;
}
