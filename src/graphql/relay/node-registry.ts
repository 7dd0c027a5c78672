import type { ClassType } from 'type-graphql';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import type { EntityClass } from '../loaders';
import type { Node } from './node';
import { parseGlobalId } from './global-id';
import { ResourceServer } from '../resource-server/resource-server.type';
import { Client } from '../client/client.type';
import { ClientGrant } from '../client-grant/client-grant.type';
import { SigningKey } from '../signing-key/signing-key.type';
import { AuditEvent } from '../audit-event/audit-event.type';
import { User } from '../user/user.type';
import { UserGrant } from '../user-grant/user-grant.type';
import { RefreshToken } from '../refresh-token/refresh-token.type';
import { Role } from '../role/role.type';
import { ResourceServerEntity } from '../../domain/resource-server/resource-server.entity';
import { ClientEntity } from '../../domain/client/client.entity';
import { ClientGrantEntity } from '../../domain/client-grant/client-grant.entity';
import { SigningKeyEntity } from '../../crypto/signing-key.entity';
import { AuditEventEntity } from '../../domain/audit/audit-event.entity';
import { UserEntity } from '../../domain/user/user.entity';
import { UserGrantEntity } from '../../domain/user-grant/user-grant.entity';
import { RoleEntity } from '../../domain/role/role.entities';
import { RefreshTokenEntity } from '../../domain/refresh-token/refresh-token.entity';

/** What the schema needs to know of a type implementing Node. */
export interface NodeTypeEntry<E extends { id: string }, T extends Node> {
  /** The GraphQL object type; its name is the entry's key and the prefix of its global IDs. */
  type: ClassType<T>;
  /** The management scope that reads it: checked by `node`/`nodes` and by every field referring to it. */
  readScope: string;
  /** Its entity: objects load by database id through the request's batching loader of it. */
  entity: EntityClass<E>;
  /** The GraphQL object of an entity (the type's `from`). */
  toGraphQL(entity: E): T;
  /** Its name in messages: `client grant not found`. */
  label: string;
  /** The root query field that fetches one by `id` (`clientGrant(id: ID!)`), if it has one of that form. */
  query?: string;
}

const entry = <E extends { id: string }, T extends Node>(definition: NodeTypeEntry<E, T>) => definition;

/**
 * Every Node type, one entry each. The entry drives `node`/`nodes` and its `query`, the type names
 * global IDs may carry, NOT_FOUND messages of ID arguments, root connections (`nodeConnection`) and
 * the fields referring to it (`referenceFields`).
 */
export const NODE_TYPES = {
  ResourceServer: entry({
    type: ResourceServer,
    entity: ResourceServerEntity,
    readScope: S.readResourceServers,
    toGraphQL: ResourceServer.from,
    label: 'resource server',
  }),
  Client: entry({ type: Client, entity: ClientEntity, readScope: S.readClients, toGraphQL: Client.from, label: 'client' }),
  ClientGrant: entry({
    type: ClientGrant,
    entity: ClientGrantEntity,
    readScope: S.readClientGrants,
    toGraphQL: ClientGrant.from,
    label: 'client grant',
    query: 'clientGrant',
  }),
  SigningKey: entry({
    type: SigningKey,
    entity: SigningKeyEntity,
    readScope: S.readSigningKeys,
    toGraphQL: SigningKey.from,
    label: 'signing key',
  }),
  AuditEvent: entry({
    type: AuditEvent,
    entity: AuditEventEntity,
    readScope: S.readAuditEvents,
    toGraphQL: AuditEvent.from,
    label: 'audit event',
  }),
  User: entry({ type: User, entity: UserEntity, readScope: S.readUsers, toGraphQL: User.from, label: 'user', query: 'user' }),
  UserGrant: entry({
    type: UserGrant,
    entity: UserGrantEntity,
    readScope: S.readGrants,
    toGraphQL: UserGrant.from,
    label: 'user grant',
    query: 'userGrant',
  }),
  Role: entry({ type: Role, entity: RoleEntity, readScope: S.readRoles, toGraphQL: Role.from, label: 'role', query: 'role' }),
  RefreshToken: entry({
    type: RefreshToken,
    entity: RefreshTokenEntity,
    readScope: S.readRefreshTokens,
    toGraphQL: RefreshToken.from,
    label: 'refresh token',
  }),
};

export type NodeTypeName = keyof typeof NODE_TYPES;
/** The GraphQL object of a Node type. */
export type NodeOf<K extends NodeTypeName> = ReturnType<(typeof NODE_TYPES)[K]['toGraphQL']>;

export function isNodeTypeName(name: string): name is NodeTypeName {
  return Object.hasOwn(NODE_TYPES, name);
}

/** The entry of a Node type, with its entity type erased (for code that works on any of them). */
export function nodeType(type: NodeTypeName): NodeTypeEntry<{ id: string }, Node> {
  return NODE_TYPES[type] as unknown as NodeTypeEntry<{ id: string }, Node>;
}

/** The type and database id of a global ID of a registered Node type, or null. */
export function decodeNodeId(globalId: string): { type: NodeTypeName; id: string } | null {
  const parsed = parseGlobalId(globalId);
  return parsed && isNodeTypeName(parsed.type) ? { type: parsed.type, id: parsed.id } : null;
}
