/**
 * "Organizer": an example API protected by access tokens of this authorization server, verified
 * with Auth0's own `express-oauth2-jwt-bearer` middleware (discovery, JWKS, RFC 9068 checks).
 *
 *   GET  /appointments   needs scope read:appointments
 *   POST /appointments   needs scope write:appointments, JSON body { title, startsAt }
 */
import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { auth, requiredScopes, UnauthorizedError } from 'express-oauth2-jwt-bearer';

export interface OrganizerApiOptions {
  /** The authorization server's base URL (its issuer), e.g. `http://localhost:4000`. */
  issuerBaseURL: string;
  /** This API's identifier on the authorization server, e.g. `https://organizer.example/`. */
  audience: string;
  /** The API's signing algorithm on the authorization server (default RS256). */
  tokenSigningAlg?: 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
  /**
   * Check the RFC 9068 profile: header `typ: at+jwt` and claims `iat sub client_id jti` (default
   * true: the API's token dialect must be RFC9068_PROFILE or RFC9068_PROFILE_AUTHZ, the default).
   */
  strict?: boolean;
}

export interface Appointment {
  id: string;
  title: string;
  startsAt: string;
  /** `sub` of the token that created it. */
  createdBy: string;
  createdAt: string;
}

const TITLE_MAX = 200;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Checks a POST body; returns the field errors (empty when valid). */
function validateAppointment(body: unknown): { field: string; message: string }[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return [{ field: '', message: 'the body must be a JSON object { "title", "startsAt" }' }];
  }
  const { title, startsAt } = body as Record<string, unknown>;
  const errors: { field: string; message: string }[] = [];
  if (typeof title !== 'string' || title.trim().length === 0 || title.length > TITLE_MAX) {
    errors.push({ field: 'title', message: `a non-empty string of at most ${TITLE_MAX} characters` });
  }
  if (typeof startsAt !== 'string' || !ISO_DATE_TIME.test(startsAt) || Number.isNaN(Date.parse(startsAt))) {
    errors.push({ field: 'startsAt', message: 'an RFC 3339 date-time, e.g. 2030-01-31T09:30:00Z' });
  }
  return errors;
}

export function createOrganizerApi(options: OrganizerApiOptions): Express {
  const appointments: Appointment[] = [];

  // Discovers the issuer's metadata and JWKS (cached), then checks signature, iss, aud, exp and,
  // in strict mode, the RFC 9068 header and claims. Any failure: 401 with WWW-Authenticate.
  const checkJwt: RequestHandler = auth({
    issuerBaseURL: options.issuerBaseURL,
    audience: options.audience,
    tokenSigningAlg: options.tokenSigningAlg ?? 'RS256',
    strict: options.strict ?? true,
    // The authorization server issues Bearer tokens only (no DPoP binding).
    dpop: { enabled: false },
  });

  const app = express();
  app.disable('x-powered-by');

  app.get('/appointments', checkJwt, requiredScopes('read:appointments'), (_req, res) => {
    res.json({ appointments });
  });

  app.post(
    '/appointments',
    checkJwt,
    requiredScopes('write:appointments'),
    // Parsed only once the caller is known to be allowed.
    express.json({ limit: '16kb' }),
    (req, res) => {
      const errors = validateAppointment(req.body);
      if (errors.length > 0) {
        res.status(400).json({ error: 'invalid_request', error_description: 'invalid appointment', errors });
        return;
      }
      const { title, startsAt } = req.body as { title: string; startsAt: string };
      const appointment: Appointment = {
        id: randomUUID(),
        title: title.trim(),
        startsAt: new Date(startsAt).toISOString(),
        createdBy: String(req.auth?.payload.sub ?? ''),
        createdAt: new Date().toISOString(),
      };
      appointments.push(appointment);
      res.status(201).location(`/appointments/${appointment.id}`).json(appointment);
    },
  );

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', error_description: 'no such resource' });
  });

  const errorHandler: ErrorRequestHandler = (error, _req, res, _next) => {
    if (error instanceof UnauthorizedError) {
      // 401 (no or invalid token), 403 insufficient_scope, 400 invalid_request: keep the status and
      // the RFC 6750 WWW-Authenticate challenge the middleware chose.
      res.set(error.headers);
      const code = (error as UnauthorizedError & { code?: string }).code || (error.status === 401 ? 'unauthorized' : 'invalid_request');
      res.status(error.status).json({ error: code, error_description: error.message });
      return;
    }
    const status = (error as { status?: number }).status;
    if (status === 400 || status === 413 || status === 415) {
      // body-parser: malformed JSON, body too large, unsupported charset.
      res
        .status(status)
        .json({ error: 'invalid_request', error_description: status === 400 ? 'the body is not valid JSON' : (error as Error).message });
      return;
    }
    res.status(500).json({ error: 'server_error', error_description: 'unexpected error' });
  };
  app.use(errorHandler);

  return app;
}
