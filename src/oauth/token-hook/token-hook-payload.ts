import type { ClientEntity } from '../../domain/client/client.entity';
import type { UserEntity } from '../../domain/user/user.entity';
import type { ResourceServerEntity } from '../../domain/resource-server/resource-server.entity';

/** What a hook is told about one issuance (a TokenContext is one; the test mutation builds samples). */
export interface TokenHookSubject {
  grantType: string;
  api: { server: Pick<ResourceServerEntity, 'identifier'> };
  client: Pick<ClientEntity, 'clientId' | 'name' | 'metadata'>;
  user: Pick<UserEntity, 'id' | 'email' | 'appMetadata'> | null;
  scopes: string[];
}

/** The JSON body POSTed to a hook. The signature covers it whole, `timestamp` included. */
export interface TokenHookPayload {
  /** Unix seconds, equal to the X-Hook-Timestamp header: a receiver refuses stale calls (replays). */
  timestamp: number;
  grantType: string;
  api: { identifier: string };
  client: { clientId: string; name: string; metadata: Record<string, string> };
  user: { sub: string; email: string; appMetadata: Record<string, unknown> } | null;
  scopes: string[];
}

/**
 * Client metadata and user app metadata go to the hook (like Auth0 puts them in an Action's
 * event); only what the hook answers becomes claims.
 */
export function tokenHookPayload(subject: TokenHookSubject, timestamp: number): TokenHookPayload {
  const { client, user } = subject;
  return {
    timestamp,
    grantType: subject.grantType,
    api: { identifier: subject.api.server.identifier },
    client: { clientId: client.clientId, name: client.name, metadata: client.metadata ?? {} },
    user: user ? { sub: user.id, email: user.email, appMetadata: user.appMetadata ?? {} } : null,
    scopes: subject.scopes,
  };
}
