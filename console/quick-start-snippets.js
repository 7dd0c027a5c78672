// Code that protects an API with this service's tokens, filled in with the API's identifier, the
// issuer and the algorithm: one function per language/library of the Quick Start tab.

const jwksUri = (issuer) => `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`;

export const QUICK_STARTS = [
  {
    key: 'express',
    label: 'Node.js (express-oauth2-jwt-bearer)',
    code: ({ issuer, audience, algorithm }) => `// npm install express express-oauth2-jwt-bearer
const express = require('express');
const { auth, requiredScopes } = require('express-oauth2-jwt-bearer');

const app = express();

// Verifies the Bearer token: signature (keys from the issuer's JWKS), issuer, audience, expiry.
app.use(
  auth({
    issuerBaseURL: '${issuer}',
    audience: '${audience}',
    tokenSigningAlg: '${algorithm}',
  }),
);

app.get('/api/private', (req, res) => res.json({ sub: req.auth.payload.sub }));
app.get('/api/private-scoped', requiredScopes('read:messages'), (req, res) => res.json({ ok: true }));

app.listen(3000);
`,
  },
  {
    key: 'jose',
    label: 'Node.js (jose)',
    code: ({ issuer, audience, algorithm }) => `// npm install jose
import { createRemoteJWKSet, jwtVerify } from 'jose';

const JWKS = createRemoteJWKSet(new URL('${jwksUri(issuer)}'));

/** The token's claims when it is valid for this API; throws otherwise. */
export async function verifyAccessToken(authorizationHeader) {
  const [scheme, token] = (authorizationHeader ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || !token) throw new Error('missing bearer token');
  const { payload } = await jwtVerify(token, JWKS, {
    issuer: '${issuer}',
    audience: '${audience}',
    algorithms: ['${algorithm}'],
  });
  return payload; // payload.scope: the granted permissions, space-separated
}
`,
  },
  {
    key: 'python',
    label: 'Python (PyJWT)',
    code: ({ issuer, audience, algorithm }) => `# pip install "pyjwt[crypto]"
import jwt

jwks_client = jwt.PyJWKClient("${jwksUri(issuer)}")


def verify_access_token(token: str) -> dict:
    """The token's claims when it is valid for this API; raises jwt.InvalidTokenError otherwise."""
    signing_key = jwks_client.get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        signing_key.key,
        algorithms=["${algorithm}"],
        audience="${audience}",
        issuer="${issuer}",
    )
`,
  },
  {
    key: 'go',
    label: 'Go (jwx)',
    code: ({ issuer, audience, algorithm }) => `// go get github.com/lestrrat-go/jwx/v2
package auth

import (
	"context"
	"net/http"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

const jwksURL = "${jwksUri(issuer)}"

// The issuer's keys, fetched once and refreshed in the background.
var keys = jwk.NewCache(context.Background())

func init() {
	if err := keys.Register(jwksURL); err != nil {
		panic(err)
	}
}

// VerifyRequest returns the request's Bearer token when it is valid for this API
// (signed ${algorithm} by a key of the JWKS, issuer, audience and expiry checked).
func VerifyRequest(r *http.Request) (jwt.Token, error) {
	set, err := keys.Get(r.Context(), jwksURL)
	if err != nil {
		return nil, err
	}
	return jwt.ParseRequest(r,
		jwt.WithKeySet(set),
		jwt.WithValidate(true),
		jwt.WithIssuer("${issuer}"),
		jwt.WithAudience("${audience}"),
	)
}
`,
  },
];
