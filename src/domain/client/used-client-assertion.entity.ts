import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The `jti` of a client assertion already accepted, kept until the assertion expires (see UsedClientAssertionService). */
@Entity({ name: 'used_client_assertions' })
export class UsedClientAssertionEntity {
  @PrimaryColumn({ name: 'client_id', type: 'uuid' })
  clientUuid!: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  jti!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
