import { EntitySchema } from '@mikro-orm/core';
import { TenantOwned, TenantOwnedSchema } from '../../db/tenant-owned.ts';
import { type Role } from '../../core/vocabulary.ts';

/** Only the SHA-256 of the invitation secret is stored; the token is shown once, to the inviter. */
export class Invitation extends TenantOwned {
  id!: string;
  email!: string;
  role!: Role;
  tokenHash!: string;
  invitedBy!: string;
  createdAt!: Date;
  expiresAt!: Date;
  acceptedAt?: Date | null;
}

export const InvitationSchema = new EntitySchema<Invitation, TenantOwned>({
  class: Invitation,
  extends: TenantOwnedSchema,
  tableName: 'invitations',
  properties: {
    id: { type: 'uuid', primary: true },
    email: { type: 'string' },
    role: { type: 'string' },
    tokenHash: { type: 'string', fieldName: 'token_hash' },
    invitedBy: { type: 'uuid', fieldName: 'invited_by' },
    createdAt: { type: 'Date', fieldName: 'created_at' },
    expiresAt: { type: 'Date', fieldName: 'expires_at' },
    acceptedAt: { type: 'Date', fieldName: 'accepted_at', nullable: true },
  },
});
