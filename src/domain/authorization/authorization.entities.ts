import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An authorization code, by its SHA-256 digest: single use, bound to client, user, API, redirect URI and PKCE challenge. */
@Entity({ name: 'authorization_codes' })
export class AuthorizationCodeEntity {
  @PrimaryColumn({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash!: string;

  @Column({ name: 'client_id', type: 'uuid' })
  clientUuid!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'resource_server_id', type: 'uuid' })
  resourceServerId!: string;

  @Column({ name: 'redirect_uri', type: 'varchar', length: 2000 })
  redirectUri!: string;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ name: 'code_challenge', type: 'varchar', length: 128, nullable: true })
  codeChallenge!: string | null;

  @Column({ name: 'code_challenge_method', type: 'varchar', length: 8, nullable: true })
  codeChallengeMethod!: string | null;

  /** The authorization request's `nonce` (OpenID Connect), repeated in the ID token. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  nonce!: string | null;

  /** The `dpop_jkt` of the authorization request (RFC 9449 §10); null: unbound. */
  @Column({ name: 'dpop_jkt', type: 'varchar', length: 43, nullable: true })
  dpopJkt!: string | null;

  /** The public id of the sign-in session that granted the code (the ID token's `sid`). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  sid!: string | null;

  /** When the user signed in (the ID token's `auth_time`). */
  @Column({ name: 'auth_time', type: 'timestamptz', nullable: true })
  authTime!: Date | null;

  /** Written from the service's clock (the database default is only a fallback). */
  @Column({ name: 'created_at', type: 'timestamptz', update: false })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  /** Set by the first (only valid) exchange. */
  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt!: Date | null;

  /** The access token the exchange issued, revoked (denylisted) if the code is ever presented again. */
  @Column({ name: 'issued_jti', type: 'varchar', length: 255, nullable: true })
  issuedJti!: string | null;

  @Column({ name: 'issued_expires_at', type: 'timestamptz', nullable: true })
  issuedExpiresAt!: Date | null;
}

/**
 * A browser login session, by the SHA-256 digest of the random id in its cookie. `sid` is its
 * public name (ID tokens, logout), unrelated to the cookie's secret.
 */
@Entity({ name: 'user_sessions' })
export class UserSessionEntity {
  @PrimaryColumn({ name: 'id_hash', type: 'varchar', length: 64 })
  idHash!: string;

  @Column({ type: 'varchar', length: 64 })
  sid!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  /** Written from the service's clock (the database default is only a fallback). */
  @Column({ name: 'created_at', type: 'timestamptz', update: false })
  createdAt!: Date;

  /** The absolute end: sign in again after it, whatever the activity. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  /** Ends the session when it is not used before then; each use moves it on (SessionService). */
  @Column({ name: 'idle_expires_at', type: 'timestamptz' })
  idleExpiresAt!: Date;
}

/**
 * Sign-in attempts counted per key (`ip:<address>`, `account-ip:<address>|<email>`), each counted
 * before its password is checked (see LoginThrottleService). `lockedUntil`: no attempt for this
 * key before then (the growing delay once the key's limit is reached).
 */
@Entity({ name: 'login_failures' })
export class LoginFailureEntity {
  @PrimaryColumn({ type: 'varchar', length: 400 })
  key!: string;

  @Column({ type: 'integer' })
  failures!: number;

  @Column({ name: 'window_started_at', type: 'timestamptz' })
  windowStartedAt!: Date;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;
}

/** An implicit-grant nonce already used by a client, kept until the token it protected expires. */
@Entity({ name: 'used_nonces' })
export class UsedNonceEntity {
  @PrimaryColumn({ name: 'client_id', type: 'uuid' })
  clientUuid!: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  nonce!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}

/** A single-use form (a consent form's sealed transaction) already submitted, kept until the form expires. */
@Entity({ name: 'used_transactions' })
export class UsedTransactionEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}

/**
 * A pushed authorization request (RFC 9126), by the SHA-256 digest of its `request_uri` handle: the
 * request's parameters, for the client that pushed them, until redeemed once or expired.
 */
@Entity({ name: 'pushed_authorization_requests' })
export class PushedAuthorizationRequestEntity {
  @PrimaryColumn({ name: 'request_hash', type: 'varchar', length: 64 })
  requestHash!: string;

  @Column({ name: 'client_id', type: 'uuid' })
  clientUuid!: string;

  @Column({ type: 'jsonb' })
  params!: [string, string][];

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
