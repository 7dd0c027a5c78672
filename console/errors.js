// What a person reads when a request fails: a sentence about what to do, never the raw GraphQL
// error (whose message is meant for developers).

/** A failed request (a ManagementApiError from the SDK, or any other exception) as a sentence. */
export function describeError(error) {
  if (error?.name === 'ManagementApiError') {
    if (error.status === 0) return 'The service could not be reached. Check your connection and try again.';
    switch (error.code) {
      case 'UNAUTHENTICATED':
        return 'Your session has ended. Sign in again.';
      case 'FORBIDDEN':
        return 'Your roles do not grant the permission this needs.';
      case 'RATE_LIMITED':
        return 'Too many requests: wait a moment and try again.';
      default:
        return 'The service could not complete this request. Try again; if it keeps failing, check the service logs.';
    }
  }
  if (error?.message === 'not signed in') return 'Your session has ended. Sign in again.';
  return 'Something went wrong. Try again.';
}

/** The userErrors of a field (matched on the last segment of their path, e.g. ["input", "name"] → "name"). */
export function errorsOf(userErrors, name) {
  return userErrors.filter((e) => e.field && e.field[e.field.length - 1] === name).map((e) => e.message);
}

/** The userErrors that belong to none of `fields` (shown together above the form). */
export function otherErrors(userErrors, fields) {
  return userErrors.filter((e) => !e.field || !fields.includes(e.field[e.field.length - 1])).map((e) => e.message);
}
