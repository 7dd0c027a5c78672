import { DomainError, Issue } from '../../domain/errors';
import { decodeId, NodeTypeName } from './global-id';

const NAME: Record<NodeTypeName, string> = {
  ResourceServer: 'resource server',
  Client: 'client',
  ClientGrant: 'client grant',
  SigningKey: 'signing key',
  AuditEvent: 'audit event',
  User: 'user',
  UserGrant: 'user grant',
  Role: 'role',
  RefreshToken: 'refresh token',
};

/**
 * Database ids of global ID arguments. Each argument that is not an ID of its expected type is a
 * NOT_FOUND user error at its field; all of them are reported together.
 */
export function requireIds<K extends string>(
  args: Record<K, { id: string; type: NodeTypeName; field: string[] }>,
): Record<K, string> {
  const issues: Issue[] = [];
  const ids = {} as Record<K, string>;
  for (const key of Object.keys(args) as K[]) {
    const { id, type, field } = args[key];
    const uuid = decodeId(id, type);
    if (uuid) ids[key] = uuid;
    else issues.push({ code: 'NOT_FOUND', field, message: `${NAME[type]} not found` });
  }
  if (issues.length > 0) throw new DomainError(issues);
  return ids;
}

/** The database id of a global ID argument (default field `id`), or a NOT_FOUND user error. */
export function requireId(id: string, type: NodeTypeName, field: string[] = ['id']): string {
  return requireIds({ id: { id, type, field } }).id;
}
