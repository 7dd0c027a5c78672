/**
 * Typed SDK of the Management API: the generated typed documents and their result/variable types,
 * a small fetch-based client and a client-credentials token helper.
 *
 *   const client = createManagementClient({ url: `${issuer}/graphql`, getToken: clientCredentialsTokenProvider({ … }) });
 *   const { resourceServer } = await client.request(ResourceServerDocument, { identifier: 'https://organizer.example/' });
 */
export * from './generated/graphql.js';
export * from './client.js';
export * from './token.js';
