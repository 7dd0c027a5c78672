import type { SecretBox } from '../../crypto/secret-box';
import type { Clock } from '../../lib/clock';
import { hasControlCharacter } from '../../lib/control-characters';
import { parseCookies, serializeCookie, signInCookieNames } from './cookies';
import { csrfMatches, CSRF_TOKEN, newCsrfToken, openTransaction, sealTransaction, Transaction, TxKind } from './transaction';

/**
 * The routes of an interactive flow that signs a user in and asks their consent: /authorize's, or
 * (later) a device-verification page's (RFC 8628), which reuses the sign-in and consent steps with
 * routes of its own.
 */
export interface InteractionRoutes {
  /** The page (GET) the browser goes back to once signed in, with the carried parameters as its query. */
  continuePath: string;
  /** Where the sign-in form posts. */
  signInAction: string;
  /** Where the consent form posts. */
  consentAction: string;
}

export const AUTHORIZE_ROUTES: InteractionRoutes = {
  continuePath: '/authorize',
  signInAction: '/authorize/login',
  consentAction: '/authorize/consent',
};

/** The hidden fields of a form, and the Set-Cookie lines its page must send (a new CSRF cookie). */
export interface SealedForm {
  tx: string;
  csrf: string;
  setCookies: string[];
}

/** The URL that continues a flow after sign-in: its page, with the carried parameters. */
export function continueUrl(routes: InteractionRoutes, params: [string, string][]): string {
  return `${routes.continuePath}?${new URLSearchParams(params).toString()}`;
}

/** The query parameter of a continuation URL of a pushed request (InteractionForms.pushedContinueUrl). */
export const PUSHED_CONTINUATION_PARAM = 'pushed_request';

/**
 * The sealed request of a continuation URL (its query is PUSHED_CONTINUATION_PARAM alone); undefined
 * for any other query. Read before the query's parameter limits, which a sealed request may exceed
 * (it is limited by TX_MAX_LENGTH when opened).
 */
export function pushedContinuationOf(rawQuery: string): string | undefined {
  if (!rawQuery.startsWith(`${PUSHED_CONTINUATION_PARAM}=`) || rawQuery.includes('&')) return undefined;
  return rawQuery.slice(PUSHED_CONTINUATION_PARAM.length + 1);
}

/**
 * The fields of a POSTed form that `limits` names: one value each, at most its limit, without
 * control characters (no email, password, token or choice holds one; PostgreSQL cannot store
 * U+0000); null otherwise.
 */
export function formFields(body: unknown, limits: Record<string, number>): Map<string, string> | null {
  if (!(body instanceof URLSearchParams)) return null;
  const fields = new Map<string, string>();
  for (const [name, value] of body) {
    const max = limits[name];
    if (max === undefined) continue;
    if (fields.has(name) || value.length > max || hasControlCharacter(value)) return null;
    fields.set(name, value);
  }
  return fields;
}

/**
 * The forms of an interaction: each carries a sealed transaction (the pending request, see
 * transaction.ts) and the browser's CSRF token; a post is accepted only when the transaction opens
 * (right kind, not expired) and the CSRF token of the cookie, the field and the transaction agree.
 * Expiry reads the injected clock. The CSRF cookie is the whole site's (`Path=/`, which its
 * `__Host-` name on https requires), so every interaction's routes share it.
 */
export class InteractionForms {
  private readonly csrfCookie: string;

  constructor(private readonly deps: { box: SecretBox; clock: Clock; secure: boolean }) {
    this.csrfCookie = signInCookieNames(deps.secure).csrf;
  }

  /** Seals `tx` for a form, with this browser's CSRF token: its cookie's, or a new one to set. */
  seal(cookieHeader: string | undefined, tx: Omit<Transaction, 'exp' | 'csrf' | 'id'>): SealedForm {
    const setCookies: string[] = [];
    let csrf = parseCookies(cookieHeader).get(this.csrfCookie);
    if (csrf === undefined || !CSRF_TOKEN.test(csrf)) {
      csrf = newCsrfToken();
      setCookies.push(serializeCookie(this.csrfCookie, csrf, { secure: this.deps.secure }));
    }
    const sealed = sealTransaction(this.deps.box, { ...tx, csrf }, this.deps.clock.now().getTime());
    return { tx: sealed, csrf, setCookies };
  }

  /**
   * The URL that continues a pushed request (RFC 9126) after sign-in: its redeemed request_uri cannot
   * be used again, and its parameters must not appear in the clear (nor could a client that requires
   * pushed requests accept them so), so they travel sealed, bound to this browser's CSRF token (`csrf`
   * of the sign-in form) and valid as long as a form.
   */
  pushedContinueUrl(routes: InteractionRoutes, csrf: string, params: [string, string][]): string {
    const sealed = sealTransaction(this.deps.box, { kind: 'continue', params, csrf, pushed: true }, this.deps.clock.now().getTime());
    // Sealed text is base64url parts joined by dots: nothing to encode.
    return `${routes.continuePath}?${PUSHED_CONTINUATION_PARAM}=${sealed}`;
  }

  /** The transaction of a pushedContinueUrl, or null when it is not valid (expired, tampered with, another browser's). */
  openPushedContinuation(cookieHeader: string | undefined, sealed: string): Transaction | null {
    const tx = openTransaction(this.deps.box, sealed, 'continue', this.deps.clock.now().getTime());
    if (!tx || tx.pushed !== true || !csrfMatches(parseCookies(cookieHeader).get(this.csrfCookie), tx.csrf, tx.csrf)) return null;
    return tx;
  }

  /** The transaction of a posted form (fields from `formFields`), or null when it must be refused. */
  open(cookieHeader: string | undefined, fields: Map<string, string> | null, kind: TxKind): Transaction | null {
    if (!fields) return null;
    const tx = openTransaction(this.deps.box, fields.get('tx'), kind, this.deps.clock.now().getTime());
    if (!tx || !csrfMatches(parseCookies(cookieHeader).get(this.csrfCookie), fields.get('csrf'), tx.csrf)) return null;
    return tx;
  }
}
