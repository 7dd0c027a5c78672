import {
  ClientDocument,
  ManagementApiError,
  ResourceServerDocument,
  type ClientFieldsFragment,
  type ResourceServerFieldsFragment,
} from '../../sdk/index';
import { CommandFailedError } from './errors';
import type { Session } from './session';

/**
 * Commands name objects the way people know them: an API by its identifier (an absolute URI, so it
 * has a ":") or its global ID, a client by its OAuth client_id or its global ID.
 */

/** null where `id` is not a global ID the server can decode (the server says BAD_USER_INPUT). */
async function unlessMalformed<T>(lookup: Promise<T>): Promise<T | null> {
  try {
    return await lookup;
  } catch (error) {
    if (error instanceof ManagementApiError && error.code === 'BAD_USER_INPUT') return null;
    throw error;
  }
}

export async function findApi(session: Session, reference: string): Promise<ResourceServerFieldsFragment | null> {
  const variables = reference.includes(':') ? { identifier: reference } : { id: reference };
  const found = await unlessMalformed(session.request(ResourceServerDocument, variables));
  return found?.resourceServer ?? null;
}

export async function requireApi(session: Session, reference: string): Promise<ResourceServerFieldsFragment> {
  const api = await findApi(session, reference);
  if (!api) throw new CommandFailedError(`NOT_FOUND: no API has the identifier or ID "${reference.slice(0, 200)}"`);
  return api;
}

export async function requireClient(session: Session, reference: string): Promise<ClientFieldsFragment> {
  const byClientId = await session.request(ClientDocument, { clientId: reference });
  const client = byClientId.client ?? (await unlessMalformed(session.request(ClientDocument, { id: reference })))?.client;
  if (!client) throw new CommandFailedError(`NOT_FOUND: no client has the client_id or ID "${reference.slice(0, 200)}"`);
  return client;
}
