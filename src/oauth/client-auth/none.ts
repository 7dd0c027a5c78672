import { CREDENTIAL_PARAMS, type ClientAuthMethod } from './method';

/**
 * A public client (SPA, native) names itself with client_id alone: it proves nothing, so only
 * clients registered with NONE pass, and only where a public client may act (PKCE-bound code
 * exchange, refresh, revoking its own tokens; never introspection).
 */
export const none: ClientAuthMethod = {
  name: 'none',
  registeredAs: 'NONE',
  confidential: false,
  usesAuthorizationHeader: false,
  read(authorization, params) {
    if (authorization !== undefined || CREDENTIAL_PARAMS.some((name) => params.has(name))) return undefined;
    const clientId = params.get('client_id');
    return clientId === undefined ? undefined : { clientId };
  },
  verify: async () => undefined,
};
