import { invalidRequest, invalidTarget } from './errors';
import type { CachedApi, Registry } from './registry';
import { isAbsoluteUri } from '../lib/uri';
import { API_IDENTIFIER_MAX } from '../lib/api-identifier';

/**
 * The API a token is for: `audience` (Auth0) or `resource` (RFC 8707), which must agree when both
 * are given. `resource` must be an absolute URI without fragment.
 */
export async function resolveApi(registry: Registry, params: Map<string, string>): Promise<CachedApi> {
  const audience = params.get('audience');
  const resource = params.get('resource');
  if (audience === undefined && resource === undefined) {
    throw invalidRequest('audience (or resource) is required: name the API the token is for');
  }
  if (audience !== undefined && resource !== undefined && audience !== resource) {
    throw invalidTarget('audience and resource name different APIs');
  }
  if (resource !== undefined && !isAbsoluteUri(resource)) {
    throw invalidTarget('resource must be an absolute URI without a fragment');
  }
  const identifier = (audience ?? resource)!;
  const api = identifier.length <= API_IDENTIFIER_MAX ? await registry.api(identifier) : null;
  if (!api) throw invalidTarget('No API has this identifier');
  return api;
}

/** Where an authorization request that names no API goes. */
export interface DefaultAudiences {
  /** DEFAULT_AUDIENCE: the API of requests that name none (Auth0's tenant "Default Audience"). */
  defaultAudience?: string;
  /** The userinfo API's identifier: the audience of requests that name no API and ask only standard scopes. */
  userinfo: string;
}

/**
 * The API of an authorization request: the one it names (`audience`/`resource`, as resolveApi),
 * else the default audience, else, when it asks only standard scopes (`openid profile email
 * offline_access`: a sign-in), the userinfo API. Otherwise the request must name its API.
 */
export async function resolveAuthorizationApi(
  registry: Registry,
  params: Map<string, string>,
  audiences: DefaultAudiences,
  onlyStandardScopes: boolean,
): Promise<CachedApi> {
  if (params.has('audience') || params.has('resource')) return resolveApi(registry, params);
  if (audiences.defaultAudience !== undefined) {
    const api = await registry.api(audiences.defaultAudience);
    if (!api) throw invalidTarget('The default API (DEFAULT_AUDIENCE) does not exist');
    return api;
  }
  if (!onlyStandardScopes) throw invalidRequest('audience (or resource) is required: name the API the token is for');
  const api = await registry.api(audiences.userinfo);
  if (!api) throw new Error('the userinfo API is missing (bootstrap creates it)');
  return api;
}
