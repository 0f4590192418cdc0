import { EntitySchema, type EntityMetadata } from '@mikro-orm/core';

/** Name of the MikroORM filter that puts `org_id = :orgId` on every load of a tenant-owned entity. */
export const TENANT_FILTER = 'tenant';

export interface TenantFilterArgs {
  readonly orgId: string;
}

/**
 * Base of every tenant-owned entity: `orgId` is the first column of the primary key (and of every
 * composite foreign key to another tenant-owned table, see migrations/).
 */
export abstract class TenantOwned {
  orgId!: string;
}

/**
 * The filter's `cond` declares its parameter, so MikroORM throws "No arguments provided for filter
 * 'tenant'" when a fork has no tenant set: the filter fails closed. An empty or non-string orgId
 * (someone calling `setFilterParams('tenant', {})`) is refused here as well.
 */
function tenantCondition(args: TenantFilterArgs): { orgId: string } {
  if (typeof args?.orgId !== 'string' || args.orgId.length === 0) {
    throw new Error(`Tenant filter used without a tenant (fail closed)`);
  }
  return { orgId: args.orgId };
}

export const TenantOwnedSchema = new EntitySchema<TenantOwned>({
  class: TenantOwned as unknown as new () => TenantOwned,
  abstract: true,
  properties: {
    orgId: { type: 'uuid', primary: true, fieldName: 'org_id' },
  },
  filters: {
    [TENANT_FILTER]: { name: TENANT_FILTER, cond: tenantCondition, default: true },
  },
});

/** True when the entity extends the tenant base and carries the tenant filter on by default. */
export function isTenantOwned(meta: EntityMetadata): boolean {
  const filter = meta.filters?.[TENANT_FILTER];
  return meta.class?.prototype instanceof TenantOwned && filter?.default === true && filter.cond === tenantCondition;
}

/** The tenant root: organizations, whose rows RLS shows by tenant like a tenant-owned table's. */
export const TENANT_ROOT_TABLE = 'organizations';

/**
 * Data whose visibility depends on the tenant: tenant-owned entities and the tenant root. The
 * identity map must forget these whenever the transaction's tenant changes (RequestTransaction.enterTenant).
 */
export function isTenantData(meta: EntityMetadata | undefined): boolean {
  return meta !== undefined && (isTenantOwned(meta) || meta.tableName === TENANT_ROOT_TABLE);
}
