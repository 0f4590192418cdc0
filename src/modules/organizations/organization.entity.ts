import { EntitySchema } from '@mikro-orm/core';
import type { PolicyOverrides } from '../../core/policy/session-policy.ts';

import type { Tier } from '../../core/vocabulary.ts';


/**
 * The tenant root. Not `TenantOwned` (its own id is the tenant); RLS on `organizations` shows a row
 * only to the active tenant and to the org's members.
 */
export class Organization {
  id!: string;
  name!: string;
  tier!: Tier;
  /** What the org has tightened beyond its tier's floor; see resolvePolicy. */
  policyOverrides!: PolicyOverrides;
  createdAt!: Date;
}

export const OrganizationSchema = new EntitySchema<Organization>({
  class: Organization,
  tableName: 'organizations',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'string' },
    tier: { type: 'string' },
    policyOverrides: { type: 'json', fieldName: 'policy_overrides' },
    createdAt: { type: 'Date', fieldName: 'created_at' },
  },
});
