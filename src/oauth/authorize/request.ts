import { CLIENT_ID_MAX } from '../../domain/client/client.rules';
import type { TokenClient } from '../../domain/token-read-model';
import { isLoopbackHost } from '../../domain/validation';
import { hasControlCharacter } from '../../lib/control-characters';
import type { DefaultAudiences } from '../audience';
import { OAuthError } from '../errors';
import { PARAM_VALUE_MAX, PARAMS_MAX } from '../params';
import type { CachedApi, Registry } from '../registry';
import { allowsResponseMode, RESPONSE_MODES, RESPONSE_TYPES, responseTypeOf, ResponseMode, ResponseType } from '../response-types';
import { resolveRequestedAccess } from '../requested-access';
import { isRegisteredRedirectUri } from './redirect-uri';

/**
 * Parsing and validating an authorization request (RFC 6749 §4.1.1 and §4.2.1, RFC 7636, RFC 9700).
 *
 * The order matters: until the client and its redirect URI are known good, nothing may be sent to
 * the redirect URI (an open redirector otherwise), so those failures are a `PageError` (an error
 * page, never a redirect). Every later failure is an `AuthorizeError`, sent back to the client at
 * its redirect URI in the requested response mode.
 */

export type { ResponseMode, ResponseType };
export type Prompt = 'none' | 'login' | 'consent';

export const PROMPTS: readonly Prompt[] = ['none', 'login', 'consent'];
/** An S256 challenge is the base64url SHA-256 of the verifier: exactly 43 characters (RFC 7636 §4.2). */
export const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** An RFC 7638 SHA-256 thumbprint, base64url (`dpop_jkt`). */
const JKT = /^[A-Za-z0-9_-]{43}$/;

/** Longest nonce (the used_nonces and authorization_codes columns). */
export const NONCE_MAX = 255;
/** Largest max_age accepted (seconds): ten years, far beyond any session. */
export const MAX_AGE_MAX = 315_360_000;

/** A request that cannot be answered at the redirect URI: shown as an error page (HTTP 400). */
export class PageError extends Error {
  constructor(
    public readonly title: string,
    public readonly detail: string,
    public readonly status = 400,
  ) {
    super(detail);
    this.name = 'PageError';
  }
}

/** Where and how an authorization response (success or error) goes. */
export interface ResponseTarget {
  redirectUri: string;
  responseMode: ResponseMode;
  state: string | undefined;
}

/** An error answered at the client's redirect URI (RFC 6749 §4.1.2.1). */
export class AuthorizeError extends Error {
  constructor(
    public readonly target: ResponseTarget,
    public readonly error: string,
    public readonly description: string,
  ) {
    super(description);
    this.name = 'AuthorizeError';
  }
}

export interface AuthorizationRequest extends ResponseTarget {
  /** The request parameters as received (re-validated at every step of the flow). */
  params: [string, string][];
  client: TokenClient;
  api: CachedApi;
  responseType: ResponseType;
  scopes: string[];
  prompts: Set<Prompt>;
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | null;
  /** Implicit: required (replay protection); code flow: repeated in the ID token (OpenID Connect). */
  nonce: string | undefined;
  /** OpenID Connect max_age (seconds): a sign-in older than this must be done again. */
  maxAge: number | undefined;
  /** RFC 9449 §10 `dpop_jkt`: the code is exchanged only with a DPoP proof by the key of this thumbprint. */
  dpopJkt: string | undefined;
  /** The redirect URI's host is localhost or a loopback address. */
  loopbackRedirect: boolean;
  /** The client pushed these parameters first (RFC 9126), authenticated. */
  pushed: boolean;
}

/**
 * Request parameters from a raw query string, one value per name. Too many or too long parameters,
 * and control characters, are refused before anything else; a repeated parameter is noted and
 * refused by `validate` (RFC 6749 §3.1) once the redirect URI is known, unless it is client_id or
 * redirect_uri.
 */
export function parseQuery(rawQuery: string): { params: [string, string][]; repeated: Set<string> } {
  const params: [string, string][] = [];
  const seen = new Set<string>();
  const repeated = new Set<string>();
  let search: URLSearchParams;
  try {
    search = new URLSearchParams(rawQuery);
  } catch {
    throw new PageError('Invalid request', 'The request could not be read.');
  }
  for (const [name, value] of search) {
    if (params.length >= PARAMS_MAX) throw new PageError('Invalid request', 'The request has too many parameters.');
    if (value.length > PARAM_VALUE_MAX || name.length > 100) throw new PageError('Invalid request', 'A request parameter is too long.');
    // No OAuth parameter holds a control character (RFC 6749 Appendix A); PostgreSQL cannot store U+0000.
    if (hasControlCharacter(name) || hasControlCharacter(value)) {
      throw new PageError('Invalid request', 'A request parameter holds a control character.');
    }
    if (value === '') continue;
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
    params.push([name, value]);
  }
  return { params, repeated };
}

