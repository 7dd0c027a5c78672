import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Relation,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import { ClientEntity } from '../client/client.entity';
import { ResourceServerEntity } from '../resource-server/resource-server.entity';

/** One client authorized for one resource server with a subset of its scopes. */
@Entity({ name: 'client_grants' })
@Unique('uq_client_grants_client_resource_server', ['clientUuid', 'resourceServerId'])
export class ClientGrantEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'bigint', insert: false, update: false })
  seq!: string;

  @Column({ name: 'client_id', type: 'uuid' })
  clientUuid!: string;

  @ManyToOne(() => ClientEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'client_id' })
  client?: Relation<ClientEntity>;

  @Column({ name: 'resource_server_id', type: 'uuid' })
  resourceServerId!: string;

  @ManyToOne(() => ResourceServerEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'resource_server_id' })
  resourceServer?: Relation<ResourceServerEntity>;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
