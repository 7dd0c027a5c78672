import { ManagementApiError, TokenRequestError, UserErrorsError } from '../../sdk/index';

/**
 * The CLI's exit codes, one meaning each (documented in `apiauth --help` and the README):
 * 0 done, 1 the server refused or failed, 2 bad usage, 3 not signed in or authentication refused.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, auth: 3 } as const;

export const EXIT_CODES_HELP = `Exit codes:
  ${EXIT.ok}  done
  ${EXIT.failure}  failed: the server refused (its message is printed) or could not be reached
  ${EXIT.usage}  usage error: unknown command or option, missing or malformed argument
  ${EXIT.auth}  not signed in, session expired, or credentials refused: run \`apiauth login\``;

/** Bad command line: unknown command or option, a missing or malformed argument. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** `help`: the usage line of the command, printed after the message. */
  constructor(
    message: string,
    readonly help?: string,
  ) {
    super(message);
  }
}

/** No usable session: never signed in, the session expired, or the credentials were refused. */
export class NotSignedInError extends Error {
  override readonly name = 'NotSignedInError';
}

/** The command could not be done (a reference that names nothing, …): exit 1 with this message. */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
}

/** One error line per problem, as the server worded it. */
export function errorLines(error: unknown): string[] {
  if (error instanceof UserErrorsError) return error.userErrors.map((e) => `${e.code}: ${e.message}`);
  if (error instanceof TokenRequestError) return [`${error.error}${error.errorDescription ? `: ${error.errorDescription}` : ''}`];
  return [error instanceof Error ? error.message : String(error)];
}

/** The exit code of a failed command. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof NotSignedInError) return EXIT.auth;
  if (error instanceof ManagementApiError && (error.status === 401 || error.code === 'UNAUTHENTICATED')) return EXIT.auth;
  if (error instanceof TokenRequestError && (error.status === 401 || error.error === 'invalid_client')) return EXIT.auth;
  return EXIT.failure;
}
