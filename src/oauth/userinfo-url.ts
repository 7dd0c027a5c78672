import { endpointUrl } from '../lib/issuer-url';

/** The userinfo endpoint's path (OpenID Connect Core §5.3). */
export const USERINFO_PATH = '/userinfo';

/**
 * The userinfo endpoint's URL: also the identifier of the built-in userinfo API, the audience of
 * access tokens from requests that name no API, and the second audience of user tokens carrying `openid`.
 */
export function userinfoUrl(issuer: string): string {
  return endpointUrl(issuer, USERINFO_PATH);
}
