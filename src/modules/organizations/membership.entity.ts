import { EntitySchema } from '@mikro-orm/core';
import { TenantOwned, TenantOwnedSchema } from '../../db/tenant-owned.ts';

export const ROLES = ['OWNER', 'ADMIN', 'MEMBER'] as const;
export type Role = (typeof ROLES)[number];

export class Membership extends TenantOwned {
  userId!: string;
  role!: Role;
  createdAt!: Date;
}

export const MembershipSchema = new EntitySchema<Membership, TenantOwned>({
  class: Membership,
  extends: TenantOwnedSchema,
  tableName: 'memberships',
  properties: {
    userId: { type: 'uuid', primary: true, fieldName: 'user_id' },
    role: { type: 'string' },
    createdAt: { type: 'Date', fieldName: 'created_at' },
  },
});
