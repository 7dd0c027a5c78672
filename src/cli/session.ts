import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clientCredentialsTokenProvider, createManagementClient, type ManagementClient } from '../../sdk/index';
import { endpointUrl } from '../lib/issuer-url';
import { NotSignedInError } from './errors';
import type { Output } from './output';

/**
 * Where the Management API session comes from: APIAUTH_CLIENT_ID and APIAUTH_CLIENT_SECRET (a token
 * fetched per run, kept in memory only) or else the token `apiauth login` stored in a 0600 file.
 * The client secret is never written to disk.
 */
export interface Session {
  /** The service's base URL (its issuer). */
  url: string;
  /** Runs one Management API operation, with a spinner while it takes. */
  request: ManagementClient['request'];
}

/** What `apiauth login` keeps. */
export interface StoredSession {
  url: string;
  clientId: string;
  audience: string;
  accessToken: string;
  /** ISO time the token expires. */
  expiresAt: string;
}

export const DEFAULT_URL = 'http://localhost:4000';

/** The Management API's audience at `url` unless configured otherwise (the service's MANAGEMENT_AUDIENCE). */
export const defaultAudience = (url: string) => endpointUrl(url, '/api/v2/');

/** `$XDG_CONFIG_HOME/apiauth/session.json`, else `~/.config/apiauth/session.json`. */
export function sessionFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(base, 'apiauth', 'session.json');
}

/** Writes the session readable by its owner only (0600, in a 0700 directory), replacing any other. */
export function saveSession(session: StoredSession): string {
  const file = sessionFile();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
  return file;
}

/** Deletes the stored session; false when there was none. */
export function removeSession(): boolean {
  try {
    fs.unlinkSync(sessionFile());
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

export function loadStoredSession(): StoredSession | undefined {
  let text: string;
  try {
    text = fs.readFileSync(sessionFile(), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stored = JSON.parse(text) as StoredSession;
    if (typeof stored.url === 'string' && typeof stored.accessToken === 'string' && typeof stored.expiresAt === 'string') return stored;
  } catch {
    /* unreadable: as if absent */
  }
  return undefined;
}

/** A fetch whose network failures name the URL and the cause (ECONNREFUSED…), not "fetch failed". */
export function describedFetch(url: string): typeof fetch {
  return (input, init) =>
    fetch(input, init).catch((error: Error & { cause?: { code?: string; message?: string } }) => {
      throw new Error(`cannot reach ${url} (${error.cause?.code ?? error.cause?.message ?? error.message})`);
    });
}

const NOT_SIGNED_IN =
  'not signed in: run `apiauth login --url <issuer> --client-id <id> --client-secret <secret>`, or set APIAUTH_CLIENT_ID and APIAUTH_CLIENT_SECRET (and APIAUTH_URL)';

/** The session of this run: the environment's credentials first, else the stored login. */
export function openSession(out: Output, env: NodeJS.ProcessEnv = process.env, now = new Date()): Session {
  let url: string;
  let getToken: () => Promise<string>;
  if (env.APIAUTH_CLIENT_ID && env.APIAUTH_CLIENT_SECRET) {
    url = env.APIAUTH_URL || DEFAULT_URL;
    getToken = clientCredentialsTokenProvider({
      issuer: url,
      clientId: env.APIAUTH_CLIENT_ID,
      clientSecret: env.APIAUTH_CLIENT_SECRET,
      audience: env.APIAUTH_AUDIENCE || defaultAudience(url),
      fetch: describedFetch(url),
    });
  } else {
    const stored = loadStoredSession();
    if (!stored) throw new NotSignedInError(NOT_SIGNED_IN);
    if (new Date(stored.expiresAt) <= now) {
      throw new NotSignedInError(`the session for ${stored.url} expired at ${stored.expiresAt}: run \`apiauth login\` again`);
    }
    url = stored.url;
    getToken = async () => stored.accessToken;
  }
  const client = createManagementClient({ url: endpointUrl(url, '/graphql'), getToken, fetch: describedFetch(url) });
  return {
    url,
    request: (document, ...variables) => out.spin('Waiting for the server…', client.request(document, ...variables)),
  };
}
