import type { UserEntity } from '../../domain/user/user.entity';
import type { LoginThrottleService } from '../../domain/sign-in/login-throttle.service';
import type { LiveSession, SessionService } from '../../domain/sign-in/session.service';
import { WorkLimiterFull } from '../../lib/work-limiter';
import { parseCookies, serializeCookie, signInCookieNames } from './cookies';
import type { InteractionForms, InteractionRoutes } from './interaction';
import type { LoginPageInput } from './pages';
import { attemptKeys } from './throttle';

/**
 * The sign-in interaction: who is signed in (the session cookie), the sign-in form, and a sign-in
 * attempt (throttled credentials check, then a new session). Free of HTTP and of the request being
 * authorized: /authorize uses it, and so can a device-verification page, each with its own routes.
 */

/** The user of /authorize: the whole entity, which the token pipeline's context carries (implicit grant). */
export type AuthorizeUser = UserEntity;

/** The user directory (UserService). */
export interface UserDirectory {
  /**
   * The user whose password this is, blocked or not; null otherwise. Rejects with WorkLimiterFull,
   * having checked nothing, when too many password checks are already running and waiting.
   */
  authenticate(email: string, password: string): Promise<AuthorizeUser | null>;
  recordLogin(userId: string): Promise<void>;
  findById(id: string): Promise<AuthorizeUser | null>;
}

export interface SignInDeps {
  users: UserDirectory;
  sessions: Pick<SessionService, 'create' | 'find' | 'end' | 'policy'>;
  throttle: Pick<LoginThrottleService, 'reserve' | 'refund' | 'clear'>;
}

export interface Credentials {
  email: string;
  password: string;
  /** The client address: attempts are throttled per address, and per account at the address. */
  ip: string;
}

export type SignInResult =
  /**
   * The account at this address, or the address, must wait `retryAfterSeconds` before its next
   * attempt: refused before the password is checked, whether the account exists or not.
   */
  | { status: 'throttled'; retryAfterSeconds: number }
  /** Too many password checks are running and waiting in the process: nothing was checked nor counted. */
  | { status: 'busy' }
  /** Wrong email or password, or a blocked user (the same answer). */
  | { status: 'refused' }
  /** Signed in: `sessionId` is the new session's, for its cookie. */
  | { status: 'signed-in'; user: AuthorizeUser; sessionId: string };

/** A signed-in browser: its user and its session (which names the sign-in in ID tokens). */
export interface SignedIn {
  user: AuthorizeUser;
  session: LiveSession;
}

/** Who is signed in with a session id (the cookie's): a live session of an existing user who is not blocked. */
export async function currentSignIn(deps: SignInDeps, sessionId: string | undefined): Promise<SignedIn | null> {
  const session = await deps.sessions.find(sessionId);
  if (session === null) return null;
  const user = await deps.users.findById(session.userId);
  return user && !user.blocked ? { user, session } : null;
}

/** Whether a sign-in is recent enough for `maxAge` (seconds; OpenID Connect max_age), at `now`. */
export function isFreshEnough(session: LiveSession, maxAge: number | undefined, now: Date): boolean {
  return maxAge === undefined || now.getTime() - session.authTime.getTime() <= maxAge * 1000;
}

/**
 * One sign-in attempt. It is counted against the address and (when an email was given) the account
 * at the address before the password is checked, so concurrent attempts cannot check more passwords
 * than the limits allow; a wrong password leaves it counted. A success forgets the account's count
 * at this address and gives the address its attempt back, and starts a new session (never the
 * previous one again: no fixation), ending `previousSessionId`. An attempt refused as busy is given
 * back whole.
 */
export async function signIn(deps: SignInDeps, credentials: Credentials, previousSessionId: string | undefined): Promise<SignInResult> {
  const { email, password } = credentials;
  const keys = attemptKeys(email, credentials.ip);
  const counted = keys.account ? [keys.ip, keys.account] : [keys.ip];
  const reservation = await deps.throttle.reserve(counted);
  if (!reservation.allowed) return { status: 'throttled', retryAfterSeconds: reservation.retryAfterSeconds };
  let user: AuthorizeUser | null;
  try {
    user = email !== '' && password !== '' ? await deps.users.authenticate(email, password) : null;
  } catch (error) {
    if (!(error instanceof WorkLimiterFull)) throw error;
    await deps.throttle.refund(counted);
    return { status: 'busy' };
  }
  if (!user || user.blocked) return { status: 'refused' };
  if (keys.account) await deps.throttle.clear([keys.account]);
  await deps.throttle.refund([keys.ip]);
  await deps.users.recordLogin(user.id);
  if (previousSessionId !== undefined) await deps.sessions.end(previousSessionId);
  return { status: 'signed-in', user, sessionId: await deps.sessions.create(user.id) };
}

/** The session id of a request's cookies (`secure`: the issuer is https, see signInCookieNames). */
export function sessionIdFromCookies(cookieHeader: string | undefined, secure: boolean): string | undefined {
  return parseCookies(cookieHeader).get(signInCookieNames(secure).session);
}

/** The Set-Cookie line of a new session: the whole site, as long as the session can live (`maxAge`, seconds). */
export function sessionCookie(sessionId: string, secure: boolean, maxAge: number): string {
  return serializeCookie(signInCookieNames(secure).session, sessionId, { maxAge, secure });
}

/** The Set-Cookie line that removes the session cookie (sign-out). */
export function clearedSessionCookie(secure: boolean): string {
  return serializeCookie(signInCookieNames(secure).session, '', { maxAge: 0, secure });
}

export interface SignInFormInput {
  /** The parameters of the request that continues once signed in (sealed in the form). */
  params: [string, string][];
  /** The parameters were pushed (RFC 9126). */
  pushed?: boolean;
  applicationName: string;
  redirectUri?: string;
  /** Shown again after a refused attempt. */
  email?: string;
  error?: string;
}

/** The sign-in page's content, and the Set-Cookie lines it must send. */
export function signInForm(
  forms: InteractionForms,
  routes: InteractionRoutes,
  cookieHeader: string | undefined,
  input: SignInFormInput,
): { page: LoginPageInput; setCookies: string[] } {
  const { tx, csrf, setCookies } = forms.seal(cookieHeader, {
    kind: 'login',
    params: input.params,
    ...(input.pushed ? { pushed: true } : {}),
  });
  return {
    page: {
      action: routes.signInAction,
      applicationName: input.applicationName,
      tx,
      csrf,
      email: input.email,
      error: input.error,
      redirectUri: input.redirectUri,
    },
    setCookies,
  };
}
