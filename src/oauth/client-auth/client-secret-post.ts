import { invalidRequest } from '../errors';
import { verifyClientSecret } from './client-secret';
import type { ClientAuthMethod } from './method';

/** client_id and client_secret in the request body (RFC 6749 §2.3.1). */
export const clientSecretPost: ClientAuthMethod = {
  name: 'client_secret_post',
  registeredAs: 'CLIENT_SECRET_POST',
  confidential: true,
  usesAuthorizationHeader: false,
  read(_authorization, params) {
    const secret = params.get('client_secret');
    if (secret === undefined) return undefined;
    if (params.has('client_assertion')) throw invalidRequest('Use one client authentication method, not two');
    const clientId = params.get('client_id');
    if (clientId === undefined) throw invalidRequest('client_secret requires client_id');
    return { clientId, secret };
  },
  verify: verifyClientSecret,
};
