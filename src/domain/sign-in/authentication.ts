/**
 * A user's sign-in, as OpenID Connect names it in ID tokens: the session (`sid`, its public id)
 * and when the user authenticated (`auth_time`). Carried from the session through the
 * authorization code to the refresh-token family, so every ID token of one sign-in agrees.
 */
export interface Authentication {
  sid: string;
  authTime: Date;
}

/** The sign-in a stored row (authorization code, refresh token) records; null when it has none. */
export function authenticationOf(row: { sid: string | null; authTime: Date | null }): Authentication | null {
  return row.sid !== null && row.authTime !== null ? { sid: row.sid, authTime: row.authTime } : null;
}
