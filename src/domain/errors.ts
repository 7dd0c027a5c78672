/** The codes a business failure can carry; mirrored by the GraphQL `UserErrorCode` enum. */
export const USER_ERROR_CODES = ['INVALID', 'TAKEN', 'NOT_FOUND', 'IMMUTABLE', 'LIMIT_EXCEEDED', 'SYSTEM_RESOURCE'] as const;
export type UserErrorCode = (typeof USER_ERROR_CODES)[number];

export interface Issue {
  code: UserErrorCode;
  /** Path to the offending input, e.g. ['input', 'callbacks', '2']. */
  field: string[] | null;
  message: string;
}

/**
 * A business rule said no. Services throw it (inside their transaction, so nothing is written);
 * the GraphQL layer turns its issues into `userErrors`.
 */
export class DomainError extends Error {
  constructor(public readonly issues: Issue[]) {
    super(issues.map((i) => i.message).join('; '));
    this.name = 'DomainError';
  }

  static of(code: UserErrorCode, field: string[] | null, message: string): DomainError {
    return new DomainError([{ code, field, message }]);
  }

  static notFound(field: string[], what: string): DomainError {
    return DomainError.of('NOT_FOUND', field, `${what} not found`);
  }
}

/** Collects every problem of one input before failing, so a client sees them all at once. */
export class IssueList {
  readonly issues: Issue[] = [];

  add(code: UserErrorCode, field: string[] | null, message: string): void {
    this.issues.push({ code, field, message });
  }

  throwIfAny(): void {
    if (this.issues.length > 0) throw new DomainError(this.issues);
  }
}

/** PostgreSQL unique_violation, raised when a concurrent writer won a race for a unique key. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e?.code ?? e?.driverError?.code;
  const name = e?.constraint ?? e?.driverError?.constraint;
  return code === '23505' && (constraint === undefined || name === constraint);
}
