/**
 * A user's sign-in, as OpenID Connect names it in ID tokens: the session (`sid`, its public id)
 * and when the user authenticated (`auth_time`). Carried from the session through the
 * authorization code to the refresh-token family, so every ID token of one sign-in agrees.
 */
export interface Authentication {
  sid: string;
  authTime: Date;
}
