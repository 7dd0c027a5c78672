/** Unicode control characters (general category Cc): U+0000–U+001F, U+007F and U+0080–U+009F. */
const CONTROL = /\p{Cc}/gu;

/** True when `value` holds a control character other than those in `except` (free text allows "\t" and "\n"). */
export function hasControlCharacter(value: string, except: readonly string[] = []): boolean {
  for (const [character] of value.matchAll(CONTROL)) if (!except.includes(character)) return true;
  return false;
}

/** U+0000, which PostgreSQL text and jsonb cannot hold: no text the server is given may contain it. */
export function hasNulCharacter(value: string): boolean {
  return value.includes('\u0000');
}
