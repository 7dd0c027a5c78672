import { Field, ObjectType } from 'type-graphql';
import { DateTimeISOResolver } from 'graphql-scalars';
import { Node, nodeObject } from '../relay/node';
import { Connection } from '../relay/connection';
import type { RoleEntity } from '../../domain/role/role.entities';
import type { RolePermission } from '../../domain/role/role.service';

@ObjectType({ description: 'A scope of an API, held through a role.' })
export class Permission {
  resourceServerUuid!: string;

  @Field({ description: 'The identifier (token audience) of the API defining the scope.' })
  resourceServerIdentifier!: string;

  @Field({ description: 'The scope token, e.g. `read:appointments`.' })
  scope!: string;

  static from(permission: RolePermission): Permission {
    return Object.assign(new Permission(), {
      resourceServerUuid: permission.resourceServerId,
      resourceServerIdentifier: permission.resourceServerIdentifier,
      scope: permission.scope,
    });
  }
}

@ObjectType({
  implements: Node,
  description:
    "A named set of permissions (scopes of APIs) given to users. For APIs with `enforcePolicies`, a user's tokens carry only the requested scopes the user holds through roles.",
})
export class Role extends Node {
  @Field({ description: 'Unique whatever its case.' })
  name!: string;

  @Field({ description: 'Empty when not set.' })
  description!: string;

  @Field({
    description: 'Built-in role (Administrator: every management scope): cannot be deleted or renamed, its management scopes stay.',
  })
  isSystem!: boolean;

  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => DateTimeISOResolver, { description: 'Last change of the name, description or permissions.' })
  updatedAt!: Date;

  static from(entity: RoleEntity): Role {
    return nodeObject(new Role(), 'Role', entity, ['name', 'description', 'createdAt', 'updatedAt'], { isSystem: entity.builtin !== null });
  }
}

export const RoleConnection = Connection(Role, 'Role');
