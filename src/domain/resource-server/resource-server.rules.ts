import { IssueList } from '../errors';
import { apiIdentifierProblem } from '../../lib/api-identifier';
import { checkListSize, checkSeconds, checkNoDuplicates, checkText, SCOPE_TOKEN, SCOPE_VALUE_MAX, truncate } from '../validation';

export const SIGNING_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'HS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export const TOKEN_DIALECTS = ['ACCESS_TOKEN', 'ACCESS_TOKEN_AUTHZ', 'RFC9068_PROFILE', 'RFC9068_PROFILE_AUTHZ'] as const;
export type TokenDialect = (typeof TOKEN_DIALECTS)[number];

/**
 * Sender-constrained tokens (RFC 9449 DPoP, Auth0's proof_of_possession): NONE issues Bearer tokens
 * (a DPoP proof sent anyway is checked, then ignored); DPOP_ALLOWED binds the token to the key of a
 * proof when there is one; DPOP_REQUIRED refuses a token request without a proof.
 */
export const PROOF_OF_POSSESSION = ['NONE', 'DPOP_ALLOWED', 'DPOP_REQUIRED'] as const;
export type ProofOfPossession = (typeof PROOF_OF_POSSESSION)[number];

export const TOKEN_LIFETIME_MIN = 60;
export const TOKEN_LIFETIME_MAX = 2_592_000;
export const SCOPES_PER_SERVER_MAX = 1000;
export const SCOPE_DESCRIPTION_MAX = 500;

export const RESOURCE_SERVER_DEFAULTS = {
  signingAlgorithm: 'RS256' as SigningAlgorithm,
  tokenLifetime: 86_400,
  tokenLifetimeForWeb: 7_200,
  allowSkippingUserConsent: true,
  allowOfflineAccess: false,
  enforcePolicies: false,
  tokenDialect: 'RFC9068_PROFILE' as TokenDialect,
  proofOfPossession: 'NONE' as ProofOfPossession,
};

/** The settings of a system resource server that may change (DPoP for the Management API, say); everything else is fixed. */
export const SYSTEM_MUTABLE_FIELDS = ['tokenLifetime', 'tokenLifetimeForWeb', 'proofOfPossession'] as const;

export interface ScopeDraft {
  value: string;
  description?: string | null;
}

/** The audience of tokens: see apiIdentifierProblem (one rule with MANAGEMENT_AUDIENCE). */
export function checkIdentifier(issues: IssueList, field: string[], value: string): void {
  const problem = apiIdentifierProblem(value);
  if (problem) issues.add('INVALID', field, problem);
}

export function checkLifetimes(
  issues: IssueList,
  fields: { tokenLifetime: string[]; tokenLifetimeForWeb: string[] },
  tokenLifetime: number,
  tokenLifetimeForWeb: number,
): void {
  const before = issues.issues.length;
  checkSeconds(issues, fields.tokenLifetime, tokenLifetime, TOKEN_LIFETIME_MIN, TOKEN_LIFETIME_MAX);
  checkSeconds(issues, fields.tokenLifetimeForWeb, tokenLifetimeForWeb, TOKEN_LIFETIME_MIN, TOKEN_LIFETIME_MAX);
  if (issues.issues.length === before && tokenLifetimeForWeb > tokenLifetime) {
    issues.add('INVALID', fields.tokenLifetimeForWeb, `must not exceed tokenLifetime (${tokenLifetime} seconds)`);
  }
}

export function checkEnum<T extends string>(issues: IssueList, field: string[], value: string, allowed: readonly T[]): value is T {
  if ((allowed as readonly string[]).includes(value)) return true;
  issues.add('INVALID', field, `must be one of ${allowed.join(', ')}`);
  return false;
}

/** Checks a batch of new scopes: token syntax, length, description, no repeats within the batch. */
export function checkScopeDrafts(issues: IssueList, field: string[], scopes: ScopeDraft[]): void {
  if (!checkListSize(issues, field, scopes, SCOPES_PER_SERVER_MAX)) return;
  scopes.forEach((scope, index) => {
    const at = [...field, String(index)];
    if (scope.value.length === 0 || scope.value.length > SCOPE_VALUE_MAX) {
      issues.add('INVALID', [...at, 'value'], `must be 1 to ${SCOPE_VALUE_MAX} characters`);
    } else if (!SCOPE_TOKEN.test(scope.value)) {
      issues.add(
        'INVALID',
        [...at, 'value'],
        `"${truncate(scope.value)}" is not a valid scope token (printable ASCII without spaces, " or \\)`,
      );
    }
    checkText(issues, [...at, 'description'], scope.description ?? '', SCOPE_DESCRIPTION_MAX);
  });
  checkNoDuplicates(
    issues,
    field,
    scopes.map((s) => s.value),
  );
}
