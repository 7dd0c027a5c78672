import type { Command } from './args';

export const summary = "Local administration, on the service's own configuration and database";

export const commands: Command[] = [
  {
    path: 'admin reset-credentials',
    summary: 'Give the generated management client a new secret, printed once.',
    details: [
      'Ends the old secret at once. Runs where the service runs, on its configuration and database',
      '(DATABASE_URL or DATA_DIR, ISSUER, ...: the same environment as `npm start`), not through the',
      'Management API: no login needed. On the embedded database, stop the service first.',
    ].join('\n'),
    async run() {
      // Loaded when it runs: the other commands start without TypeORM and the domain.
      const { resetCredentials } = require('./admin-reset-credentials') as typeof import('./admin-reset-credentials');
      await resetCredentials();
    },
  },
];
