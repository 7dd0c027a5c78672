import { randomInt } from 'node:crypto';

/**
 * User codes of the device authorization grant (RFC 8628 §6.1): 8 characters from 20 consonants
 * that are hard to confuse and spell no word (no vowel, no 0/O or 1/I), shown `XXXX-XXXX`: 20^8 ≈
 * 2^34.6 codes, guessed only through the throttled verification page. What the user types is read
 * case-, dash- and space-insensitively.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;
/** The longest input read as a user code (separators and spaces included); longer is a wrong code. */
export const USER_CODE_INPUT_MAX = 32;

/** A new user code, normalized (8 characters, no dash). */
export function generateUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** The displayed form: `XXXX-XXXX`. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** What the user typed as a normalized code (upper case, without dashes and spaces), or null when it cannot be one. */
export function normalizeUserCode(input: string): string | null {
  if (input.length > USER_CODE_INPUT_MAX) return null;
  const code = input.toUpperCase().replace(/[\s-]/g, '');
  if (code.length !== USER_CODE_LENGTH) return null;
  for (const c of code) if (!USER_CODE_ALPHABET.includes(c)) return null;
  return code;
}
