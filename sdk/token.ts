/**
 * Client-credentials tokens from this service's `POST /oauth/token` (RFC 6749 §4.4): for the
 * Management API (audience `<issuer>/api/v2/`) or for any API defined on it.
 */

export interface ClientCredentialsTokenParams {
  /** The service's base URL (its issuer), e.g. `http://localhost:4000`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The API's identifier (the token's `aud`). */
  audience: string;
  /** Scopes to ask for (space-separated or a list); default: everything the client grant allows. */
  scope?: string | readonly string[];
  /** As the client is registered: HTTP Basic (default) or `client_id`/`client_secret` in the body. */
  authMethod?: 'client_secret_basic' | 'client_secret_post';
  fetch?: typeof fetch;
}

export interface ClientCredentialsToken {
  accessToken: string;
  tokenType: string;
  /** Seconds until the token expires. */
  expiresIn: number;
  /** The granted scopes, space-separated. */
  scope: string;
}

/** The token endpoint refused the request: `error` is the RFC 6749 code (`invalid_client`, `access_denied`, …). */
export class TokenRequestError extends Error {
  override readonly name = 'TokenRequestError';
  constructor(
    readonly status: number,
    readonly error: string,
    readonly errorDescription?: string,
  ) {
    super(`token endpoint: HTTP ${status} ${error}${errorDescription ? `: ${errorDescription}` : ''}`);
  }
}

/** RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding. */
const basic = (id: string, secret: string) => `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;

export async function getClientCredentialsToken(params: ClientCredentialsTokenParams): Promise<ClientCredentialsToken> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', audience: params.audience });
  if (params.scope !== undefined) form.set('scope', typeof params.scope === 'string' ? params.scope : params.scope.join(' '));
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (params.authMethod === 'client_secret_post') {
    form.set('client_id', params.clientId);
    form.set('client_secret', params.clientSecret);
  } else {
    headers.authorization = basic(params.clientId, params.clientSecret);
  }

  const response = await (params.fetch ?? fetch)(`${params.issuer.replace(/\/+$/, '')}/oauth/token`, {
    method: 'POST',
    headers,
    body: form.toString(),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body.access_token !== 'string') {
    throw new TokenRequestError(
      response.status,
      typeof body.error === 'string' ? body.error : 'invalid_response',
      typeof body.error_description === 'string' ? body.error_description : undefined,
    );
  }
  return {
    accessToken: body.access_token,
    tokenType: String(body.token_type ?? 'Bearer'),
    expiresIn: Number(body.expires_in),
    scope: typeof body.scope === 'string' ? body.scope : '',
  };
}

/**
 * A `getToken` for `createManagementClient`: gets a client-credentials token and reuses it until
 * `refreshBeforeSeconds` before it expires.
 */
export function clientCredentialsTokenProvider(
  params: ClientCredentialsTokenParams & { refreshBeforeSeconds?: number },
): () => Promise<string> {
  let current: { token: string; refreshAt: number } | undefined;
  let pending: Promise<string> | undefined;
  const margin = (params.refreshBeforeSeconds ?? 30) * 1000;
  return async () => {
    if (current && Date.now() < current.refreshAt) return current.token;
    pending ??= getClientCredentialsToken(params)
      .then((token) => {
        current = { token: token.accessToken, refreshAt: Date.now() + token.expiresIn * 1000 - margin };
        return token.accessToken;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}
