import { hasControlCharacter } from '../../lib/control-characters';
import { invalidClient, invalidRequest } from '../errors';
import { verifyClientSecret } from './client-secret';
import type { ClientAuthMethod, PresentedCredentials } from './method';

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

function parseBasic(header: string): PresentedCredentials | null {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  let clientId: string;
  let secret: string;
  try {
    clientId = formDecode(decoded.slice(0, colon));
    secret = formDecode(decoded.slice(colon + 1));
  } catch {
    return null;
  }
  // As in a body (readParams): no client_id or secret holds a control character.
  return hasControlCharacter(clientId) || hasControlCharacter(secret) ? null : { clientId, secret };
}

/**
 * HTTP Basic with client_id and secret (RFC 6749 §2.3.1). It owns the Authorization header: any
 * other scheme there is refused. A client_id in the body must be the same; a secret or an assertion there too is two methods.
 */
export const clientSecretBasic: ClientAuthMethod = {
  name: 'client_secret_basic',
  registeredAs: 'CLIENT_SECRET_BASIC',
  confidential: true,
  usesAuthorizationHeader: true,
  read(authorization, params) {
    if (authorization === undefined) return undefined;
    if (!/^basic /i.test(authorization.trim())) {
      throw invalidRequest('Only HTTP Basic client authentication is accepted in the Authorization header');
    }
    if (params.has('client_secret') || params.has('client_assertion') || params.has('client_assertion_type')) {
      throw invalidRequest('Use one client authentication method, not two');
    }
    const basic = parseBasic(authorization);
    if (!basic) throw invalidClient(true);
    const bodyId = params.get('client_id');
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw invalidRequest('client_id in the body does not match the Authorization header');
    }
    return basic;
  },
  verify: verifyClientSecret,
};
