import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { AppType, GrantType, TokenEndpointAuthMethod } from './client.rules';
import type { AsymmetricAlgorithm } from '../../crypto/key-pairs';
import type { ClientJwks } from './client-jwks';

/** The built-in clients (ensured at start, see domain/management/console-client.ts). */
export type BuiltinClient = 'CONSOLE';

@Entity({ name: 'clients' })
export class ClientEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'bigint', insert: false, update: false })
  seq!: string;

  /** The OAuth `client_id`: generated, URL-safe, immutable. */
  @Column({ name: 'client_id', type: 'varchar', length: 64, unique: true })
  clientId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 140, default: '' })
  description!: string;

  @Column({ name: 'app_type', type: 'varchar', length: 32 })
  appType!: AppType;

  @Column({ name: 'is_first_party', type: 'boolean' })
  isFirstParty!: boolean;

  @Column({ name: 'grant_types', type: 'text', array: true })
  grantTypes!: GrantType[];

  @Column({ name: 'token_endpoint_auth_method', type: 'varchar', length: 32 })
  tokenEndpointAuthMethod!: TokenEndpointAuthMethod;

  @Column({ type: 'text', array: true })
  callbacks!: string[];

  @Column({ name: 'allowed_origins', type: 'text', array: true })
  allowedOrigins!: string[];

  /** Where the client may send the browser after logout (OIDC `post_logout_redirect_uri`, Auth0's `returnTo`), matched exactly. */
  @Column({ name: 'allowed_logout_urls', type: 'text', array: true, default: () => "'{}'" })
  allowedLogoutUrls!: string[];

  /** JWS algorithm of the client's ID tokens (signed with the service's key of that algorithm). */
  @Column({ name: 'id_token_signing_alg', type: 'varchar', length: 16, default: 'RS256' })
  idTokenSigningAlgorithm!: AsymmetricAlgorithm;

  /** Seconds an ID token is valid (its `exp` after `iat`). */
  @Column({ name: 'id_token_lifetime', type: 'integer', default: 36_000 })
  idTokenLifetime!: number;

  /** Refresh tokens: ROTATING (each use returns a new one) or NON_ROTATING; SPAs and native apps always rotate. */
  @Column({ name: 'refresh_token_rotation', type: 'varchar', length: 16, default: 'ROTATING' })
  refreshTokenRotation!: 'ROTATING' | 'NON_ROTATING';

  /** Seconds a rotated-out refresh token may still be used (concurrent requests, retries). */
  @Column({ name: 'refresh_token_leeway', type: 'integer', default: 0 })
  refreshTokenLeeway!: number;

  /** Seconds a refresh-token family lives from its first issue, however it is used. */
  @Column({ name: 'refresh_token_absolute_lifetime', type: 'integer', default: 2_592_000 })
  refreshTokenAbsoluteLifetime!: number;

  /** Seconds a refresh token lives without being used. */
  @Column({ name: 'refresh_token_idle_lifetime', type: 'integer', default: 1_296_000 })
  refreshTokenIdleLifetime!: number;

  /** String key → string value (see client-metadata.ts): sent to token hooks, never put in tokens by itself. */
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  metadata!: Record<string, string>;

  /** Public keys that verify the client's assertions (PRIVATE_KEY_JWT), checked by client-jwks.ts; null: none. */
  @Column({ type: 'jsonb', nullable: true })
  jwks!: ClientJwks | null;

  /** /authorize accepts this client's requests only when pushed first (RFC 9126 §5, `require_pushed_authorization_requests`). */
  @Column({ name: 'require_pushed_authorization_requests', type: 'boolean', default: false })
  requirePushedAuthorizationRequests!: boolean;

  /** Which built-in client this is (null for clients created through the API): a system client, changed only by the service. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  builtin!: BuiltinClient | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
