import { EntitySchema } from '@mikro-orm/core';
import { TenantOwned, TenantOwnedSchema } from '../../db/tenant-owned.ts';

import type { Role } from '../../core/vocabulary.ts';


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
