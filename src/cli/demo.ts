import {
  assertNoUserErrors,
  ClientCreateDocument,
  ClientGrantCreateDocument,
  ClientGrantsDocument,
  ClientsDocument,
  ResourceServerCreateDocument,
  ResourceServerScopesAddDocument,
  type ScopeInput,
} from '../../sdk/index';
import type { Command } from './args';
import { findApi } from './lookup';
import type { Output } from './output';
import { allNodes, PAGE_SIZE } from './pages';
import type { Session } from './session';

export const summary = "Set up the README tour's Organizer API, client and grant";

/** The README tour's example (examples/organizer-api): its API, machine client and grant. */
const ORGANIZER = {
  name: 'Organizer',
  identifier: 'https://organizer.example/',
  scopes: [
    { value: 'read:appointments', description: 'Read appointments' },
    { value: 'write:appointments', description: 'Create appointments' },
  ] satisfies ScopeInput[],
};
const CLIENT_NAME = 'Calendar sync';
const GRANTED_SCOPES = ['read:appointments'];
const ORGANIZER_URL = 'http://localhost:5000';

/** The Organizer API, created or completed with its scopes. */
async function ensureApi(s: Session) {
  const existing = await findApi(s, ORGANIZER.identifier);
  if (!existing) {
    const { resourceServerCreate } = await s.request(ResourceServerCreateDocument, { input: ORGANIZER });
    return { api: assertNoUserErrors(resourceServerCreate).resourceServer!, created: true };
  }
  const missing = ORGANIZER.scopes.filter((scope) => !existing.scopes.some((s) => s.value === scope.value));
  if (missing.length === 0) return { api: existing, created: false };
  const { resourceServerScopesAdd } = await s.request(ResourceServerScopesAddDocument, { id: existing.id, scopes: missing });
  return { api: assertNoUserErrors(resourceServerScopesAdd).resourceServer!, created: false };
}

/** The "Calendar sync" machine client (found by name); its secret only when made now. */
async function ensureClient(s: Session) {
  const filter = { appType: 'MACHINE_TO_MACHINE' as const };
  const clients = await allNodes(async (after) => (await s.request(ClientsDocument, { first: PAGE_SIZE, after, filter })).clients);
  const existing = clients.find((client) => client.name === CLIENT_NAME);
  if (existing) return { client: existing, clientSecret: null, created: false };
  const { clientCreate } = await s.request(ClientCreateDocument, { input: { name: CLIENT_NAME, appType: 'MACHINE_TO_MACHINE' } });
  const { client, clientSecret } = assertNoUserErrors(clientCreate);
  return { client: client!, clientSecret: clientSecret ?? null, created: true };
}

async function ensureGrant(s: Session, clientId: string, resourceServerId: string) {
  const { clientGrants } = await s.request(ClientGrantsDocument, {
    first: 1,
    filter: { client: clientId, resourceServer: resourceServerId },
  });
  if (clientGrants.nodes[0]) return { grant: clientGrants.nodes[0], created: false };
  const { clientGrantCreate } = await s.request(ClientGrantCreateDocument, {
    input: { clientId, resourceServerId, scopes: GRANTED_SCOPES },
  });
  return { grant: assertNoUserErrors(clientGrantCreate).clientGrant!, created: true };
}

function printNext(out: Output, url: string, clientId: string, clientSecret: string | null, grantId: string): void {
  const heading = (text: string) => out.line(out.style('bold', text));
  heading('\nWhat to try next:');
  out.line(`1. Start the example API (another terminal): npm run example:organizer   # ${ORGANIZER_URL}`);
  out.line('2. Get a token as the application:');
  out.line(`     export AS=${url} APP_CLIENT_ID=${clientId} APP_SECRET=${clientSecret ?? '<its secret>'}`);
  if (!clientSecret) {
    out.line(
      out.style(
        'dim',
        `     (the secret was shown when the client was made; \`apiauth clients rotate-secret ${clientId}\` gives a new one)`,
      ),
    );
  }
  out.line('     export TOKEN=$(curl -s -u "$APP_CLIENT_ID:$APP_SECRET" -d grant_type=client_credentials \\');
  out.line(
    `       -d audience=${ORGANIZER.identifier} $AS/oauth/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
  );
  out.line(`   or, without the secret: apiauth token get --client ${clientId} --audience ${ORGANIZER.identifier} --decode`);
  out.line('3. Call the API:');
  out.line(`     curl -s ${ORGANIZER_URL}/appointments -H "authorization: Bearer $TOKEN"   # {"appointments":[]}`);
  out.line('4. Grant write:appointments too, get a new token, and create an appointment:');
  out.line(`     apiauth grants update ${grantId} --scope read:appointments --scope write:appointments`);
}

export const commands: Command[] = [
  {
    path: 'demo',
    summary: 'Set up the Organizer example API, client and grant; print what to try next.',
    details: 'Safe to run again: what exists is kept (an existing client keeps its secret, which is shown only when the client is made).',
    async run({ out, session }) {
      const s = await session();
      const { api, created: apiCreated } = await ensureApi(s);
      const { client, clientSecret, created: clientCreated } = await ensureClient(s);
      const { grant, created: grantCreated } = await ensureGrant(s, client.id, api.id);
      const result = {
        issuer: s.url,
        api: { id: api.id, identifier: api.identifier, scopes: api.scopes.map((scope) => scope.value), created: apiCreated },
        client: { id: client.id, clientId: client.clientId, name: client.name, created: clientCreated },
        clientSecret,
        grant: { id: grant.id, scopes: grant.scopes, created: grantCreated },
      };
      out.result(result, () => {
        const state = (created: boolean) => (created ? out.style('green', 'created') : out.style('dim', 'exists '));
        out.line(`${state(apiCreated)}  API ${api.name} ${api.identifier} (${result.api.scopes.join(' ')})`);
        out.line(`${state(clientCreated)}  client ${client.name} ${client.clientId}`);
        out.line(`${state(grantCreated)}  grant ${grant.scopes.join(' ')} for ${client.name} on ${api.identifier}`);
        if (clientSecret) out.line(`\nclient secret (shown once, keep it): ${out.style('yellow', clientSecret)}`);
        printNext(out, s.url, client.clientId, clientSecret, grant.id);
      });
    },
  },
];
