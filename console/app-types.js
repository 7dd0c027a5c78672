// The application types and grant types of the schema's enums, as the console names them.
export const APPLICATION_TYPES = [
  { value: 'MACHINE_TO_MACHINE', label: 'Machine to machine' },
  { value: 'SPA', label: 'Single-page app' },
  { value: 'REGULAR_WEB', label: 'Regular web app' },
  { value: 'NATIVE', label: 'Native app' },
];

export const applicationTypeLabel = (value) => APPLICATION_TYPES.find((t) => t.value === value)?.label ?? value;

export const GRANT_TYPES = [
  { value: 'AUTHORIZATION_CODE', label: 'Authorization code' },
  { value: 'REFRESH_TOKEN', label: 'Refresh token' },
  { value: 'CLIENT_CREDENTIALS', label: 'Client credentials' },
  { value: 'DEVICE_CODE', label: 'Device code' },
  { value: 'TOKEN_EXCHANGE', label: 'Token exchange' },
  { value: 'IMPLICIT', label: 'Implicit' },
];

export const AUTH_METHODS = [
  { value: 'CLIENT_SECRET_BASIC', label: 'Client secret (HTTP Basic)' },
  { value: 'CLIENT_SECRET_POST', label: 'Client secret (form body)' },
  { value: 'PRIVATE_KEY_JWT', label: 'Private key JWT' },
  { value: 'NONE', label: 'None (public application)' },
];
