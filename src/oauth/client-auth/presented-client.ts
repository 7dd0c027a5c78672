import { readParams } from '../params';
import { CLIENT_AUTH_METHODS } from './registry';

/**
 * The client_id a request names by the method it uses, without authenticating it (no I/O): the
 * key of that client's failed authentications. Undefined when no method finds one or the request
 * is malformed.
 */
export function presentedClientId(authorization: string | undefined, body: unknown): string | undefined {
  try {
    const params = readParams(body);
    for (const method of CLIENT_AUTH_METHODS) {
      const presented = method.read(authorization, params);
      if (presented !== undefined) return presented.clientId;
    }
  } catch {
    // A malformed request names no client; it is answered (and counted) as the failure it is.
  }
  return undefined;
}
