import { AccessTokenIssueDocument, assertNoUserErrors } from '../../sdk/index';
import { listOption, type Command } from './args';
import { CommandFailedError } from './errors';
import { requireApi, requireClient } from './lookup';

export const summary = 'Access tokens issued through the Management API (no client secret needed)';

/** A JWT's header and claims, read without verifying it. */
function decodeJwt(token: string): { header: unknown; claims: unknown } {
  const [header, payload] = token.split('.');
  try {
    const part = (text: string) => JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    return { header: part(header), claims: part(payload) };
  } catch {
    throw new CommandFailedError('the token is not a JWT that can be decoded');
  }
}

export const commands: Command[] = [
  {
    path: 'token get',
    summary: 'Issue an access token for a client and an API.',
    details:
      'The client needs a client grant on the API. --decode shows the header and claims, read without verifying the signature\n(verify with the JWKS at <issuer>/.well-known/jwks.json).',
    options: {
      client: { type: 'string', value: '<client>', description: 'The client (client_id or ID)', required: true },
      audience: { type: 'string', value: '<api>', description: 'The API (identifier or ID)', required: true },
      scope: { type: 'string', multiple: true, value: '<scope>', description: 'A scope to ask for (repeatable; default: all granted)' },
      decode: { type: 'boolean', description: 'Also print the header and claims' },
    },
    async run({ values, out, session }) {
      const s = await session();
      const client = await requireClient(s, values.client as string);
      const api = await requireApi(s, values.audience as string);
      const scopes = listOption(values, 'scope');
      const { accessTokenIssue } = await s.request(AccessTokenIssueDocument, {
        input: { clientId: client.id, resourceServerId: api.id, scopes: scopes.length ? scopes : undefined },
      });
      const { accessToken, tokenType, expiresIn, scope } = assertNoUserErrors(accessTokenIssue);
      const decoded = values.decode ? decodeJwt(accessToken!) : undefined;
      out.result({ accessToken, tokenType, expiresIn, scope, ...decoded }, () => {
        out.line(accessToken!);
        if (decoded) {
          out.line(`\n${out.style('bold', 'header')} ${JSON.stringify(decoded.header, null, 2)}`);
          out.line(`${out.style('bold', 'claims')} ${JSON.stringify(decoded.claims, null, 2)}`);
          out.line(out.style('dim', `expires in ${expiresIn} s; scope: ${scope || '(none)'}`));
        }
      });
    },
  },
];
