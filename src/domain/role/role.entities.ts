import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** The built-in roles (ensured at start, see domain/management/administrator.ts). */
export type BuiltinRole = 'ADMINISTRATOR';

/** A named set of permissions (scopes of APIs) given to users. */
@Entity({ name: 'roles' })
export class RoleEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'bigint', insert: false, update: false })
  seq!: string;

  /** Unique case-insensitively. */
  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 500, default: '' })
  description!: string;

  /** Which built-in role this is (null for roles created through the API): not deletable, not renamed, its permissions kept. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  builtin!: BuiltinRole | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** One permission of a role: a scope defined on an API (removed with the scope or the API). */
@Entity({ name: 'role_permissions' })
export class RolePermissionEntity {
  @PrimaryColumn({ name: 'role_id', type: 'uuid' })
  roleId!: string;

  @PrimaryColumn({ name: 'resource_server_id', type: 'uuid' })
  resourceServerId!: string;

  @PrimaryColumn({ type: 'varchar', length: 280 })
  scope!: string;

  @Column({ type: 'bigint', insert: false, update: false })
  seq!: string;
}

@Entity({ name: 'user_roles' })
export class UserRoleEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @PrimaryColumn({ name: 'role_id', type: 'uuid' })
  roleId!: string;

  @Column({ type: 'bigint', insert: false, update: false })
  seq!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
