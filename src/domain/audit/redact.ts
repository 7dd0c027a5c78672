/** Keys whose values never enter the audit log, whatever an operation passes in its summary. */
// Secret-bearing names, tokens, and the private members of a JWK (RFC 7518 §6). `authorization` at the end
// only: an Authorization header is one, a setting about authorization requests is not.
const SECRET_KEY =
  /secret|password|passphrase|private|authorization$|credential|^(access_?|refresh_?|id_?)?token$|^jwt$|^(k|d|p|q|dp|dq|qi)$/i;
const MAX_DEPTH = 6;
const MAX_STRING = 1000;
const MAX_ITEMS = 100;

/**
 * A copy of `value` fit for the audit log: secret-looking keys replaced by "[REDACTED]", long
 * strings and lists cut, depth bounded. Operations should not pass secrets at all; this is the net.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[TRUNCATED]';
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((item) => redactSecrets(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item === undefined) continue;
    out[key] = SECRET_KEY.test(key) ? '[REDACTED]' : redactSecrets(item, depth + 1);
  }
  return out;
}
