import type { ClientEntity } from '../../domain/client/client.entity';

/**
 * Which redirect URIs an authorization request may name (RFC 9700 §2.1, RFC 8252 §7.3): a client's
 * registered callback, string for string. One exception, for native apps only: a loopback IP
 * redirect URI (`http://127.0.0.1…` or `http://[::1]…`) matches with any port, because a native
 * app listens on whatever port the operating system gives it at the time of the request.
 *
 * `localhost` gets no such exception and matches exactly: RFC 8252 §8.3 calls it NOT RECOMMENDED
 * (the name may resolve to something other than the loopback interface, and a firewall may treat
 * it differently), so a native app that wants any port registers the IP literal.
 */

/** `http://127.0.0.1` or `http://[::1]`, an optional port, then nothing, a path or a query. */
const LOOPBACK_IP_URI = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?([/?][^]*)?$/;

/** A loopback IP redirect URI without its port (a port outside 1–65535 or written with a leading 0 is no match); null for any other URI. */
export function withoutLoopbackPort(uri: string): string | null {
  const match = LOOPBACK_IP_URI.exec(uri);
  if (!match) return null;
  const port = match[2];
  if (port !== undefined && (port.startsWith('0') || Number(port) > 65_535)) return null;
  return `http://${match[1]}${match[3] ?? ''}`;
}

/** True when `redirectUri` is one of the client's callbacks (any port on a loopback IP for a native client). */
export function isRegisteredRedirectUri(client: Pick<ClientEntity, 'appType' | 'callbacks'>, redirectUri: string): boolean {
  if (client.callbacks.includes(redirectUri)) return true;
  if (client.appType !== 'NATIVE') return false;
  const requested = withoutLoopbackPort(redirectUri);
  return requested !== null && client.callbacks.some((callback) => withoutLoopbackPort(callback) === requested);
}
