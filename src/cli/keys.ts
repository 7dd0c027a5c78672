import {
  assertNoUserErrors,
  SigningKeyRevokeDocument,
  SigningKeyRotateDocument,
  SigningKeysDocument,
  type SigningAlgorithm,
  type SigningKeyFieldsFragment,
  type SigningKeyState,
} from '../../sdk/index';
import { enumOption, type Command } from './args';
import { UsageError } from './errors';
import type { Output } from './output';
import { allNodes, PAGE_SIZE } from './pages';

export const summary = 'Signing keys: list, rotate, revoke';

const printKeys = (out: Output, keys: readonly SigningKeyFieldsFragment[]) =>
  out.table(keys, {
    KID: (k) => k.kid,
    ALG: (k) => k.algorithm,
    STATE: (k) => k.state,
    CREATED: (k) => k.createdAt,
    ACTIVATED: (k) => k.activatedAt,
  });

export const commands: Command[] = [
  {
    path: 'keys list',
    summary: 'List the signing keys of every algorithm.',
    options: {
      algorithm: { type: 'string', value: '<alg>', description: 'Only this algorithm (RS256, PS256, ES256, EdDSA)' },
      state: { type: 'string', value: '<state>', description: 'Only this state (next, current, previous, revoked)' },
    },
    async run({ values, out, session }) {
      const s = await session();
      const filter = {
        algorithm: typeof values.algorithm === 'string' ? (values.algorithm as SigningAlgorithm) : undefined,
        state: enumOption<SigningKeyState>(values, 'state'),
      };
      const keys = await allNodes(async (after) => (await s.request(SigningKeysDocument, { first: PAGE_SIZE, after, filter })).signingKeys);
      out.result(keys, () => printKeys(out, keys));
    },
  },
  {
    path: 'keys rotate',
    args: '<alg>',
    summary: 'Rotate a key ring: next → current → previous, and a new next key.',
    details: 'Wait for the longest token lifetime before revoking the previous key, unless it is compromised.',
    positionals: { min: 1, max: 1 },
    async run({ positionals, out, session }) {
      const s = await session();
      const { signingKeyRotate } = await s.request(SigningKeyRotateDocument, { algorithm: positionals[0] as SigningAlgorithm });
      const { previous, current, next } = assertNoUserErrors(signingKeyRotate);
      out.result({ previous, current, next }, () =>
        printKeys(
          out,
          [previous, current, next].filter((k) => k != null),
        ),
      );
    },
  },
  {
    path: 'keys revoke',
    args: '<kid>',
    summary: 'Revoke a previous key for good: its tokens are refused.',
    positionals: { min: 1, max: 1 },
    async run({ positionals, out, session }) {
      if (positionals[0].trim() === '') throw new UsageError('<kid> is empty');
      const s = await session();
      const { signingKeyRevoke } = await s.request(SigningKeyRevokeDocument, { kid: positionals[0] });
      const key = assertNoUserErrors(signingKeyRevoke).signingKey!;
      out.result(key, () => {
        out.line(out.style('green', `Revoked ${key.kid}`));
        printKeys(out, [key]);
      });
    },
  },
];
