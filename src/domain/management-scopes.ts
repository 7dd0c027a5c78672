/**
 * The scopes of the Management API (the built-in system resource server that protects
 * /graphql). One list: the migration, the bootstrap client and the resolvers all use it.
 */
export const MANAGEMENT_SCOPES = {
  readResourceServers: 'read:resource_servers',
  createResourceServers: 'create:resource_servers',
  updateResourceServers: 'update:resource_servers',
  deleteResourceServers: 'delete:resource_servers',
  readClients: 'read:clients',
  createClients: 'create:clients',
  updateClients: 'update:clients',
  deleteClients: 'delete:clients',
  readClientGrants: 'read:client_grants',
  createClientGrants: 'create:client_grants',
  updateClientGrants: 'update:client_grants',
  deleteClientGrants: 'delete:client_grants',
  updateClientKeys: 'update:client_keys',
  readSigningKeys: 'read:signing_keys',
  createSigningKeys: 'create:signing_keys',
  updateSigningKeys: 'update:signing_keys',
  createTokens: 'create:tokens',
  revokeTokens: 'revoke:tokens',
  readAuditEvents: 'read:audit_events',
} as const;

export const MANAGEMENT_SCOPE_DESCRIPTIONS: Record<string, string> = {
  'read:resource_servers': 'Read APIs and their scopes',
  'create:resource_servers': 'Create APIs',
  'update:resource_servers': 'Update APIs and their scopes',
  'delete:resource_servers': 'Delete APIs',
  'read:clients': 'Read applications',
  'create:clients': 'Create applications',
  'update:clients': 'Update applications',
  'delete:clients': 'Delete applications',
  'read:client_grants': 'Read client grants',
  'create:client_grants': 'Create client grants',
  'update:client_grants': 'Update client grants',
  'delete:client_grants': 'Delete client grants',
  'update:client_keys': 'Rotate application secrets',
  'read:signing_keys': 'Read signing keys',
  'create:signing_keys': 'Generate signing keys (key rotation)',
  'update:signing_keys': 'Rotate and revoke signing keys',
  'create:tokens': 'Issue access tokens for applications (test tokens)',
  'revoke:tokens': 'Revoke access tokens',
  'read:audit_events': 'Read the audit log',
};

export const ALL_MANAGEMENT_SCOPES: string[] = Object.values(MANAGEMENT_SCOPES);
