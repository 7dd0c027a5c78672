import { secretMatchesAnyHash, sha256Hex } from '../crypto/random';
import { invalidClient, invalidRequest } from './errors';
import type { CachedClient, Registry } from './registry';

export type AuthMethodUsed = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface AuthenticatedClient extends CachedClient {
  method: AuthMethodUsed;
}

const REGISTERED_METHOD: Record<string, AuthMethodUsed> = {
  CLIENT_SECRET_BASIC: 'client_secret_basic',
  CLIENT_SECRET_POST: 'client_secret_post',
  NONE: 'none',
};

/** Hash compared against when the client is unknown, so both failures cost the same. */
const DUMMY_HASH = sha256Hex('no such client');

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

function parseBasic(header: string): { clientId: string; secret: string } | null {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}

/**
 * Authenticates the client of a token request with the one method it is registered for.
 * Unknown client, wrong secret and wrong method all give the same `invalid_client`.
 */
export async function authenticateClient(
  registry: Registry,
  authorization: string | undefined,
  params: Map<string, string>,
): Promise<AuthenticatedClient> {
  const bodyId = params.get('client_id');
  const bodySecret = params.get('client_secret');
  let clientId: string | undefined;
  let secret: string | undefined;
  let method: AuthMethodUsed;
  const usedBasic = authorization !== undefined && /^basic /i.test(authorization.trim());

  if (authorization !== undefined && !usedBasic) {
    throw invalidRequest('Only HTTP Basic client authentication is accepted in the Authorization header');
  }
  if (usedBasic) {
    if (bodySecret !== undefined) throw invalidRequest('Use one client authentication method, not two');
    const basic = parseBasic(authorization!);
    if (!basic) throw invalidClient(true);
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw invalidRequest('client_id in the body does not match the Authorization header');
    }
    ({ clientId, secret } = basic);
    method = 'client_secret_basic';
  } else if (bodySecret !== undefined) {
    if (bodyId === undefined) throw invalidRequest('client_secret requires client_id');
    clientId = bodyId;
    secret = bodySecret;
    method = 'client_secret_post';
  } else if (bodyId !== undefined) {
    clientId = bodyId;
    method = 'none';
  } else {
    throw invalidClient(false);
  }

  const cached = clientId.length <= 128 ? await registry.client(clientId) : null;
  if (secret !== undefined) {
    const now = Date.now();
    const hashes = cached?.secrets.filter((s) => s.expiresAt === null || s.expiresAt.getTime() > now).map((s) => s.hash) ?? [];
    const matched = secretMatchesAnyHash(secret, hashes.length > 0 ? hashes : [DUMMY_HASH]) && hashes.length > 0;
    if (!cached || !matched || REGISTERED_METHOD[cached.client.tokenEndpointAuthMethod] !== method) {
      throw invalidClient(usedBasic);
    }
  } else if (!cached || cached.client.tokenEndpointAuthMethod !== 'NONE') {
    throw invalidClient(false);
  }
  return { ...cached, method };
}
