/** An OAuth 2.0 error response: RFC 6749 §5.2 code, HTTP status, safe description. */
export class OAuthError extends Error {
  constructor(
    public readonly error: string,
    public readonly description: string,
    public readonly status: number = 400,
    public readonly headers: Record<string, string> = {},
    /** An answer of normal use (authorization_pending), not counted as a failed request by the rate limits. */
    public readonly expected = false,
  ) {
    super(description);
    this.name = 'OAuthError';
  }

  toJSON(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

export const invalidRequest = (description: string) => new OAuthError('invalid_request', description);
export const invalidTarget = (description: string) => new OAuthError('invalid_target', description);
export const invalidScope = (description: string) => new OAuthError('invalid_scope', description);
export const invalidGrant = (description: string) => new OAuthError('invalid_grant', description);
export const unauthorizedClient = (description: string) => new OAuthError('unauthorized_client', description);
export const accessDenied = (description: string) => new OAuthError('access_denied', description, 403);
export const unsupportedGrantType = (description: string) => new OAuthError('unsupported_grant_type', description);
/** The database cannot be reached right now (RFC 6749 §4.1.2.1's temporarily_unavailable, as HTTP 503). */
export const temporarilyUnavailable = () =>
  new OAuthError('temporarily_unavailable', 'The service is temporarily unavailable; retry shortly', 503, { 'Retry-After': '1' });

/** One answer for unknown client, wrong secret or wrong method, so none can be told apart. */
export function invalidClient(usedBasic: boolean, description = 'Client authentication failed'): OAuthError {
  return new OAuthError(
    'invalid_client',
    description,
    401,
    usedBasic ? { 'WWW-Authenticate': 'Basic realm="token", charset="UTF-8"' } : {},
  );
}
