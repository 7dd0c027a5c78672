import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { TokenHookFailurePolicy } from './token-hook.rules';

/** An API's token hook (at most one per API; deleted with it). */
@Entity({ name: 'token_hooks' })
export class TokenHookEntity {
  @PrimaryColumn({ name: 'resource_server_id', type: 'uuid' })
  resourceServerId!: string;

  @Column({ type: 'varchar', length: 2000 })
  url!: string;

  @Column({ name: 'timeout_ms', type: 'integer' })
  timeoutMs!: number;

  @Column({ name: 'failure_policy', type: 'varchar', length: 32 })
  failurePolicy!: TokenHookFailurePolicy;

  /** The HMAC secret, sealed with the SecretBox (associated data: see token-hook.service.ts). Never returned. */
  @Column({ name: 'secret_sealed', type: 'text' })
  secretSealed!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
