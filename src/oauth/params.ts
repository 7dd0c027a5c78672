import { hasControlCharacter } from '../lib/control-characters';
import { invalidRequest } from './errors';

export const PARAM_VALUE_MAX = 4096;
export const PARAMS_MAX = 30;

/**
 * Request parameters from a form body (URLSearchParams) or a JSON object, as one value per name.
 * A repeated parameter is `invalid_request` (RFC 6749 §3.1), and so is a control character in a
 * name or value (no OAuth parameter holds one, RFC 6749 Appendix A; PostgreSQL cannot store
 * U+0000): refused here, before any lookup. An empty parameter counts as omitted.
 */
export function readParams(body: unknown): Map<string, string> {
  const params = new Map<string, string>();
  const add = (name: string, value: unknown) => {
    if (params.size >= PARAMS_MAX) throw invalidRequest('Too many parameters');
    if (typeof value !== 'string') {
      if (typeof value === 'number' || typeof value === 'boolean') value = String(value);
      else throw invalidRequest(`Parameter ${safeName(name)} must be a string`);
    }
    const text = value as string;
    if (text.length > PARAM_VALUE_MAX) throw invalidRequest(`Parameter ${safeName(name)} is too long`);
    if (hasControlCharacter(name) || hasControlCharacter(text)) {
      throw invalidRequest(`Parameter ${safeName(name)} holds a control character`);
    }
    if (params.has(name)) throw invalidRequest(`Parameter ${safeName(name)} is repeated`);
    if (text !== '') params.set(name, text);
    else params.set(name, '');
  };
  if (body instanceof URLSearchParams) {
    for (const [name, value] of body) add(name, value);
  } else if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [name, value] of Object.entries(body)) add(name, value);
  } else if (body !== undefined && body !== null) {
    throw invalidRequest('The request body must be application/x-www-form-urlencoded or a JSON object');
  }
  for (const [name, value] of params) if (value === '') params.delete(name);
  return params;
}

function safeName(name: string): string {
  return /^[a-z_]{1,40}$/.test(name) ? name : '(unnamed)';
}
