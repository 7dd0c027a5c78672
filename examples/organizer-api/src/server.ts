/**
 * Runs the Organizer example API on its own:
 *   ISSUER (default http://localhost:4000)   the authorization server
 *   AUDIENCE (default https://organizer.example/)   this API's identifier there
 *   PORT (default 5000), HOST (default 127.0.0.1)
 */
import { createOrganizerApi } from './app';

const issuer = (process.env.ISSUER ?? 'http://localhost:4000').replace(/\/+$/, '');
const audience = process.env.AUDIENCE ?? 'https://organizer.example/';
const port = Number(process.env.PORT ?? 5000);
const host = process.env.HOST ?? '127.0.0.1';

const server = createOrganizerApi({ issuerBaseURL: issuer, audience }).listen(port, host, () => {
  console.log(`Organizer API on http://${host}:${port} (issuer ${issuer}, audience ${audience})`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
