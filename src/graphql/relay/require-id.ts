import { DomainError, Issue } from '../../domain/errors';
import { decodeId } from './global-id';
import { NODE_TYPES, NodeTypeName } from './node-registry';

/**
 * Database ids of global ID arguments. Each argument that is not an ID of its expected type is a
 * NOT_FOUND user error at its field; all of them are reported together.
 */
export function requireIds<K extends string>(args: Record<K, { id: string; type: NodeTypeName; field: string[] }>): Record<K, string> {
  const issues: Issue[] = [];
  const ids = {} as Record<K, string>;
  for (const key of Object.keys(args) as K[]) {
    const { id, type, field } = args[key];
    const uuid = decodeId(id, type);
    if (uuid) ids[key] = uuid;
    else issues.push({ code: 'NOT_FOUND', field, message: `${NODE_TYPES[type].label} not found` });
  }
  if (issues.length > 0) throw new DomainError(issues);
  return ids;
}

/** The database id of a global ID argument (default field `id`), or a NOT_FOUND user error. */
export function requireId(id: string, type: NodeTypeName, field: string[] = ['id']): string {
  return requireIds({ id: { id, type, field } }).id;
}
