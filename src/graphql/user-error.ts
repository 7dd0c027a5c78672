import { GraphQLError } from 'graphql';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { DomainError, USER_ERROR_CODES, UserErrorCode } from '../domain/errors';
import { WorkLimiterFull } from '../lib/work-limiter';
import { enumOf } from './enums';

export const UserErrorCodeEnum = enumOf(USER_ERROR_CODES);
registerEnumType(UserErrorCodeEnum, {
  name: 'UserErrorCode',
  description: 'Why a mutation was refused.',
  valuesConfig: {
    INVALID: { description: 'The value breaks a validation rule.' },
    TAKEN: { description: 'The value must be unique and is already used.' },
    NOT_FOUND: { description: 'The referenced object does not exist.' },
    IMMUTABLE: { description: 'The field cannot change after creation.' },
    LIMIT_EXCEEDED: { description: 'A size limit would be exceeded.' },
    SYSTEM_RESOURCE: { description: 'System objects cannot be changed this way.' },
  },
});

@ObjectType({ description: 'A business rule refused the mutation; nothing was changed.' })
export class UserError {
  @Field(() => [String], { nullable: true, description: 'Path to the input field at fault, e.g. ["input", "name"].' })
  field!: string[] | null;

  @Field()
  message!: string;

  @Field(() => UserErrorCodeEnum)
  code!: UserErrorCode;
}

/**
 * Runs a mutation body: its result on success, `{ userErrors }` when a business rule refused it.
 * Too much password hashing running and waiting in the process is the top-level error
 * SERVICE_UNAVAILABLE (nothing was changed; the same call may succeed in a moment). Anything else
 * is a server fault and propagates to the top-level `errors`.
 */
export async function mutate<T extends object>(run: () => Promise<T>): Promise<Partial<T> & { userErrors: UserError[] }> {
  try {
    return { ...(await run()), userErrors: [] };
  } catch (error) {
    if (error instanceof DomainError) return { userErrors: error.issues } as never;
    if (error instanceof WorkLimiterFull) {
      throw new GraphQLError('The server is busy hashing passwords; nothing was changed. Try again in a few seconds.', {
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      });
    }
    throw error;
  }
}
