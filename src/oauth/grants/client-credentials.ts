import type { TokenClient } from '../../domain/token-read-model';
import { resolveApi } from '../audience';
import { accessDenied, invalidScope } from '../errors';
import type { CachedApi } from '../registry';
import { parseScopeParam } from '../scope';
import type { IssuedToken } from '../tokens/pipeline';
import type { GrantDefinition, GrantServices } from './grant';

/** RFC 6749 §4.4: a machine token for the API named by audience (or resource). */
export const clientCredentialsGrant: GrantDefinition = {
  grantType: 'client_credentials',
  requiredClientGrant: 'CLIENT_CREDENTIALS',
  params: ['audience', 'resource', 'scope'],
  async handle({ client, params, requestId, services, dpopJkt }) {
    const api = await resolveApi(services.registry, params);
    const scope = params.get('scope');
    return issueClientCredentials(services, client, api, scope === undefined ? undefined : parseScopeParam(scope), requestId, dpopJkt);
  },
};

/**
 * The client-credentials token for a client allowed the grant and a resolved API (also the
 * `accessTokenIssue` mutation's). Without `requested` the token carries every granted scope; with
 * it, exactly the requested ones, all of which must be granted.
 */
export async function issueClientCredentials(
  services: Pick<GrantServices, 'registry' | 'pipeline'>,
  client: TokenClient,
  api: CachedApi,
  requested: string[] | undefined,
  requestId?: string,
  dpopJkt?: string,
): Promise<IssuedToken> {
  const grant = await services.registry.grant(client.id, api.server.id);
  if (!grant) throw accessDenied('This client is not authorized for this API');
  // Scopes removed from the API are also removed from grants; intersect anyway for safety.
  const granted = grant.scopes.filter((s) => api.scopes.has(s));
  let scopes = granted;
  if (requested !== undefined) {
    const notGranted = requested.filter((s) => !granted.includes(s));
    if (notGranted.length > 0) {
      throw invalidScope(`Scope not granted to this client: ${notGranted.slice(0, 5).join(' ').slice(0, 300)}`);
    }
    scopes = requested;
  }
  return services.pipeline.issueAccessToken({
    grantType: clientCredentialsGrant.grantType,
    client,
    api,
    user: null,
    scopes,
    requestId,
    dpopJkt,
  });
}
