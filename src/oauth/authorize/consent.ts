/**
 * When the user must be asked (the consent rules of /authorize):
 * - `prompt=consent` always asks, for every requested scope;
 * - the built-in console (`builtinConsole`: the service's own application, its redirect URI fixed
 *   under the issuer, even a loopback one) never asks;
 * - a first-party client skips consent when the API has `allowSkippingUserConsent`, unless the
 *   redirect URI's host is localhost or a loopback address (any local program can listen there,
 *   so nothing proves the request comes from the application);
 * - otherwise (third-party clients, APIs that do not allow skipping, loopback redirects) the user is
 *   asked for the requested scopes not consented yet; scopes already consented are not asked again.
 *   A request naming no scope asks until the user has consented to something for this client and API.
 */
export interface ConsentInput {
  isFirstParty: boolean;
  builtinConsole: boolean;
  allowSkippingUserConsent: boolean;
  loopbackRedirect: boolean;
  promptConsent: boolean;
  requested: string[];
  consented: string[];
}

/** The scopes to ask about, or null when no consent page is needed. */
export function scopesToAsk(input: ConsentInput): string[] | null {
  if (input.promptConsent) return input.requested;
  if (input.builtinConsole) return null;
  if (input.isFirstParty && input.allowSkippingUserConsent && !input.loopbackRedirect) return null;
  const consented = new Set(input.consented);
  const missing = input.requested.filter((s) => !consented.has(s));
  if (missing.length > 0) return missing;
  if (input.requested.length === 0 && consented.size === 0) return [];
  return null;
}
