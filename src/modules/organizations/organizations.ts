import { randomUUID } from 'node:crypto';
import { badInput } from '../../core/errors.ts';
import { storableText } from '../../core/validation.ts';
import type { Tier } from '../../core/vocabulary.ts';
import { ensureDedicatedKeyIfRequired } from '../../platform/keys/signing.ts';
import { tenantOf, type RequestScope } from '../../platform/request-scope.ts';
import { requireSignedIn } from '../../platform/tenancy/require.ts';
import { withTenant } from '../../platform/tenancy/with-tenant.ts';
import { organizationLoaders } from './loaders.ts';
import { Membership } from './membership.entity.ts';
import { Organization } from './organization.entity.ts';

const orgName = storableText(200);

/** The active organization, or null without one. */
export async function activeOrganization(ctx: RequestScope): Promise<Organization | null> {
  const orgId = ctx.scope?.orgId;
  return orgId ? organizationLoaders(ctx).organizationById.load(orgId) : null;
}

/** An organization the viewer can see (the active one, or one of theirs), or null. */
export function visibleOrganization(ctx: RequestScope, orgId: string): Promise<Organization | null> {
  return organizationLoaders(ctx).organizationById.load(orgId);
}

/** Creates an organization with the caller as OWNER. Raises BAD_USER_INPUT for a bad name. */
export async function createOrganization(ctx: RequestScope, name: string, tier: Tier): Promise<Organization> {
  const scope = requireSignedIn(ctx.scope);
  const parsedName = orgName.safeParse(name);
  if (!parsedName.success) throw badInput('Invalid name');
  const now = ctx.app.now();
  const org = { id: randomUUID(), name: parsedName.data, tier, policyOverrides: {}, createdAt: now };
  // tenant: the new org, whose rows are written in it; the creator enters it as its first OWNER.
  await withTenant(ctx.tx, { orgId: org.id, userId: scope.userId }, tenantOf(scope), async () => {
    await ctx.em.persist(ctx.em.create(Organization, org)).flush(); // the membership's FK needs the org first
    ctx.em.persist(ctx.em.create(Membership, { orgId: org.id, userId: scope.userId, role: 'OWNER', createdAt: now }));
    // CONFIDENTIAL and REGULATED orgs sign with their own key from their first token on.
    await ensureDedicatedKeyIfRequired(ctx.em, ctx.app.config.kek, org, now);
  });
  return Object.assign(new Organization(), org);
}