export interface ValidateDeps {
  registry: Registry;
  /** The API of requests that name none. */
  audiences: DefaultAudiences;
}

/** The URL query string of a request URL (without the `?`). */
export function rawQueryOf(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? '' : url.slice(index + 1);
}

/**
 * Validates an authorization request against the current client and API configuration; `pushed`:
 * its parameters were pushed by the authenticated client (RFC 9126), at /oauth/par or redeemed from there.
 */
export async function validateAuthorizationRequest(
  deps: ValidateDeps,
  params: [string, string][],
  repeated: ReadonlySet<string> = repeatedNames(params),
  pushed = false,
): Promise<AuthorizationRequest> {
  const get = (name: string) => params.find(([n]) => n === name)?.[1];

  // 1. The client: unknown → error page, never a redirect.
  if (repeated.has('client_id')) throw new PageError('Invalid request', 'The client_id parameter is repeated.');
  const clientId = get('client_id');
  if (clientId === undefined) throw new PageError('Invalid request', 'The client_id parameter is missing.');
  const cached = clientId.length <= CLIENT_ID_MAX ? await deps.registry.client(clientId) : null;
  if (!cached) throw new PageError('Unknown application', 'No application has this client_id.');
  const client = cached.client;

  // 2. The redirect URI: an exact string match with a registered callback (RFC 9700 §2.1); a native
  // app's loopback IP callback with any port (RFC 8252 §7.3). The request's own URI is used from here on.
  if (repeated.has('redirect_uri')) throw new PageError('Invalid request', 'The redirect_uri parameter is repeated.');
  let redirectUri = get('redirect_uri');
  if (redirectUri === undefined) {
    if (client.callbacks.length !== 1) {
      throw new PageError(
        'Invalid request',
        'The redirect_uri parameter is missing and the application has no single registered callback URL.',
      );
    }
    redirectUri = client.callbacks[0];
  } else if (!isRegisteredRedirectUri(client, redirectUri)) {
    throw new PageError('Invalid redirect URI', 'The redirect_uri is not one of the application’s registered callback URLs.');
  }

  // 3. From here on, errors go back to the client. First: how to send them.
  const responseTypeText = get('response_type');
  const flow = responseTypeText === undefined ? undefined : responseTypeOf(responseTypeText);
  const state = repeated.has('state') ? undefined : get('state');
  const modeText = get('response_mode');
  const modeValid = modeText === undefined || (RESPONSE_MODES as readonly string[]).includes(modeText);
  const target: ResponseTarget = {
    redirectUri,
    state,
    // A mode the response type does not allow (a token in a query string) is never used, whatever was asked.
    responseMode:
      modeValid && modeText !== undefined && (flow === undefined || allowsResponseMode(flow, modeText))
        ? (modeText as ResponseMode)
        : (flow?.responseModes[0] ?? 'query'),
  };
  const fail = (error: string, description: string) => new AuthorizeError(target, error, description);

  // RFC 9126 §5: a client that must push its requests gets none through the browser's own query.
  if (client.requirePushedAuthorizationRequests && !pushed) {
    throw fail('invalid_request', 'This application must push its authorization requests to the pushed authorization request endpoint');
  }

  if (repeated.size > 0) throw fail('invalid_request', `Parameter ${safeName([...repeated][0])} is repeated`);
  if (!modeValid)
    throw fail('invalid_request', `response_mode must be ${RESPONSE_MODES.slice(0, -1).join(', ')} or ${RESPONSE_MODES.at(-1)}`);
  if (responseTypeText === undefined) throw fail('invalid_request', 'response_type is required');
  if (flow === undefined) {
    throw fail('unsupported_response_type', `response_type must be ${RESPONSE_TYPES.map((t) => t.responseType).join(' or ')}`);
  }
  if (modeText !== undefined && !allowsResponseMode(flow, modeText)) {
    throw fail(
      'invalid_request',
      `response_mode=${modeText} is not allowed with response_type=${flow.responseType}: use ${flow.responseModes.join(' or ')}`,
    );
  }
  const responseType: ResponseType = flow.responseType;

  // 4. The client may use this flow.
  if (!client.grantTypes.includes(flow.requiredClientGrant) || (flow.firstPartyOnly && !client.isFirstParty)) {
    throw fail('unauthorized_client', `This application may not use the ${flow.grantName} grant`);
  }

  // 5. The API and the scopes (the rules of every request on a user's behalf); offline_access only
  // with a code, as the implicit grant returns no refresh token.
  let api: CachedApi;
  let scopes: string[];
  try {
    ({ api, scopes } = await resolveRequestedAccess(deps, new Map(params), client, responseType === 'code'));
  } catch (error) {
    if (error instanceof OAuthError) throw fail(error.error, error.description);
    throw error;
  }

  // 6. prompt (OpenID Connect Core §3.1.2.1): none, or any of login and consent.
  const prompts = new Set<Prompt>();
  for (const value of (get('prompt') ?? '').split(' ').filter(Boolean)) {
    if (!(PROMPTS as readonly string[]).includes(value)) throw fail('invalid_request', 'prompt must be none, login or consent');
    prompts.add(value as Prompt);
  }
  if (prompts.has('none') && prompts.size > 1) throw fail('invalid_request', 'prompt=none cannot be combined with other values');

  // 7. PKCE (RFC 7636), S256 only; required of every client, confidential ones included (RFC 9700
  // §2.1.1: it also stops code injection, which a client secret does not).
  let codeChallenge: string | null = null;
  let codeChallengeMethod: 'S256' | null = null;
  if (responseType === 'code') {
    const challenge = get('code_challenge');
    const method = get('code_challenge_method');
    if (method !== undefined && method !== 'S256') throw fail('invalid_request', 'code_challenge_method must be S256');
    if (challenge === undefined) {
      if (method !== undefined) throw fail('invalid_request', 'code_challenge_method without code_challenge');
      throw fail('invalid_request', 'code_challenge required (PKCE with code_challenge_method=S256)');
    }
    // Without a method, RFC 7636 means plain: refused like plain.
    if (method === undefined) throw fail('invalid_request', 'code_challenge_method must be S256');
    if (!S256_CHALLENGE.test(challenge)) throw fail('invalid_request', 'code_challenge must be 43 base64url characters (S256)');
    codeChallenge = challenge;
    codeChallengeMethod = 'S256';
  }
  // 7b. dpop_jkt (RFC 9449 §10): the thumbprint (SHA-256, base64url) of the key the code is bound to.
  const dpopJkt = get('dpop_jkt');
  if (dpopJkt !== undefined) {
    if (responseType !== 'code') throw fail('invalid_request', 'dpop_jkt is only for response_type=code');
    if (!JKT.test(dpopJkt)) throw fail('invalid_request', 'dpop_jkt must be 43 base64url characters (a SHA-256 JWK thumbprint)');
  }
  // 8. nonce: required with the implicit grant (remembered so a response cannot be replayed); with
  // a code, optional and repeated in the ID token (OpenID Connect Core §3.1.2.1).
  const nonce = get('nonce');
  if (nonce === undefined && responseType === 'token') throw fail('invalid_request', 'nonce is required with response_type=token');
  if (nonce !== undefined && nonce.length > NONCE_MAX) throw fail('invalid_request', `nonce must be at most ${NONCE_MAX} characters`);

  // 9. max_age (OpenID Connect Core §3.1.2.1): seconds since the sign-in before one is needed again.
  const maxAgeText = get('max_age');
  let maxAge: number | undefined;
  if (maxAgeText !== undefined) {
    if (!/^\d{1,10}$/.test(maxAgeText) || Number(maxAgeText) > MAX_AGE_MAX) {
      throw fail('invalid_request', `max_age must be a whole number of seconds from 0 to ${MAX_AGE_MAX}`);
    }
    maxAge = Number(maxAgeText);
  }

  return {
    ...target,
    params,
    client,
    api,
    responseType,
    scopes,
    prompts,
    codeChallenge,
    codeChallengeMethod,
    nonce,
    maxAge,
    dpopJkt,
    loopbackRedirect: isLoopbackRedirect(redirectUri),
    pushed,
  };
}

function repeatedNames(params: [string, string][]): Set<string> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const [name] of params) {
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
  }
  return repeated;
}

export function isLoopbackRedirect(redirectUri: string): boolean {
  try {
    const url = new URL(redirectUri);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

function safeName(name: string): string {
  return /^[a-z_]{1,40}$/.test(name) ? name : '(unnamed)';
}

/**
 * The request that continues after a sign-in: its parameters without what asked for that sign-in
 * (`prompt=login`, `max_age`), which the fresh sign-in has answered. Else `max_age=0` would ask forever.
 */
export function afterSignIn(params: [string, string][]): [string, string][] {
  return params.flatMap(([name, value]): [string, string][] => {
    if (name === 'max_age') return [];
    if (name !== 'prompt') return [[name, value]];
    const rest = value.split(' ').filter((p) => p !== '' && p !== 'login');
    return rest.length > 0 ? [[name, rest.join(' ')]] : [];
  });
}
