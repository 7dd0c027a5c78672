import { GRANT_TYPES } from '../../domain/client/client.rules';
import { authorizationCodeGrant } from './authorization-code';
import { clientCredentialsGrant } from './client-credentials';
import { deviceCodeGrant } from './device-code';
import type { GrantDefinition } from './grant';
import { refreshTokenGrant } from './refresh-token';
import { tokenExchangeGrant } from './token-exchange';

/** The token endpoint's grants, in the order discovery lists them. A new grant is a file and a line here. */
export const BUILT_IN_GRANTS: readonly GrantDefinition[] = [
  clientCredentialsGrant,
  authorizationCodeGrant,
  refreshTokenGrant,
  tokenExchangeGrant,
  deviceCodeGrant,
];

/**
 * The grant types /oauth/token accepts: it dispatches through `get`, labels metrics with `label`,
 * and discovery lists `grantTypes()`. One per app (App.grants); `register` adds one at run time
 * (an extension grant, or a test's).
 */
export class GrantRegistry {
  private readonly byType = new Map<string, GrantDefinition>();

  constructor(definitions: readonly GrantDefinition[] = BUILT_IN_GRANTS) {
    for (const definition of definitions) this.register(definition);
  }

  register(definition: GrantDefinition): void {
    const { grantType, requiredClientGrant } = definition;
    if (!/^[\x21-\x7e]{1,255}$/.test(grantType)) throw new Error(`Invalid grant_type value: ${JSON.stringify(grantType)}`);
    if (this.byType.has(grantType)) throw new Error(`The grant type ${grantType} is already registered`);
    if (!(GRANT_TYPES as readonly string[]).includes(requiredClientGrant)) {
      throw new Error(`The grant type ${grantType} requires an unknown client grant: ${requiredClientGrant}`);
    }
    this.byType.set(grantType, definition);
  }

  get(grantType: string): GrantDefinition | undefined {
    return this.byType.get(grantType);
  }

  /** Registration order. */
  grantTypes(): string[] {
    return [...this.byType.keys()];
  }

  /** A metric label for a grant_type value: a registered type, "none" or "other" (never the caller's text). */
  label(grantType: string | undefined): string {
    if (grantType === undefined) return 'none';
    return this.byType.has(grantType) ? grantType : 'other';
  }
}
