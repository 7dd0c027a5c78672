import {
  assertNoUserErrors,
  ClientGrantCreateDocument,
  ClientGrantDeleteDocument,
  ClientGrantsDocument,
  ClientGrantUpdateDocument,
  type ClientGrantFieldsFragment,
} from '../../sdk/index';
import { listOption, type Command } from './args';
import { requireApi, requireClient } from './lookup';
import type { Output } from './output';
import { allNodes, PAGE_SIZE } from './pages';

export const summary = 'Client grants: a client authorized for an API with some of its scopes';

function printGrant(out: Output, grant: ClientGrantFieldsFragment): void {
  out.details({
    id: grant.id,
    client: grant.client && `${grant.client.name} (${grant.client.clientId})`,
    api: grant.resourceServer?.identifier,
    scopes: grant.scopes.join(' '),
    updated: grant.updatedAt,
  });
}

const SCOPE_OPTION = {
  type: 'string',
  multiple: true,
  value: '<scope>',
  description: 'A granted scope (repeatable)',
  required: true,
} as const;
const GRANT_ARG = '<grant-id>';
const GRANT_HELP = "<grant-id> is the grant's ID (`apiauth grants list` shows them).";

export const commands: Command[] = [
  {
    path: 'grants list',
    summary: 'List client grants.',
    options: {
      client: { type: 'string', value: '<client>', description: 'Only this client (client_id or ID)' },
      api: { type: 'string', value: '<api>', description: 'Only this API (identifier or ID)' },
    },
    async run({ values, out, session }) {
      const s = await session();
      const filter = {
        client: typeof values.client === 'string' ? (await requireClient(s, values.client)).id : undefined,
        resourceServer: typeof values.api === 'string' ? (await requireApi(s, values.api)).id : undefined,
      };
      const grants = await allNodes(
        async (after) => (await s.request(ClientGrantsDocument, { first: PAGE_SIZE, after, filter })).clientGrants,
      );
      out.result(grants, () =>
        out.table(grants, {
          CLIENT: (g) => g.client?.clientId,
          API: (g) => g.resourceServer?.identifier,
          SCOPES: (g) => g.scopes.join(' '),
          ID: (g) => g.id,
        }),
      );
    },
  },
  {
    path: 'grants create',
    summary: 'Authorize a client for an API with some of its scopes.',
    options: {
      client: { type: 'string', value: '<client>', description: 'The client (client_id or ID)', required: true },
      api: { type: 'string', value: '<api>', description: 'The API (identifier or ID)', required: true },
      scope: SCOPE_OPTION,
    },
    async run({ values, out, session }) {
      const s = await session();
      const client = await requireClient(s, values.client as string);
      const api = await requireApi(s, values.api as string);
      const input = { clientId: client.id, resourceServerId: api.id, scopes: listOption(values, 'scope') };
      const { clientGrantCreate } = await s.request(ClientGrantCreateDocument, { input });
      const grant = assertNoUserErrors(clientGrantCreate).clientGrant!;
      out.result(grant, () => {
        out.line(out.style('green', 'Created client grant'));
        printGrant(out, grant);
      });
    },
  },
  {
    path: 'grants update',
    args: GRANT_ARG,
    summary: "Replace a grant's scopes.",
    details: `${GRANT_HELP}\nTokens issued before keep their scopes until they expire.`,
    positionals: { min: 1, max: 1 },
    options: { scope: SCOPE_OPTION },
    async run({ values, positionals, out, session }) {
      const s = await session();
      const { clientGrantUpdate } = await s.request(ClientGrantUpdateDocument, {
        id: positionals[0],
        input: { scopes: listOption(values, 'scope') },
      });
      const grant = assertNoUserErrors(clientGrantUpdate).clientGrant!;
      out.result(grant, () => printGrant(out, grant));
    },
  },
  {
    path: 'grants delete',
    args: GRANT_ARG,
    summary: 'Delete a client grant: no new tokens for that client and API.',
    details: GRANT_HELP,
    positionals: { min: 1, max: 1 },
    options: { 'revoke-tokens': { type: 'boolean', description: 'Also refuse the tokens already issued under the grant' } },
    async run({ values, positionals, out, session }) {
      const s = await session();
      const { clientGrantDelete } = await s.request(ClientGrantDeleteDocument, {
        id: positionals[0],
        input: { revokeIssuedTokens: values['revoke-tokens'] === true },
      });
      const { deletedId } = assertNoUserErrors(clientGrantDelete);
      out.result({ deletedId }, () => out.line(`Deleted client grant ${deletedId}`));
    },
  },
];
