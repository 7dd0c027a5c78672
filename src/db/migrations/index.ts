import { CoreSchema1763856000000 } from './1763856000000-CoreSchema';
import { TokenService1763856000001 } from './1763856000001-TokenService';
import { Lifecycle1763856000002 } from './1763856000002-Lifecycle';
import { UserConsent1763856000003 } from './1763856000003-UserConsent';
import { RefreshTokensRbac1763856000004 } from './1763856000004-RefreshTokensRbac';
import { CustomClaims1763856000005 } from './1763856000005-CustomClaims';
import { OidcClients1763856000006 } from './1763856000006-OidcClients';
import { OidcSessions1763856000007 } from './1763856000007-OidcSessions';
import { ProtocolHardening1763856000008 } from './1763856000008-ProtocolHardening';
import { ClientKeys1763856000009 } from './1763856000009-ClientKeys';
import { PushedAuthorizationRequests1763856000010 } from './1763856000010-PushedAuthorizationRequests';
import { Dpop1763856000012 } from './1763856000012-Dpop';
import { DeviceAuthorization1763856000013 } from './1763856000013-DeviceAuthorization';
import { Console1763856000014 } from './1763856000014-Console';

/** Every migration, in order. Append; never edit one that has shipped. */
export const migrations = [
  CoreSchema1763856000000,
  TokenService1763856000001,
  Lifecycle1763856000002,
  UserConsent1763856000003,
  RefreshTokensRbac1763856000004,
  CustomClaims1763856000005,
  OidcClients1763856000006,
  OidcSessions1763856000007,
  ProtocolHardening1763856000008,
  ClientKeys1763856000009,
  PushedAuthorizationRequests1763856000010,
  Dpop1763856000012,
  DeviceAuthorization1763856000013,
  Console1763856000014,
];
