import type { ClientEntity } from '../domain/client/client.entity';
import type { ResourceServerEntity } from '../domain/resource-server/resource-server.entity';
import { invalidTarget } from './errors';
import { isConsole } from '../domain/management/console-client';

/**
 * Who may hold a Management API token issued to a person: the built-in console only. Every other
 * client (third-party or not) reaches the Management API as a machine, through its client grant.
 * One rule, asked where a request on a user's behalf names its API (/authorize, device
 * authorization) and again by the token pipeline for every user token, whatever the grant (code,
 * refresh, token exchange), and by /graphql of the tokens it receives.
 */
export function assertUserTokenAllowed(api: Pick<ResourceServerEntity, 'builtin'>, client: Pick<ClientEntity, 'builtin'>): void {
  if (api.builtin === 'MANAGEMENT' && !isConsole(client)) {
    throw invalidTarget('This API does not accept tokens issued to users of this application');
  }
}
