import { isAbsoluteUri } from './uri';

/** Longest API identifier (the `aud` of its tokens); also the width of its column. */
export const API_IDENTIFIER_MAX = 600;

/**
 * What is wrong with an API identifier, or null: 1 to API_IDENTIFIER_MAX characters and an absolute
 * URI (RFC 3986, so no fragment), kept byte for byte (`https://a/` and `https://a` differ). The
 * rule of resource servers created through the API and of MANAGEMENT_AUDIENCE alike.
 */
export function apiIdentifierProblem(value: string): string | null {
  if (value.length === 0 || value.length > API_IDENTIFIER_MAX) return `must be 1 to ${API_IDENTIFIER_MAX} characters`;
  if (!isAbsoluteUri(value)) return 'must be an absolute URI without whitespace or fragment, such as https://api.example.com/';
  return null;
}
