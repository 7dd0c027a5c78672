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
