import { IssueList } from '../errors';
import { truncate } from '../validation';
import { hasControlCharacter } from '../../lib/control-characters';

/**
 * Client metadata (Auth0's `client_metadata`): string key → string value, set through the
 * management API. It is sent to the API's token hook (`client.metadata`), which may turn it into
 * claims; it never enters a token by itself.
 */
export const CLIENT_METADATA_KEYS_MAX = 10;
export const CLIENT_METADATA_KEY_MAX = 255;
export const CLIENT_METADATA_VALUE_MAX = 255;

export interface MetadataEntry {
  key: string;
  value: string;
}

/**
 * Checks entries given as a list (the GraphQL input) and returns them as the stored object: at most
 * 10 keys, each key 1–255 characters and unique, each value a string of at most 255 characters, no
 * control characters in either.
 */
export function checkClientMetadata(issues: IssueList, field: string[], entries: MetadataEntry[]): Record<string, string> {
  // A Map, then an object of own properties: a key such as "__proto__" stays a plain key.
  const metadata = new Map<string, string>();
  if (entries.length > CLIENT_METADATA_KEYS_MAX) {
    issues.add('LIMIT_EXCEEDED', field, `must have at most ${CLIENT_METADATA_KEYS_MAX} keys`);
    return {};
  }
  entries.forEach(({ key, value }, index) => {
    const at = [...field, String(index)];
    if (typeof key !== 'string' || key.length === 0 || key.length > CLIENT_METADATA_KEY_MAX) {
      issues.add('INVALID', [...at, 'key'], `must be 1 to ${CLIENT_METADATA_KEY_MAX} characters`);
    } else if (hasControlCharacter(key)) {
      issues.add('INVALID', [...at, 'key'], 'must not contain control characters');
    } else if (metadata.has(key)) {
      issues.add('INVALID', [...at, 'key'], `"${truncate(key)}" is repeated`);
    }
    if (typeof value !== 'string') {
      issues.add('INVALID', [...at, 'value'], 'must be a string');
    } else if (value.length > CLIENT_METADATA_VALUE_MAX) {
      issues.add('INVALID', [...at, 'value'], `must be at most ${CLIENT_METADATA_VALUE_MAX} characters`);
    } else if (hasControlCharacter(value)) {
      issues.add('INVALID', [...at, 'value'], 'must not contain control characters');
    }
    if (typeof key === 'string' && typeof value === 'string') metadata.set(key, value);
  });
  return Object.fromEntries(metadata);
}

/** The stored object as entries, sorted by key (jsonb keeps no insertion order). */
export function metadataEntries(metadata: Record<string, string>): MetadataEntry[] {
  return Object.keys(metadata)
    .sort()
    .map((key) => ({ key, value: metadata[key] }));
}
