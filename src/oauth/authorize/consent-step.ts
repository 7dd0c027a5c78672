import type { ClientEntity } from '../../domain/client/client.entity';
import type { CachedApi } from '../registry';
import { isStandardScope, STANDARD_SCOPE_DESCRIPTIONS } from '../standard-scopes';
import { scopesToAsk } from './consent';
import { isConsole } from '../../domain/management/console-client';
import type { InteractionForms, InteractionRoutes } from './interaction';
import type { ConsentPageInput } from './pages';
import type { Transaction } from './transaction';

/**
 * The consent interaction: whether to ask the user (the rules of consent.ts against what they
 * consented to before), the consent form, and the user's answer. Free of HTTP and of the request
 * being authorized: /authorize uses it, and so can a device-verification page.
 */

/** Users' consents (UserGrantService). */
export interface ConsentStore {
  consentedScopes(userId: string, clientUuid: string, resourceServerId: string): Promise<string[]>;
  /** Adds the scopes to the user's consent (a union). */
  recordConsent(userId: string, clientUuid: string, resourceServerId: string, scopes: string[]): Promise<void>;
}

/** The scopes' descriptions shown on the page (ResourceServerService). */
export interface ScopeDescriptions {
  scopeDescriptions(resourceServerId: string, values: readonly string[]): Promise<Map<string, string>>;
}

/** The single-use forms already answered, by transaction id (UsedTransactionService). */
export interface UsedTransactions {
  /** False when `id` was claimed before; the claim is remembered until `expiresAt`. */
  claim(id: string, expiresAt: Date): Promise<boolean>;
}

export interface ConsentDeps {
  userGrants: ConsentStore;
  resourceServers: ScopeDescriptions;
  usedTransactions: UsedTransactions;
}

/** Seconds a used consent form is remembered beyond its expiry: an instance whose clock lags still finds it used. */
const USED_FORM_MARGIN_SECONDS = 60;

/** What consent is asked for: a client's access to an API with some scopes. */
export interface ConsentSubject {
  client: Pick<ClientEntity, 'id' | 'name' | 'isFirstParty' | 'builtin'>;
  api: CachedApi;
  scopes: string[];
  /** The redirect URI's host is a loopback address (never skips consent); false for a flow without one. */
  loopbackRedirect: boolean;
  /** prompt=consent: ask for every requested scope again. */
  promptConsent: boolean;
}

/** The scopes to ask the user about, or null when no consent page is needed. */
export async function scopesToConfirm(deps: ConsentDeps, userId: string, subject: ConsentSubject): Promise<string[] | null> {
  const consented = await deps.userGrants.consentedScopes(userId, subject.client.id, subject.api.server.id);
  return scopesToAsk({
    isFirstParty: subject.client.isFirstParty,
    builtinConsole: isConsole(subject.client),
    allowSkippingUserConsent: subject.api.server.allowSkippingUserConsent,
    loopbackRedirect: subject.loopbackRedirect,
    promptConsent: subject.promptConsent,
    requested: subject.scopes,
    consented,
  });
}

export interface ConsentFormInput {
  user: { id: string; email: string };
  subject: ConsentSubject;
  /** The scopes to ask about (scopesToConfirm). */
  ask: string[];
  /** The parameters of the request that continues once the user answered (sealed in the form). */
  params: [string, string][];
  /** The parameters were pushed (RFC 9126). */
  pushed?: boolean;
  redirectUri?: string;
}

/** The consent page's content (each asked scope with its description), and the Set-Cookie lines it must send. */
export async function consentForm(
  deps: ConsentDeps,
  forms: InteractionForms,
  routes: InteractionRoutes,
  cookieHeader: string | undefined,
  input: ConsentFormInput,
): Promise<{ page: ConsentPageInput; setCookies: string[] }> {
  const { subject, ask } = input;
  // The standard scopes (openid, profile, email, offline_access) in plain words; the API's, as it describes them.
  const descriptions = await deps.resourceServers.scopeDescriptions(
    subject.api.server.id,
    ask.filter((s) => !isStandardScope(s)),
  );
  for (const scope of ask) if (isStandardScope(scope)) descriptions.set(scope, STANDARD_SCOPE_DESCRIPTIONS[scope]);
  // The transaction names the user shown the page: the answer counts only from the same sign-in.
  const { tx, csrf, setCookies } = forms.seal(cookieHeader, {
    kind: 'consent',
    params: input.params,
    userId: input.user.id,
    ...(input.pushed ? { pushed: true } : {}),
  });
  return {
    page: {
      action: routes.consentAction,
      applicationName: subject.client.name,
      apiName: subject.api.server.builtin === 'USERINFO' ? null : subject.api.server.name,
      userEmail: input.user.email,
      scopes: ask.map((value) => ({ value, description: descriptions.get(value) ?? '' })),
      tx,
      csrf,
      redirectUri: input.redirectUri,
    },
    setCookies,
  };
}

/** The consent form's `decision` field: allow, deny, or null for anything else. */
export function consentDecision(field: string | undefined): 'allow' | 'deny' | null {
  return field === 'allow' || field === 'deny' ? field : null;
}

/**
 * Spends a consent form (its transaction, once opened): true the first time; false when it was
 * answered before, and the answer must be refused. One form, one answer: a replayed or doubly
 * submitted form never gets a second code.
 */
export async function spendConsentForm(deps: ConsentDeps, tx: Pick<Transaction, 'id' | 'exp'>): Promise<boolean> {
  return deps.usedTransactions.claim(tx.id, new Date((tx.exp + USED_FORM_MARGIN_SECONDS) * 1000));
}

/** Records an allowed consent: the user's consent for the client and API now holds the scopes (a union). */
export async function recordConsent(deps: ConsentDeps, userId: string, subject: ConsentSubject): Promise<void> {
  await deps.userGrants.recordConsent(userId, subject.client.id, subject.api.server.id, subject.scopes);
}
