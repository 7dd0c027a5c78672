// Gets a Management API token with client credentials, then lists the APIs defined on the service.
// Set AS (the service's URL), CLIENT_ID and CLIENT_SECRET (a management client's) first.
import { createManagementClient, getClientCredentialsToken, ResourceServersDocument } from '@apiauth/sdk';

const issuer = process.env.AS ?? 'http://localhost:4000';
const token = await getClientCredentialsToken({
  issuer,
  clientId: process.env.CLIENT_ID,
  clientSecret: process.env.CLIENT_SECRET,
  audience: `${issuer}/api/v2/`,
});
console.log(`token for ${token.scope.split(' ').length} scopes, expires in ${token.expiresIn} s`);

const management = createManagementClient({ url: `${issuer}/graphql`, token: token.accessToken });
const { resourceServers } = await management.request(ResourceServersDocument, { first: 10 });
for (const api of resourceServers.nodes) {
  console.log(`${api.name}: ${api.identifier} (${api.scopes.length} scopes)`);
}
