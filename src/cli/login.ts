import { getClientCredentialsToken } from '../../sdk/index';
import type { Command } from './args';
import { UsageError } from './errors';
import { DEFAULT_URL, defaultAudience, describedFetch, removeSession, saveSession, sessionFile } from './session';

export const summary = 'Sign in to a service with a management client (and sign out)';

export const commands: Command[] = [
  {
    path: 'login',
    summary: 'Sign in with a management client id and secret; keep the token.',
    details: [
      'The credentials come from the options or from APIAUTH_CLIENT_ID, APIAUTH_CLIENT_SECRET and APIAUTH_URL',
      '(the environment keeps the secret out of the process list). The token, never the secret, is kept in',
      `${sessionFile()} (mode 0600) until it expires; then sign in again.`,
      'Without logging in, commands run with APIAUTH_CLIENT_ID and APIAUTH_CLIENT_SECRET set get a token',
      'of their own, kept in memory only.',
    ].join('\n'),
    options: {
      url: { type: 'string', value: '<issuer>', description: `The service's base URL (default $APIAUTH_URL or ${DEFAULT_URL})` },
      'client-id': { type: 'string', value: '<id>', description: 'Management client id (default $APIAUTH_CLIENT_ID)' },
      'client-secret': { type: 'string', value: '<secret>', description: 'Its secret (default $APIAUTH_CLIENT_SECRET)' },
      audience: { type: 'string', value: '<uri>', description: "The Management API's identifier (default <issuer>/api/v2/)" },
    },
    async run({ values, out }) {
      const env = process.env;
      const url = (values.url as string | undefined) ?? (env.APIAUTH_URL || DEFAULT_URL);
      const clientId = (values['client-id'] as string | undefined) ?? env.APIAUTH_CLIENT_ID;
      const clientSecret = (values['client-secret'] as string | undefined) ?? env.APIAUTH_CLIENT_SECRET;
      if (!clientId || !clientSecret)
        throw new UsageError('give --client-id and --client-secret (or APIAUTH_CLIENT_ID and APIAUTH_CLIENT_SECRET)');
      if (!URL.canParse(url)) throw new UsageError(`--url is not a URL: "${url.slice(0, 100)}"`);
      const audience = (values.audience as string | undefined) ?? (env.APIAUTH_AUDIENCE || defaultAudience(url));
      const token = await out.spin(
        'Signing in…',
        getClientCredentialsToken({ issuer: url, clientId, clientSecret, audience, fetch: describedFetch(url) }),
      );
      const expiresAt = new Date(Date.now() + token.expiresIn * 1000).toISOString();
      const file = saveSession({ url, clientId, audience, accessToken: token.accessToken, expiresAt });
      const scopes = token.scope.split(' ').filter(Boolean);
      out.result({ url, clientId, audience, expiresAt, scopes, sessionFile: file }, () => {
        out.line(out.style('green', `Signed in to ${url} as ${clientId}`));
        out.line(`${scopes.length} management scopes, until ${expiresAt}; token kept in ${file}`);
      });
    },
  },
  {
    path: 'logout',
    summary: 'Forget the stored token.',
    async run({ out }) {
      const removed = removeSession();
      out.result({ signedOut: removed }, () => out.line(removed ? 'Signed out' : 'Not signed in'));
    },
  },
];
