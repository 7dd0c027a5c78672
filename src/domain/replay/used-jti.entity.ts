import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A `jti` already accepted from one issuer of one-time JWTs, kept until they expire (see UsedJtiService). */
@Entity({ name: 'used_jtis' })
export class UsedJtiEntity {
  /** Who minted the JWT: `client:<client uuid>` (client assertions), `dpop:<key thumbprint>` (DPoP proofs). */
  @PrimaryColumn({ type: 'varchar', length: 100 })
  issuer!: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  jti!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
