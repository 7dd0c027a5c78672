import type { FastifyInstance } from 'fastify';
import type { DeviceAuthorizationService } from '../../domain/device-authorization/device-authorization.service';
import { formatUserCode } from '../../domain/device-authorization/user-code';
import { endpointUrl } from '../../lib/issuer-url';
import type { DefaultAudiences } from '../audience';
import type { ClientAuthenticator } from '../client-auth/authenticate';
import type { ClientOrigins } from '../client-origins';
import { assertClientAllowed } from '../grants/grant';
import { deviceCodeGrant } from '../grants/device-code';
import { readParams } from '../params';
import type { OAuthRouteHooks } from '../rate-limits';
import type { Registry } from '../registry';
import { resolveRequestedAccess } from '../requested-access';
import { NO_STORE, oauthRouteOptions, sendOAuthError, toOAuthError } from '../token-endpoint';
import { DEVICE_VERIFICATION_PATH } from './verification-routes';

/** RFC 8628 §3.1: the device authorization endpoint (discovery's device_authorization_endpoint). */
export const DEVICE_AUTHORIZATION_PATH = '/oauth/device/code';

export interface DeviceAuthorizationEndpointDeps {
  issuer: string;
  registry: Registry;
  audiences: DefaultAudiences;
  clientAuth: ClientAuthenticator;
  origins: ClientOrigins;
  rateLimits: OAuthRouteHooks;
  deviceAuthorizations: Pick<DeviceAuthorizationService, 'create'>;
}

/**
 * POST /oauth/device/code (RFC 8628 §3.1–3.2): the client authenticates as at the token endpoint
 * (public native clients with their client_id alone), must be allowed DEVICE_CODE, and names its
 * API and scopes as an authorization request does (resolveRequestedAccess, the same rules). The
 * answer carries the device code, the user code (`XXXX-XXXX`) and the verification page's URLs.
 */
export function registerDeviceAuthorizationEndpoint(app: FastifyInstance, deps: DeviceAuthorizationEndpointDeps): void {
  const { origins } = deps;
  const authenticateClient = deps.clientAuth.at(DEVICE_AUTHORIZATION_PATH);
  const verificationUri = endpointUrl(deps.issuer, DEVICE_VERIFICATION_PATH);
  origins.registerPreflight(app, DEVICE_AUTHORIZATION_PATH, ['POST']);
  app.post(DEVICE_AUTHORIZATION_PATH, oauthRouteOptions(deps.rateLimits, origins), async (request, reply) => {
    try {
      const params = readParams(request.body);
      const { client } = await authenticateClient(request, params);
      origins.admit(request, reply, client);
      assertClientAllowed(client, deviceCodeGrant);
      // A device flow returns refresh tokens as the code flow does.
      const { api, scopes } = await resolveRequestedAccess(deps, params, client, true);
      const issued = await deps.deviceAuthorizations.create({ clientUuid: client.id, resourceServerId: api.server.id, scopes });
      const userCode = formatUserCode(issued.userCode);
      return reply.headers(NO_STORE).send({
        device_code: issued.deviceCode,
        user_code: userCode,
        verification_uri: verificationUri,
        verification_uri_complete: `${verificationUri}?${new URLSearchParams({ user_code: userCode }).toString()}`,
        expires_in: issued.expiresIn,
        interval: issued.interval,
      });
    } catch (error) {
      const oauthError = toOAuthError(error, request.log);
      await origins.exposeError(request, reply, oauthError);
      return sendOAuthError(reply, oauthError);
    }
  });
}
