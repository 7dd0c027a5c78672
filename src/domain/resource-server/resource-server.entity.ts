import { Column, CreateDateColumn, Entity, OneToMany, PrimaryGeneratedColumn, Relation, UpdateDateColumn } from 'typeorm';
import { ScopeEntity } from './scope.entity';
import { API_IDENTIFIER_MAX } from '../../lib/api-identifier';
import type { ProofOfPossession, SigningAlgorithm, TokenDialect } from './resource-server.rules';

/** The built-in APIs: the Management API, and the userinfo endpoint's (requests that name no API). */
export type BuiltinApi = 'MANAGEMENT' | 'USERINFO';

@Entity({ name: 'resource_servers' })
export class ResourceServerEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Insertion order; the keyset for pagination. */
  @Column({ type: 'bigint', insert: false, update: false, select: true })
  seq!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: API_IDENTIFIER_MAX, unique: true })
  identifier!: string;

  @Column({ name: 'signing_algorithm', type: 'varchar', length: 16 })
  signingAlgorithm!: SigningAlgorithm;

  @Column({ name: 'token_lifetime', type: 'integer' })
  tokenLifetime!: number;

  @Column({ name: 'token_lifetime_for_web', type: 'integer' })
  tokenLifetimeForWeb!: number;

  @Column({ name: 'allow_skipping_user_consent', type: 'boolean' })
  allowSkippingUserConsent!: boolean;

  @Column({ name: 'allow_offline_access', type: 'boolean' })
  allowOfflineAccess!: boolean;

  @Column({ name: 'enforce_policies', type: 'boolean' })
  enforcePolicies!: boolean;

  @Column({ name: 'token_dialect', type: 'varchar', length: 32 })
  tokenDialect!: TokenDialect;

  /** Whether its tokens are bound to a DPoP key (RFC 9449); see PROOF_OF_POSSESSION. */
  @Column({ name: 'proof_of_possession', type: 'varchar', length: 16 })
  proofOfPossession!: ProofOfPossession;

  @Column({ name: 'is_system', type: 'boolean', default: false })
  isSystem!: boolean;

  /** Which built-in API a system API is (null for APIs users create); see domain/management/bootstrap.ts. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  builtin!: BuiltinApi | null;

  @OneToMany(() => ScopeEntity, (scope) => scope.resourceServer)
  scopes?: Relation<ScopeEntity[]>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
