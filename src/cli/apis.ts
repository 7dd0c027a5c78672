import {
  assertNoUserErrors,
  ResourceServerCreateDocument,
  ResourceServerDeleteDocument,
  ResourceServersDocument,
  ResourceServerScopesAddDocument,
  ResourceServerScopesRemoveDocument,
  type ResourceServerFieldsFragment,
  type ScopeInput,
  type SigningAlgorithm,
} from '../../sdk/index';
import { integerOption, listOption, type Command } from './args';
import { requireApi } from './lookup';
import type { Output } from './output';
import { allNodes, PAGE_SIZE } from './pages';

export const summary = 'APIs (resource servers) and their scopes';

/** `read:x=Read x` → { value, description }. */
const scopeInput = (text: string): ScopeInput => {
  const at = text.indexOf('=');
  return at < 0 ? { value: text } : { value: text.slice(0, at), description: text.slice(at + 1) };
};

function printApi(out: Output, api: ResourceServerFieldsFragment): void {
  out.details({
    name: api.name,
    identifier: api.identifier,
    id: api.id,
    system: api.isSystem,
    'signing algorithm': api.signingAlgorithm,
    'token dialect': api.tokenDialect,
    'token lifetime': `${api.tokenLifetime} s`,
    'offline access': api.allowOfflineAccess,
    'token hook': api.tokenHook?.url,
    created: api.createdAt,
  });
  out.line();
  out.table(api.scopes, { SCOPE: (s) => s.value, DESCRIPTION: (s) => s.description });
}

const API_ARG = '<api>';
const API_HELP = '<api> is the API identifier (e.g. https://organizer.example/) or its ID.';

export const commands: Command[] = [
  {
    path: 'apis list',
    summary: 'List the APIs.',
    async run({ out, session }) {
      const s = await session();
      const apis = await allNodes(async (after) => (await s.request(ResourceServersDocument, { first: PAGE_SIZE, after })).resourceServers);
      out.result(apis, () =>
        out.table(apis, {
          NAME: (a) => a.name,
          IDENTIFIER: (a) => a.identifier,
          ALG: (a) => a.signingAlgorithm,
          SCOPES: (a) => a.scopes.length,
          ID: (a) => a.id,
        }),
      );
    },
  },
  {
    path: 'apis create',
    args: '<identifier>',
    summary: 'Define an API; its identifier is the audience of its tokens.',
    positionals: { min: 1, max: 1 },
    options: {
      name: { type: 'string', value: '<name>', description: 'Display name', required: true },
      scope: { type: 'string', multiple: true, value: '<scope>[=<description>]', description: 'A scope (repeatable)' },
      'signing-algorithm': { type: 'string', value: '<alg>', description: 'RS256 (default), PS256, ES256, EdDSA or HS256' },
      'token-lifetime': { type: 'string', value: '<seconds>', description: 'Access token lifetime in seconds (default 86400)' },
    },
    details: 'An HS256 API prints its signing secret once.',
    async run({ values, positionals, out, session }) {
      const input = {
        identifier: positionals[0],
        name: values.name as string,
        scopes: listOption(values, 'scope').map(scopeInput),
        signingAlgorithm: values['signing-algorithm'] as SigningAlgorithm | undefined,
        tokenLifetime: integerOption(values, 'token-lifetime', { min: 0 }),
      };
      const s = await session();
      const { resourceServerCreate } = await s.request(ResourceServerCreateDocument, { input });
      const { resourceServer, signingSecret } = assertNoUserErrors(resourceServerCreate);
      out.result({ resourceServer, signingSecret }, () => {
        out.line(out.style('green', `Created API ${resourceServer!.identifier}`));
        printApi(out, resourceServer!);
        if (signingSecret) out.line(`\nsigning secret (shown once): ${signingSecret}`);
      });
    },
  },
  {
    path: 'apis show',
    args: API_ARG,
    summary: 'Show an API and its scopes.',
    details: API_HELP,
    positionals: { min: 1, max: 1 },
    async run({ positionals, out, session }) {
      const api = await requireApi(await session(), positionals[0]);
      out.result(api, () => printApi(out, api));
    },
  },
  {
    path: 'apis delete',
    args: API_ARG,
    summary: 'Delete an API.',
    details: API_HELP,
    positionals: { min: 1, max: 1 },
    async run({ positionals, out, session }) {
      const s = await session();
      const api = await requireApi(s, positionals[0]);
      const { resourceServerDelete } = await s.request(ResourceServerDeleteDocument, { id: api.id });
      const { deletedId } = assertNoUserErrors(resourceServerDelete);
      out.result({ deletedId }, () => out.line(`Deleted API ${api.identifier}`));
    },
  },
  {
    path: 'apis scopes add',
    args: `${API_ARG} <scope>[=<description>]...`,
    summary: 'Add scopes to an API.',
    details: API_HELP,
    positionals: { min: 2, max: 1000 },
    async run({ positionals: [reference, ...scopes], out, session }) {
      const s = await session();
      const api = await requireApi(s, reference);
      const { resourceServerScopesAdd } = await s.request(ResourceServerScopesAddDocument, { id: api.id, scopes: scopes.map(scopeInput) });
      const updated = assertNoUserErrors(resourceServerScopesAdd).resourceServer!;
      out.result(updated, () => printApi(out, updated));
    },
  },
  {
    path: 'apis scopes remove',
    args: `${API_ARG} <scope>...`,
    summary: 'Remove scopes from an API.',
    details: API_HELP,
    positionals: { min: 2, max: 1000 },
    async run({ positionals: [reference, ...values], out, session }) {
      const s = await session();
      const api = await requireApi(s, reference);
      const { resourceServerScopesRemove } = await s.request(ResourceServerScopesRemoveDocument, { id: api.id, values });
      const updated = assertNoUserErrors(resourceServerScopesRemove).resourceServer!;
      out.result(updated, () => printApi(out, updated));
    },
  },
];
