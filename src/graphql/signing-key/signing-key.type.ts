import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeISOResolver, JSONObjectResolver } from 'graphql-scalars';
import { calculateJwkThumbprint, JWK } from 'jose';
import { Node, nodeObject } from '../relay/node';
import { enumOf, SigningAlgorithmEnum } from '../enums';
import { KEY_STATES, KeyState, SigningKeyEntity } from '../../crypto/signing-key.entity';
import type { SigningAlgorithm } from '../../domain/resource-server/resource-server.rules';

export const SigningKeyStateEnum = enumOf(KEY_STATES);
registerEnumType(SigningKeyStateEnum, {
  name: 'SigningKeyState',
  description: 'Where a key is in its lifecycle: NEXT → CURRENT → PREVIOUS → REVOKED.',
  valuesConfig: {
    NEXT: { description: 'Published in the JWKS, not signing yet; becomes CURRENT at the next rotation.' },
    CURRENT: { description: 'Signs new tokens.' },
    PREVIOUS: { description: 'Rotated out: still published, so tokens it signed keep verifying until it is revoked.' },
    REVOKED: { description: 'Gone for good: out of the JWKS, its tokens refused, its private key erased.' },
  },
});

@ObjectType({ implements: Node, description: 'An asymmetric signing key of a per-algorithm key ring. Never exposes private material.' })
export class SigningKey extends Node {
  @Field({ description: 'Key ID in the JWKS and in token headers.' })
  kid!: string;

  @Field(() => SigningAlgorithmEnum)
  algorithm!: SigningAlgorithm;

  @Field(() => SigningKeyStateEnum)
  state!: KeyState;

  @Field(() => DateTimeISOResolver)
  createdAt!: Date;

  @Field(() => DateTimeISOResolver, { nullable: true, description: 'When it became CURRENT.' })
  activatedAt!: Date | null;

  @Field(() => DateTimeISOResolver, { nullable: true, description: 'When it was rotated out (became PREVIOUS).' })
  rotatedAt!: Date | null;

  @Field(() => DateTimeISOResolver, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => JSONObjectResolver, { description: 'The public key as a JWK (with kid, use and alg).' })
  publicJwk!: Record<string, string>;

  @Field(() => String, { description: 'RFC 7638 SHA-256 thumbprint of the public key, base64url.' })
  thumbprint(): Promise<string> {
    return calculateJwkThumbprint(this.publicJwk as JWK, 'sha256');
  }

  static from(entity: SigningKeyEntity): SigningKey {
    const fields = ['kid', 'state', 'createdAt', 'activatedAt', 'rotatedAt', 'revokedAt', 'publicJwk'] as const;
    return nodeObject(new SigningKey(), 'SigningKey', entity, fields, { algorithm: entity.algorithm as SigningAlgorithm });
  }
}
