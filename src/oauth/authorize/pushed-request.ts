import { CLIENT_ID_MAX } from '../../domain/client/client.rules';
import type { PushedAuthorizationRequestService } from '../../domain/authorization/pushed-authorization-request.service';
import type { Registry } from '../registry';
import { PageError } from './request';

/** What a `request_uri` of a pushed request looks like (RFC 9126 §2.2): this prefix, then the random handle. */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';

export interface PushedRequestDeps {
  registry: Registry;
  pushedRequests: PushedAuthorizationRequestService;
}

const REQUEST_URI_REFUSED = 'The request_uri is not valid: it has expired or was already used. Go back to the application and start again.';

/**
 * The pushed parameters an authorization request names by `request_uri` (RFC 9126 §4), redeemed
 * (single use) for the client its `client_id` names; null when the query has no request_uri (an
 * ordinary request). Every other parameter of the query is ignored. Unknown, expired, reused or
 * another client's: an error page, never a redirect (no redirect URI of it can be trusted).
 */
export async function redeemPushedRequest(
  deps: PushedRequestDeps,
  params: [string, string][],
  repeated: ReadonlySet<string>,
): Promise<[string, string][] | null> {
  const requestUri = params.find(([name]) => name === 'request_uri')?.[1];
  if (requestUri === undefined) return null;
  if (repeated.has('request_uri') || repeated.has('client_id')) throw new PageError('Invalid request', 'A request parameter is repeated.');
  const clientId = params.find(([name]) => name === 'client_id')?.[1];
  if (clientId === undefined) throw new PageError('Invalid request', 'The client_id parameter is missing.');
  const cached = clientId.length <= CLIENT_ID_MAX ? await deps.registry.client(clientId) : null;
  if (!cached) throw new PageError('Unknown application', 'No application has this client_id.');
  const pushed = requestUri.startsWith(REQUEST_URI_PREFIX)
    ? await deps.pushedRequests.redeem(cached.client.id, requestUri.slice(REQUEST_URI_PREFIX.length))
    : null;
  if (!pushed) throw new PageError('Invalid request_uri', REQUEST_URI_REFUSED);
  return pushed;
}
