import { IssueList } from '../errors';

/**
 * A user's app metadata (Auth0's `app_metadata`): a JSON object set through the management API,
 * never by the user. It is sent to token hooks (`user.appMetadata`), which may turn it into claims;
 * it never enters a token by itself.
 */
export const APP_METADATA_MAX_BYTES = 16 * 1024;
/** Deeper values are refused: nothing legitimate nests this far, and it bounds the checks below. */
export const APP_METADATA_MAX_DEPTH = 10;

/** Checks a value for `appMetadata`: a JSON object (not an array or a primitive), at most 16 KB as JSON (UTF-8). */
export function checkAppMetadata(issues: IssueList, field: string[], value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) {
    issues.add('INVALID', field, 'must be a JSON object');
    return false;
  }
  const problem = valueProblem(value, 0);
  if (problem) {
    issues.add('INVALID', field, problem);
    return false;
  }
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > APP_METADATA_MAX_BYTES) {
    issues.add('LIMIT_EXCEEDED', field, `must be at most ${APP_METADATA_MAX_BYTES} bytes as JSON (is ${bytes})`);
    return false;
  }
  return true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** PostgreSQL's jsonb cannot hold the NUL character; non-finite numbers are not JSON. */
function valueProblem(value: unknown, depth: number): string | null {
  if (depth > APP_METADATA_MAX_DEPTH) return `must not nest deeper than ${APP_METADATA_MAX_DEPTH} levels`;
  if (typeof value === 'string') return value.includes('\u0000') ? 'must not contain the NUL character (\\u0000)' : null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : 'must hold finite numbers only';
  if (value === null || typeof value === 'boolean') return null;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = valueProblem(item, depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) return 'must not contain the NUL character (\\u0000)';
      const problem = valueProblem(item, depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  return 'must hold JSON values only';
}

/**
 * What the audit log records of a new app metadata value: its top-level keys and size, not the
 * values (they may hold personal data, and the audit log outlives them).
 */
export function appMetadataSummary(value: Record<string, unknown>): { keys: string[]; bytes: number } {
  return { keys: Object.keys(value).slice(0, 50), bytes: Buffer.byteLength(JSON.stringify(value), 'utf8') };
}
