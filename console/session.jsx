// The signed-in session, shared by every page: the typed Management API client (the SDK's
// createManagementClient, with the user's access token) and the scopes that token carries.
import { createContext, useContext } from 'react';

const SessionContext = createContext(null);
export const SessionProvider = SessionContext.Provider;

/** { client, scopes: Set, issuer, audience, tokenHookTimeoutMs: { min, max, default }, subject } */
export function useSession() {
  return useContext(SessionContext);
}

/** True when the token carries `scope` (the token response's `scope`, set by the person's roles). */
export function useCan() {
  const { scopes } = useSession();
  return (scope) => scopes.has(scope);
}
