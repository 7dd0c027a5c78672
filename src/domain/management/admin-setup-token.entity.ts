import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The one pending link to set the first administrator's password: the digest of its token, never the token. */
@Entity({ name: 'admin_setup_tokens' })
export class AdminSetupTokenEntity {
  /** Always 1: a new link replaces the previous one. */
  @PrimaryColumn({ type: 'smallint' })
  id!: number;

  /** SHA-256 (hex) of the token: a 256-bit random token needs no slow hash. */
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
