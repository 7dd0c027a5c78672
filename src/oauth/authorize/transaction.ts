import { timingSafeEqual } from 'node:crypto';
import type { SecretBox } from '../../crypto/secret-box';
import { randomToken } from '../../crypto/random';

/**
 * A pending authorization request carried through the sign-in and consent forms: the request's
 * parameters, sealed (AES-256-GCM under the master key) with a random id, an expiry and the CSRF
 * token, in a hidden field. Nothing is stored server-side but the ids of the consent forms already
 * answered (each is answered once, see UsedTransactionService); every step re-validates the
 * parameters against the current configuration. The associated data binds a blob to its purpose.
 */
export const TX_AAD = 'authorize-tx';
/** How long a sign-in or consent form stays valid. */
export const TX_LIFETIME_SECONDS = 600;
/** Longest sealed transaction accepted (the forms' body limit is larger). */
export const TX_MAX_LENGTH = 40_000;

/**
 * `continue`: the URL that resumes a pushed request after sign-in (it carries no form, only the parameters).
 * `user_code`: the device verification page's code form.
 * `admin_setup`: the form that sets the first administrator (http/console-setup.ts).
 */
export type TxKind = 'login' | 'consent' | 'continue' | 'user_code' | 'admin_setup';

export interface Transaction {
  /** Random, unique to this form: what a single-use form is remembered by once used. */
  id: string;
  kind: TxKind;
  params: [string, string][];
  csrf: string;
  /** The parameters were pushed by the client (RFC 9126): they stay out of the browser's URLs. */
  pushed?: true;
  /** Consent only: the user who was shown the page. */
  userId?: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** A transaction id: 128 random bits, base64url. */
export const TX_ID = /^[A-Za-z0-9_-]{22}$/;

/** Seals `tx` with a new id, expiring TX_LIFETIME_SECONDS after `now`. */
export function sealTransaction(box: SecretBox, tx: Omit<Transaction, 'exp' | 'id'>, now = Date.now()): string {
  return box.seal(JSON.stringify({ ...tx, id: randomToken(16), exp: Math.floor(now / 1000) + TX_LIFETIME_SECONDS }), TX_AAD);
}

/** The transaction, or null when it is malformed, tampered with, of another kind or expired. */
export function openTransaction(box: SecretBox, sealed: string | undefined, kind: TxKind, now = Date.now()): Transaction | null {
  if (sealed === undefined || sealed.length > TX_MAX_LENGTH) return null;
  let tx: Transaction;
  try {
    tx = JSON.parse(box.open(sealed, TX_AAD)) as Transaction;
  } catch {
    return null;
  }
  if (!tx || tx.kind !== kind || typeof tx.exp !== 'number' || tx.exp * 1000 <= now) return null;
  // A form sealed before transactions had ids (at most TX_LIFETIME_SECONDS before an upgrade) is refused too.
  if (!Array.isArray(tx.params) || typeof tx.csrf !== 'string' || typeof tx.id !== 'string' || !TX_ID.test(tx.id)) return null;
  return tx;
}

/** A new CSRF token (the `apiauth_csrf` cookie's value). */
export function newCsrfToken(): string {
  return randomToken(32);
}

export const CSRF_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** True when all three copies of the CSRF token (cookie, form field, sealed) are present and equal. */
export function csrfMatches(cookie: string | undefined, field: string | undefined, sealed: string): boolean {
  if (cookie === undefined || field === undefined || !CSRF_TOKEN.test(cookie)) return false;
  const a = Buffer.from(cookie);
  const b = Buffer.from(field);
  const c = Buffer.from(sealed);
  return a.length === b.length && a.length === c.length && timingSafeEqual(a, b) && timingSafeEqual(a, c);
}
