/**
 * Opaque global IDs: base64url("<Type>:<uuid>"). Clients must treat them as opaque; the type
 * prefix lets `node(id)` dispatch and stops an ID of one type being used as another.
 */
export const NODE_TYPES = ['ResourceServer', 'Client', 'ClientGrant', 'SigningKey', 'AuditEvent', 'User', 'UserGrant', 'Role', 'RefreshToken'] as const;
export type NodeTypeName = (typeof NODE_TYPES)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function toGlobalId(type: NodeTypeName, id: string): string {
  return Buffer.from(`${type}:${id}`, 'utf8').toString('base64url');
}

export function fromGlobalId(globalId: string): { type: NodeTypeName; id: string } | null {
  if (globalId.length > 100 || !/^[A-Za-z0-9_-]+$/.test(globalId)) return null;
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const separator = decoded.indexOf(':');
  const type = decoded.slice(0, separator) as NodeTypeName;
  const id = decoded.slice(separator + 1);
  if (separator < 0 || !NODE_TYPES.includes(type) || !UUID.test(id)) return null;
  return { type, id };
}

/** The database id behind a global ID of the expected type, or null when it is not one. */
export function decodeId(globalId: string, expected: NodeTypeName): string | null {
  const decoded = fromGlobalId(globalId);
  return decoded && decoded.type === expected ? decoded.id : null;
}
