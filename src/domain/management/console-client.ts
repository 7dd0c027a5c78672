import type { EntityManager } from 'typeorm';
import { ClientEntity } from '../client/client.entity';
import { generateClientId } from '../../crypto/random';
import { endpointUrl } from '../../lib/issuer-url';

export const CONSOLE_CLIENT_NAME = 'Console';

/** Whether the client is the built-in console. */
export function isConsole(client: Pick<ClientEntity, 'builtin'>): boolean {
  return client.builtin === 'CONSOLE';
}

/** Where the console lives under the issuer, and what it signs in with. */
export interface ConsoleUrls {
  redirectUri: string;
  postLogoutRedirectUri: string;
  origin: string;
}

export function consoleUrls(issuer: string): ConsoleUrls {
  return {
    redirectUri: endpointUrl(issuer, '/console/callback'),
    postLogoutRedirectUri: endpointUrl(issuer, '/console/'),
    origin: new URL(issuer).origin,
  };
}

/**
 * The console's settings that make it what it is: a public first-party SPA signing people in with
 * the authorization code flow (PKCE, required of every client) and rotating refresh tokens, its
 * URLs under the issuer. Written at every start (they follow ISSUER); the Management API refuses
 * to change them (ClientService, SYSTEM_RESOURCE).
 */
export function consoleSettings(issuer: string) {
  const urls = consoleUrls(issuer);
  return {
    appType: 'SPA' as const,
    isFirstParty: true,
    grantTypes: ['AUTHORIZATION_CODE' as const, 'REFRESH_TOKEN' as const],
    tokenEndpointAuthMethod: 'NONE' as const,
    callbacks: [urls.redirectUri],
    allowedOrigins: [urls.origin],
    allowedLogoutUrls: [urls.postLogoutRedirectUri],
    refreshTokenRotation: 'ROTATING' as const,
    jwks: null,
    requirePushedAuthorizationRequests: false,
  };
}

/** The console's settings a management call may not change (the keys of consoleSettings). */
export const CONSOLE_FIXED_FIELDS = Object.keys(consoleSettings('http://localhost')) as (keyof ReturnType<typeof consoleSettings>)[];

/** Makes sure the built-in console client exists with its settings for `issuer` (inside the bootstrap's lock); its uuid. */
export async function ensureConsoleClient(em: EntityManager, issuer: string): Promise<{ id: string; clientId: string; changed: boolean }> {
  const settings = consoleSettings(issuer);
  const existing = await em.findOneBy(ClientEntity, { builtin: 'CONSOLE' });
  if (!existing) {
    const client = em.create(ClientEntity, {
      ...settings,
      clientId: generateClientId(),
      name: CONSOLE_CLIENT_NAME,
      description: 'The built-in administration console',
      builtin: 'CONSOLE',
    });
    await em.insert(ClientEntity, client);
    return { id: client.id, clientId: client.clientId, changed: true };
  }
  const drifted = CONSOLE_FIXED_FIELDS.filter((name) => JSON.stringify(existing[name]) !== JSON.stringify(settings[name]));
  if (drifted.length > 0) {
    await em.update(ClientEntity, { id: existing.id }, Object.fromEntries(drifted.map((name) => [name, settings[name]])));
  }
  return { id: existing.id, clientId: existing.clientId, changed: drifted.length > 0 };
}
