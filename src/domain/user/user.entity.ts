import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A person who signs in at /authorize. The password is kept only as an Argon2id hash. */
@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'bigint', insert: false, update: false })
  seq!: string;

  /** As entered; unique case-insensitively (index on lower(email)). */
  @Column({ type: 'varchar', length: 320 })
  email!: string;

  @Column({ name: 'email_verified', type: 'boolean', default: false })
  emailVerified!: boolean;

  @Column({ type: 'varchar', length: 200, default: '' })
  name!: string;

  /** Argon2id PHC string; null: no password set (cannot sign in). */
  @Column({ name: 'password_hash', type: 'text', nullable: true })
  passwordHash!: string | null;

  @Column({ type: 'boolean', default: false })
  blocked!: boolean;

  /**
   * A JSON object set through the management API, never by the user (see app-metadata.ts): sent to
   * token hooks, never put in tokens by itself.
   */
  @Column({ name: 'app_metadata', type: 'jsonb', default: () => "'{}'::jsonb" })
  appMetadata!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true })
  lastLoginAt!: Date | null;
}
