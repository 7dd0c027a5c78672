import { ResourceServerEntity } from './resource-server/resource-server.entity';
import { ScopeEntity } from './resource-server/scope.entity';
import { ClientEntity } from './client/client.entity';
import { ClientSecretEntity } from './client/client-secret.entity';
import { UsedJtiEntity } from './replay/used-jti.entity';
import { ClientGrantEntity } from './client-grant/client-grant.entity';
import { ResourceServerSecretEntity, SigningKeyEntity } from '../crypto/signing-key.entity';
import { RevokedTokenEntity, TokenWatermarkEntity } from './revocation/revocation.entities';
import { AuditEventEntity } from './audit/audit-event.entity';
import { UserEntity } from './user/user.entity';
import { UserGrantEntity } from './user-grant/user-grant.entity';
import {
  AuthorizationCodeEntity,
  LoginFailureEntity,
  PushedAuthorizationRequestEntity,
  UsedNonceEntity,
  UsedTransactionEntity,
  UserSessionEntity,
} from './authorization/authorization.entities';
import { RefreshTokenEntity } from './refresh-token/refresh-token.entity';
import { RoleEntity, RolePermissionEntity, UserRoleEntity } from './role/role.entities';
import { TokenHookEntity } from './token-hook/token-hook.entity';
import { DeviceAuthorizationEntity } from './device-authorization/device-authorization.entity';
import { AdminSetupTokenEntity } from './management/admin-setup-token.entity';

/** Every TypeORM entity of the service: the data source is opened with this list (db/ knows no entity). */
export const entities = [
  ResourceServerEntity,
  ScopeEntity,
  ClientEntity,
  ClientSecretEntity,
  UsedJtiEntity,
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
  UsedTransactionEntity,
  PushedAuthorizationRequestEntity,
  RefreshTokenEntity,
  RoleEntity,
  RolePermissionEntity,
  UserRoleEntity,
  TokenHookEntity,
  DeviceAuthorizationEntity,
  AdminSetupTokenEntity,
];
