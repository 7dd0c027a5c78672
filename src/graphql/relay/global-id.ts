import { isUuid, NIL_UUID } from '../../lib/uuid';
import type { NodeTypeName } from './node-registry';

/**
 * Opaque global IDs: base64url("<Type>:<uuid>"). Clients must treat them as opaque; the type
 * prefix lets `node(id)` dispatch and stops an ID of one type being used as another. Which type
 * names exist is the node registry's to say (`decodeNodeId`).
 */
export function toGlobalId(type: NodeTypeName, id: string): string {
  return Buffer.from(`${type}:${id}`, 'utf8').toString('base64url');
}

/** The type name and database id (lowercase) of a well-formed global ID of any type name, or null. */
export function parseGlobalId(globalId: string): { type: string; id: string } | null {
  if (globalId.length > 100 || !/^[A-Za-z0-9_-]+$/.test(globalId)) return null;
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const separator = decoded.indexOf(':');
  const id = decoded.slice(separator + 1);
  if (separator < 0 || !isUuid(id)) return null;
  return { type: decoded.slice(0, separator), id: id.toLowerCase() };
}

/** The database id behind a global ID of the expected type, or null when it is not one. */
export function decodeId(globalId: string, expected: NodeTypeName): string | null {
  const parsed = parseGlobalId(globalId);
  return parsed && parsed.type === expected ? parsed.id : null;
}

/**
 * A list filter's global ID as a database id: undefined when the filter is not given, and an id
 * no row has when it is not an ID of `type` (the filter then matches nothing).
 */
export function filterId(globalId: string | null | undefined, type: NodeTypeName): string | undefined {
  if (globalId == null) return undefined;
  return decodeId(globalId, type) ?? NIL_UUID;
}
