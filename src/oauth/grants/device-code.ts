import { familyIdForCode } from '../../domain/refresh-token/refresh-token.service';
import { authenticationOf } from '../../domain/sign-in/authentication';
import { invalidGrant, invalidRequest, OAuthError } from '../errors';
import { accessTokenScopes } from '../standard-scopes';
import type { GrantDefinition, GrantRequest, GrantResponse } from './grant';
import { grantsRefreshToken } from './offline-access';
import { refreshTokenBinding } from './refresh-token';

/** RFC 8628 §3.4. */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * The token endpoint's answers while a device request is not approved (RFC 8628 §3.5), all HTTP
 * 400; `authorization_pending` is every device's answer while its user reads the code, not a
 * failure for the rate limits (a polling too fast, `slow_down`, is).
 */
const pollError = (error: string, description: string) => new OAuthError(error, description, 400, {}, error === 'authorization_pending');

/**
 * RFC 8628 §3.4–3.5: the device polls with its device code. Each poll is judged and recorded in one
 * statement (DeviceAuthorizationService.poll): `slow_down` when it came sooner than the interval
 * (which grows by 5 s each time), `authorization_pending` until the user answers, `access_denied`
 * once they denied, `expired_token` after 10 minutes; the first poll after an approval consumes
 * the request and gets the tokens, every later one `invalid_grant`. The tokens follow the code
 * grant's rules: the granted scopes the API still defines, an ID token with `openid`, a refresh
 * token with `offline_access` (grantsRefreshToken).
 */
export const deviceCodeGrant: GrantDefinition = {
  grantType: DEVICE_CODE_GRANT_TYPE,
  requiredClientGrant: 'DEVICE_CODE',
  params: ['device_code'],
  handle: exchangeDeviceCode,
};

async function exchangeDeviceCode(request: GrantRequest): Promise<GrantResponse> {
  const { client, params, services: deps } = request;
  const deviceCode = params.get('device_code');
  if (deviceCode === undefined) throw invalidRequest('device_code is required');
  const poll = await deps.deviceAuthorizations.poll(deviceCode, client.id);
  switch (poll.status) {
    // Another client's device code is refused like an unknown one.
    case 'invalid':
      throw invalidGrant('The device code is invalid');
    case 'used':
      throw invalidGrant('The device code has already been used');
    case 'expired':
      throw pollError('expired_token', 'The device code has expired; start again');
    case 'slow_down':
      throw pollError('slow_down', 'Polling too often: wait 5 seconds longer between requests');
    case 'denied':
      throw pollError('access_denied', 'The user denied the request');
    case 'pending':
      throw pollError('authorization_pending', 'The user has not answered yet');
  }
  const granted = poll.authorization;
  const user = granted.userId === null ? null : await deps.users.findById(granted.userId);
  if (!user || user.blocked) throw invalidGrant('The user of this device code can no longer sign in');
  const api = await deps.registry.apiById(granted.resourceServerId);
  if (!api) throw invalidGrant('The API of this device code no longer exists');

  const authentication = authenticationOf(granted);
  const { token, idToken } = await deps.pipeline.issueUserTokens(
    {
      grantType: DEVICE_CODE_GRANT_TYPE,
      client,
      api,
      user,
      scopes: accessTokenScopes(granted.scopes, api.scopes),
      requestId: request.requestId,
      dpopJkt: request.dpopJkt,
    },
    { authentication },
  );
  const refreshToken = grantsRefreshToken(granted.scopes, api, client)
    ? await deps.refreshTokens.issue({
        client,
        userId: user.id,
        resourceServerId: api.server.id,
        scopes: token.scope.split(' ').filter((s) => s !== ''),
        // Named after the device code, as a code's family is after the code.
        familyId: familyIdForCode(granted.deviceCodeHash),
        authentication,
        dpopJkt: refreshTokenBinding(client, token),
      })
    : undefined;
  return { ...token, refreshToken, idToken };
}
