/** How the built-in APIs (Management API, userinfo) sign: RS256, what every resource-server library accepts. */
export const BUILTIN_API_ALGORITHM = 'RS256';
