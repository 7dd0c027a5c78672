/** Who performed an administrative action, as the audit log records it. */
export interface Actor {
  /** `sub` of the caller's access token; null when unauthenticated. */
  subject: string | null;
  /** `client_id` (or `azp`) of the caller's access token. */
  clientId: string | null;
  /** The HTTP request id (`x-request-id`), to join the audit log with the service logs. */
  requestId: string | null;
}

/** Changes the service makes on its own (bootstrap at start). */
export const SYSTEM_ACTOR: Actor = { subject: 'system', clientId: null, requestId: null };
