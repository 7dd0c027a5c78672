import { ResourceServerEntity } from '../domain/resource-server/resource-server.entity';
import { ScopeEntity } from '../domain/resource-server/scope.entity';
import { ClientEntity } from '../domain/client/client.entity';
import { ClientSecretEntity } from '../domain/client/client-secret.entity';
import { ClientGrantEntity } from '../domain/client-grant/client-grant.entity';
import { ResourceServerSecretEntity, SigningKeyEntity } from '../crypto/signing-key.entity';
import { RevokedTokenEntity, TokenWatermarkEntity } from '../domain/revocation/revocation.entities';
import { AuditEventEntity } from '../domain/audit/audit-event.entity';
import { UserEntity } from '../domain/user/user.entity';
import { UserGrantEntity } from '../domain/user-grant/user-grant.entity';
import {
  AuthorizationCodeEntity,
  LoginFailureEntity,
  UsedNonceEntity,
  UserSessionEntity,
} from '../domain/authorization/authorization.entities';
import { RefreshTokenEntity } from '../domain/refresh-token/refresh-token.entity';
import { RoleEntity, RolePermissionEntity, UserRoleEntity } from '../domain/role/role.entities';
import { TokenHookEntity } from '../domain/token-hook/token-hook.entity';

export const entities = [
  ResourceServerEntity,
  ScopeEntity,
  ClientEntity,
  ClientSecretEntity,
  ClientGrantEntity,
  SigningKeyEntity,
  ResourceServerSecretEntity,
  RevokedTokenEntity,
  TokenWatermarkEntity,
  AuditEventEntity,
  UserEntity,
  UserGrantEntity,
  AuthorizationCodeEntity,
  UserSessionEntity,
  LoginFailureEntity,
  UsedNonceEntity,
  RefreshTokenEntity,
  RoleEntity,
  RolePermissionEntity,
  UserRoleEntity,
  TokenHookEntity,
];
