import type { Config } from './config';
import type { ManagementCredentials } from './domain/management/bootstrap';
import { endpointUrl } from './lib/issuer-url';
import { ADMIN_SETUP_LIFETIME_SECONDS } from './domain/management/administrator';
import { adminSetupLink } from './http/console-setup';

/** What a terminal shows once a start or `apiauth admin reset-credentials` made a management secret (stdout, not the log). */
export function printManagementCredentials(config: Pick<Config, 'issuer' | 'managementAudience'>, client: ManagementCredentials): void {
  process.stdout.write(
    [
      '',
      '================ Management API credentials (shown once) ================',
      `client_id:     ${client.clientId}`,
      `client_secret: ${client.clientSecret}`,
      '',
      'Get a management token:',
      `  curl -s -u '${client.clientId}:${client.clientSecret}' \\`,
      `    -d grant_type=client_credentials -d 'audience=${config.managementAudience}' \\`,
      `    ${endpointUrl(config.issuer, '/oauth/token')}`,
      '',
      'Lost them? `npx apiauth admin reset-credentials` (with the service stopped) makes a new secret.',
      '=========================================================================',
      '',
    ].join('\n'),
  );
}

/** One line for every later start: where to go next, and how to recover lost credentials. */
export function printWhatNext(config: Pick<Config, 'issuer' | 'explorer' | 'bootstrapClient'>): void {
  const parts = [
    ...(config.explorer ? [`explorer ${endpointUrl(config.issuer, '/explorer')}`] : []),
    `discovery ${endpointUrl(config.issuer, '/.well-known/openid-configuration')}`,
    ...(config.bootstrapClient ? [] : ['lost the management credentials? npx apiauth admin reset-credentials']),
  ];
  process.stdout.write(`apiauth: ${parts.join(' · ')}\n`);
}

/** The one-time link that sets the first administrator (no BOOTSTRAP_ADMIN_*, no one holds the Administrator role yet). */
export function printAdminSetupLink(config: Pick<Config, 'issuer'>, token: string): void {
  process.stdout.write(
    [
      '',
      '================ Set up the first administrator (link shown once) ================',
      adminSetupLink(config.issuer, token),
      '',
      `Open it within ${ADMIN_SETUP_LIFETIME_SECONDS / 3600} hours to choose the administrator's email and password;`,
      'it works once, and the next start prints a new one (this one then stops working).',
      'Or set BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD.',
      '===================================================================================',
      '',
    ].join('\n'),
  );
}
