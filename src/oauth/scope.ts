import { SCOPE_TOKEN } from '../domain/validation';
import { invalidScope } from './errors';

/** Splits a `scope` parameter (RFC 6749 §3.3) into distinct scope tokens, in request order. */
export function parseScopeParam(scope: string): string[] {
  const tokens = scope.split(' ').filter((s) => s !== '');
  for (const token of tokens) {
    if (!SCOPE_TOKEN.test(token)) throw invalidScope('scope holds a character that is not allowed in a scope token');
  }
  return [...new Set(tokens)];
}
