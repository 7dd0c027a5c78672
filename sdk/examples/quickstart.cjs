// The same package from CommonJS: makes sure an API exists, creating it on the first run.
const {
  assertNoUserErrors,
  clientCredentialsTokenProvider,
  createManagementClient,
  ResourceServerCreateDocument,
  ResourceServerDocument,
} = require('@apiauth/sdk');

const issuer = process.env.AS ?? 'http://localhost:4000';
const management = createManagementClient({
  url: `${issuer}/graphql`,
  // Gets a token at the first request, and a new one shortly before it expires.
  getToken: clientCredentialsTokenProvider({
    issuer,
    clientId: process.env.CLIENT_ID,
    clientSecret: process.env.CLIENT_SECRET,
    audience: `${issuer}/api/v2/`,
  }),
});

async function ensureApi(identifier, name, scopes) {
  const { resourceServer } = await management.request(ResourceServerDocument, { identifier });
  if (resourceServer) return { api: resourceServer, created: false };
  const { resourceServerCreate } = await management.request(ResourceServerCreateDocument, {
    input: { identifier, name, scopes: scopes.map((value) => ({ value })) },
  });
  // Refusals (a taken identifier, an invalid scope…) come back as userErrors: this throws them.
  return { api: assertNoUserErrors(resourceServerCreate).resourceServer, created: true };
}

ensureApi('https://reports.example/', 'Reports', ['read:reports']).then(
  ({ api, created }) => console.log(`${created ? 'created' : 'exists'}: ${api.name} ${api.id}`),
  (error) => {
    console.error(error.message); // a ManagementApiError, TokenRequestError or UserErrorsError
    process.exitCode = 1;
  },
);
