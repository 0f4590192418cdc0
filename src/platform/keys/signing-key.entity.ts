import { EntitySchema } from '@mikro-orm/core';

/** An asymmetric JWT signing key. The private JWK is envelope-encrypted (src/platform/crypto/envelope.ts). */
export class SigningKey {
  /** The JWT `kid`. */
  id!: string;
  alg!: string;
  publicJwk!: Record<string, unknown>;
  privateJwkSealed!: string;
  createdAt!: Date;
  /** After this, the key signs nothing new; it keeps verifying until `verifyUntil`. */
  retiredAt?: Date | null;
  verifyUntil?: Date | null;
  /** The org this dedicated key belongs to; null for the global key. */
  ownerOrgId?: string | null;
}

export const SigningKeySchema = new EntitySchema<SigningKey>({
  class: SigningKey,
  tableName: 'signing_keys',
  properties: {
    id: { type: 'string', primary: true },
    alg: { type: 'string' },
    publicJwk: { type: 'json', fieldName: 'public_jwk' },
    privateJwkSealed: { type: 'text', fieldName: 'private_jwk_sealed', hidden: true },
    createdAt: { type: 'Date', fieldName: 'created_at' },
    retiredAt: { type: 'Date', fieldName: 'retired_at', nullable: true },
    verifyUntil: { type: 'Date', fieldName: 'verify_until', nullable: true },
    ownerOrgId: { type: 'uuid', fieldName: 'owner_org_id', nullable: true },
  },
});
