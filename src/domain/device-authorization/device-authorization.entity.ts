import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A device authorization request (RFC 8628 §3.1), by the SHA-256 digest of its device code; its
 * user code is kept as a digest too. Pending until the user approves or denies it on the
 * verification page; the client's poll that finds it approved consumes it (single use).
 */
@Entity({ name: 'device_authorizations' })
export class DeviceAuthorizationEntity {
  @PrimaryColumn({ name: 'device_code_hash', type: 'varchar', length: 64 })
  deviceCodeHash!: string;

  /** SHA-256 of the normalized user code; unique among the stored requests. */
  @Column({ name: 'user_code_hash', type: 'varchar', length: 64 })
  userCodeHash!: string;

  @Column({ name: 'client_id', type: 'uuid' })
  clientUuid!: string;

  @Column({ name: 'resource_server_id', type: 'uuid' })
  resourceServerId!: string;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  /** Seconds the client must wait between polls; grows by 5 with each poll that came too soon (§3.5). */
  @Column({ name: 'interval_seconds', type: 'integer' })
  intervalSeconds!: number;

  @Column({ name: 'last_polled_at', type: 'timestamptz', nullable: true })
  lastPolledAt!: Date | null;

  /** The user who approved or denied it, the sign-in they did it from (ID token's sid, auth_time). */
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  sid!: string | null;

  @Column({ name: 'auth_time', type: 'timestamptz', nullable: true })
  authTime!: Date | null;

  /** 'APPROVED' or 'DENIED' once the user answered; null while pending. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  decision!: 'APPROVED' | 'DENIED' | null;

  /** Written from the service's clock. */
  @Column({ name: 'created_at', type: 'timestamptz', update: false })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  /** Set by the poll that received the tokens. */
  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt!: Date | null;
}
