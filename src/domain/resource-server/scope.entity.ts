import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation } from 'typeorm';
import { ResourceServerEntity } from './resource-server.entity';

@Entity({ name: 'scopes' })
export class ScopeEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'bigint', insert: false, update: false })
  seq!: string;

  @Column({ name: 'resource_server_id', type: 'uuid' })
  resourceServerId!: string;

  @ManyToOne(() => ResourceServerEntity, (server) => server.scopes, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'resource_server_id' })
  resourceServer?: Relation<ResourceServerEntity>;

  @Column({ type: 'varchar', length: 280 })
  value!: string;

  @Column({ type: 'varchar', length: 500, default: '' })
  description!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
