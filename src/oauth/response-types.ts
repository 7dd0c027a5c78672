import type { GrantType } from '../domain/client/client.rules';

/** How an authorization response reaches the client (OAuth 2.0 Multiple Response Type Encoding, Form Post). */
export type ResponseMode = 'query' | 'fragment' | 'form_post';

/** A response_type of /authorize. */
export interface ResponseTypeDefinition {
  readonly responseType: string;
  /** The grant it starts, as discovery's grant_types_supported names it. */
  readonly grantType: string;
  /** Its name in refusals ("This application may not use the … grant"). */
  readonly grantName: string;
  /** The client setting (Client.grantTypes) that allows a client this flow. */
  readonly requiredClientGrant: GrantType;
  /** Only first-party clients may use it (the implicit grant, which RFC 9700 §2.1.2 discourages). */
  readonly firstPartyOnly: boolean;
  /** The response modes allowed, the default first. */
  readonly responseModes: readonly ResponseMode[];
}

/**
 * The response types /authorize accepts, in the order discovery lists them. /authorize validates
 * response_type and response_mode against this list; discovery derives response_types_supported,
 * response_modes_supported and the implicit grant from it.
 */
export const RESPONSE_TYPES = [
  {
    responseType: 'code',
    grantType: 'authorization_code',
    grantName: 'authorization code',
    requiredClientGrant: 'AUTHORIZATION_CODE',
    firstPartyOnly: false,
    responseModes: ['query', 'fragment', 'form_post'],
  },
  {
    responseType: 'token',
    grantType: 'implicit',
    grantName: 'implicit',
    requiredClientGrant: 'IMPLICIT',
    firstPartyOnly: true,
    // Tokens never go in a query string (logs, Referer).
    responseModes: ['fragment', 'form_post'],
  },
] as const satisfies readonly ResponseTypeDefinition[];

export type ResponseType = (typeof RESPONSE_TYPES)[number]['responseType'];
export type ResponseTypeEntry = (typeof RESPONSE_TYPES)[number];

/** Every response mode of some response type, in first-seen order. */
export const RESPONSE_MODES: readonly ResponseMode[] = [...new Set(RESPONSE_TYPES.flatMap((t) => t.responseModes))];

export function responseTypeOf(value: string): ResponseTypeEntry | undefined {
  return RESPONSE_TYPES.find((t) => t.responseType === value);
}

/** Whether `mode` (any text) is one of the response type's modes. */
export function allowsResponseMode(responseType: ResponseTypeDefinition, mode: string): mode is ResponseMode {
  return (responseType.responseModes as readonly string[]).includes(mode);
}
