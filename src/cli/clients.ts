import {
  assertNoUserErrors,
  ClientCreateDocument,
  ClientSecretRotateDocument,
  ClientsDocument,
  type ApplicationType,
  type ClientFieldsFragment,
} from '../../sdk/index';
import { enumOption, integerOption, listOption, type Command } from './args';
import { requireClient } from './lookup';
import type { Output } from './output';
import { allNodes, PAGE_SIZE } from './pages';

export const summary = 'Clients (applications) and their secrets';

function printClient(out: Output, client: ClientFieldsFragment): void {
  out.details({
    name: client.name,
    client_id: client.clientId,
    id: client.id,
    type: client.appType,
    'grant types': client.grantTypes.join(' '),
    'auth method': client.tokenEndpointAuthMethod,
    callbacks: client.callbacks.join(' '),
    secrets: client.secrets.map((s) => `…${s.lastFour}${s.expiresAt ? ` (expires ${s.expiresAt})` : ''}`).join(', '),
    created: client.createdAt,
  });
}

const CLIENT_ARG = '<client>';
const CLIENT_HELP = "<client> is the OAuth client_id or the client's ID (one starting with '-' goes after `--`).";

/** A secret shown once: said so, and how to get another. */
function printSecret(out: Output, secret: string | null | undefined): void {
  if (secret) out.line(`\nclient secret (shown once, keep it): ${out.style('yellow', secret)}`);
}

export const commands: Command[] = [
  {
    path: 'clients list',
    summary: 'List the clients.',
    options: { type: { type: 'string', value: '<type>', description: 'Only this type: machine-to-machine, regular-web, spa, native' } },
    async run({ values, out, session }) {
      const s = await session();
      const filter = { appType: enumOption<ApplicationType>(values, 'type') };
      const clients = await allNodes(async (after) => (await s.request(ClientsDocument, { first: PAGE_SIZE, after, filter })).clients);
      out.result(clients, () =>
        out.table(clients, { NAME: (c) => c.name, CLIENT_ID: (c) => c.clientId, TYPE: (c) => c.appType, ID: (c) => c.id }),
      );
    },
  },
  {
    path: 'clients create',
    summary: 'Register a client; its secret is printed once.',
    options: {
      name: { type: 'string', value: '<name>', description: 'Display name', required: true },
      type: {
        type: 'string',
        value: '<type>',
        description: 'machine-to-machine (default), regular-web, spa or native',
      },
      callback: { type: 'string', multiple: true, value: '<url>', description: 'A redirect URI (repeatable)' },
      description: { type: 'string', value: '<text>', description: 'Description' },
    },
    async run({ values, out, session }) {
      const input = {
        name: values.name as string,
        appType: enumOption<ApplicationType>(values, 'type') ?? 'MACHINE_TO_MACHINE',
        callbacks: listOption(values, 'callback'),
        description: values.description as string | undefined,
      };
      const s = await session();
      const { clientCreate } = await s.request(ClientCreateDocument, { input });
      const { client, clientSecret } = assertNoUserErrors(clientCreate);
      out.result({ client, clientSecret }, () => {
        out.line(out.style('green', `Created client ${client!.name}`));
        printClient(out, client!);
        printSecret(out, clientSecret);
      });
    },
  },
  {
    path: 'clients show',
    args: CLIENT_ARG,
    summary: 'Show a client (never its secret).',
    details: CLIENT_HELP,
    positionals: { min: 1, max: 1 },
    async run({ positionals, out, session }) {
      const client = await requireClient(await session(), positionals[0]);
      out.result(client, () => printClient(out, client));
    },
  },
  {
    path: 'clients rotate-secret',
    args: CLIENT_ARG,
    summary: 'Give a client a new secret, printed once.',
    details: `${CLIENT_HELP}\nThe old secret stops working at once, or after --grace seconds (at most 30 days).`,
    positionals: { min: 1, max: 1 },
    options: { grace: { type: 'string', value: '<seconds>', description: 'Seconds the old secret keeps working (default 0)' } },
    async run({ values, positionals, out, session }) {
      const previousSecretExpiresIn = integerOption(values, 'grace', { min: 0 });
      const s = await session();
      const existing = await requireClient(s, positionals[0]);
      const { clientSecretRotate } = await s.request(ClientSecretRotateDocument, { id: existing.id, input: { previousSecretExpiresIn } });
      const { client, clientSecret } = assertNoUserErrors(clientSecretRotate);
      out.result({ client, clientSecret }, () => {
        out.line(out.style('green', `New secret for ${client!.name} (${client!.clientId})`));
        printSecret(out, clientSecret);
      });
    },
  },
];
