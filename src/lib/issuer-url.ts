/**
 * The issuer is used exactly as configured (`iss`, discovery `issuer`, compared as a string by
 * clients, OIDC Discovery §4.3), trailing slash included (Auth0 tenants end with one). URLs built
 * from it go through these two helpers so a slash is never doubled.
 */

/** The issuer without its trailing slash(es): the base that paths are joined onto. */
export function issuerBase(issuer: string): string {
  return issuer.replace(/\/+$/, '');
}

/** The URL of an endpoint: `path` (starting with "/") under the issuer. */
export function endpointUrl(issuer: string, path: string): string {
  return `${issuerBase(issuer)}${path}`;
}
