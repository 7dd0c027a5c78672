import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { actorOf, GraphQLContext } from '../context';
import { MANAGEMENT_SCOPES as S } from '../../domain/management-scopes';
import { DomainError, IssueList } from '../../domain/errors';
import { requireId, requireIds } from '../relay/require-id';
import { mutate } from '../user-error';
import { referenceFields } from '../relay/reference-fields';
import { InvalidTokenError } from '../../oauth/token-verifier';
import type { TokenToRevoke } from '../../domain/revocation/revocation.service';
import { AccessTokenIssueInput, AccessTokenRevokeInput } from './access-token.inputs';
import { AccessTokenIssuePayload, AccessTokenRevokePayload, RevokedToken } from './access-token.payloads';

export const RevokedTokenReferences = referenceFields(RevokedToken, {
  resourceServer: { to: 'ResourceServer', id: (token) => token.resourceServerUuid, description: 'The API the token was for.' },
});

@Resolver()
export class AccessTokenResolver {
  @Authorized(S.createTokens)
  @Mutation(() => AccessTokenIssuePayload, {
    description:
      'Issues a client-credentials token for a client without its secret (a dashboard\'s "Test" tab): the same rules and token as POST /oauth/token.',
  })
  accessTokenIssue(@Ctx() ctx: GraphQLContext, @Arg('input') input: AccessTokenIssueInput) {
    return mutate(async () => {
      const ids = requireIds({
        clientUuid: { id: input.clientId, type: 'Client', field: ['input', 'clientId'] },
        serverId: { id: input.resourceServerId, type: 'ResourceServer', field: ['input', 'resourceServerId'] },
      });
      return ctx.services.tokens.issueForClient(ids.clientUuid, ids.serverId, input.scopes ?? undefined, actorOf(ctx));
    });
  }

  @Authorized(S.revokeTokens)
  @Mutation(() => AccessTokenRevokePayload, {
    description:
      'Revokes one access token: its jti is denylisted until the token expires, so introspection answers inactive and the Management API refuses it, on every instance at once. Resource servers that verify tokens locally (JWKS) cannot see revocations: use introspection where revocation matters.',
  })
  accessTokenRevoke(@Ctx() ctx: GraphQLContext, @Arg('input') input: AccessTokenRevokeInput) {
    return mutate(async () => {
      const token = await this.tokenToRevoke(ctx, input);
      const row = await ctx.services.revocations.revoke(token, actorOf(ctx), {
        jti: ['input', input.token != null ? 'token' : 'jti'],
        expiresAt: ['input', input.token != null ? 'token' : 'expiresAt'],
      });
      return { revokedToken: Object.assign(new RevokedToken(), { ...row, resourceServerUuid: row.resourceServerId }) };
    });
  }

  /** Either the token itself (verified: only an active token of ours has a jti worth listing) or jti + API + expiry. */
  private async tokenToRevoke(ctx: GraphQLContext, input: AccessTokenRevokeInput): Promise<TokenToRevoke> {
    const issues = new IssueList();
    if (input.token != null) {
      if (input.jti != null || input.resourceServerId != null || input.expiresAt != null) {
        throw DomainError.of('INVALID', ['input'], 'give either token, or jti with resourceServerId and expiresAt, not both');
      }
      try {
        const { payload, api } = await ctx.services.tokenValidator.validate(input.token);
        return { jti: payload.jti, resourceServerId: api.server.id, expiresAt: new Date(payload.exp * 1000) };
      } catch (error) {
        if (!(error instanceof InvalidTokenError)) throw error;
        throw DomainError.of('INVALID', ['input', 'token'], `not an active access token issued by this service: ${error.message}`);
      }
    }
    if (input.jti == null) issues.add('INVALID', ['input', 'jti'], 'required (or give token)');
    if (input.resourceServerId == null) issues.add('INVALID', ['input', 'resourceServerId'], 'required with jti');
    if (input.expiresAt == null) issues.add('INVALID', ['input', 'expiresAt'], 'required with jti');
    issues.throwIfAny();
    return {
      jti: input.jti!,
      resourceServerId: requireId(input.resourceServerId!, 'ResourceServer', ['input', 'resourceServerId']),
      expiresAt: input.expiresAt!,
    };
  }
}
