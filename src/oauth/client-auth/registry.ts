import { clientSecretBasic } from './client-secret-basic';
import { clientSecretPost } from './client-secret-post';
import type { ClientAuthMethod } from './method';
import { none } from './none';
import { privateKeyJwt } from './private-key-jwt';

/**
 * The client authentication methods, in the order a request is matched against them (the first
 * whose `read` finds its credentials wins) and discovery lists them. A new method is a file and a
 * line here, plus its value of the client setting.
 */
export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = [clientSecretBasic, clientSecretPost, privateKeyJwt, none];

/** token_endpoint_auth_methods_supported (and revocation's: public clients revoke their own tokens). */
export function authMethodNames(): string[] {
  return CLIENT_AUTH_METHODS.map((m) => m.name);
}

/** introspection_endpoint_auth_methods_supported: confidential methods only. */
export function confidentialAuthMethodNames(): string[] {
  return CLIENT_AUTH_METHODS.filter((m) => m.confidential).map((m) => m.name);
}

/** `*_endpoint_auth_signing_alg_values_supported`: the algorithms of the methods that sign (private_key_jwt). */
export function authSigningAlgorithms(): string[] {
  return [...new Set(CLIENT_AUTH_METHODS.flatMap((m) => m.signingAlgorithms ?? []))];
}
