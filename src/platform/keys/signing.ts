import type { EntityManager } from '@mikro-orm/postgresql';
import { decideSigningKey, needsDedicatedKey, type ActiveKey } from '../../core/decisions/decide-signing-key.ts';
import type { AppServices } from '../services.ts';
import { policyOf, type OrganizationView } from '../tenancy/organization-view.ts';
import { activeSigningKeys, ensureSigningKey, type ActiveSigningKey } from './key-ring.ts';

/**
 * The private key that signs a token for `org` (null: no org), as decideSigningKey says: read from
 * the database in the caller's transaction at every issuance, creating the org's dedicated key when
 * its policy asks for one it does not have yet. The one place that chooses a signing key (sign-in,
 * refresh, switch, delegation and the client-credentials grant all come here).
 */
export async function signingKeyFor(em: EntityManager, app: Pick<AppServices, 'config' | 'keys'>, org: Pick<OrganizationView, 'id' | 'tier' | 'policyOverrides'> | null, now: Date): Promise<ActiveSigningKey> {
  return signingKeyAmong(em, app, org, await activeSigningKeys(em, org?.id ?? null), now);
}

/**
 * signingKeyFor with the unretired keys already read in the caller's transaction (the global key and
 * `org`'s own: the refresh reads them with its other state in one statement).
 */
export async function signingKeyAmong(em: EntityManager, app: Pick<AppServices, 'config' | 'keys'>, org: Pick<OrganizationView, 'id' | 'tier' | 'policyOverrides'> | null, active: readonly ActiveKey[], now: Date): Promise<ActiveSigningKey> {
  const decision = decideSigningKey(org?.id ?? null, org ? policyOf(org).dedicatedSigningKey : false, active);
  if (decision.kind === 'none') throw new Error('orgbound: no active global signing key');
  const kid = decision.kind === 'use' ? decision.kid : await ensureSigningKey(em, app.config.kek, org!.id, now);
  return app.keys.signingKey(kid, em);
}

/**
 * Creates the org's dedicated key now when its policy (after a change) asks for one and it has none:
 * at creation of a CONFIDENTIAL or REGULATED org, when dedicatedSigningKey is turned on, when the tier
 * is raised. The one place that does (needsDedicatedKey decides).
 */
export async function ensureDedicatedKeyIfRequired(em: EntityManager, kek: Buffer, org: Pick<OrganizationView, 'id' | 'tier' | 'policyOverrides'>, now: Date): Promise<void> {
  const own = (await activeSigningKeys(em, org.id)).some((k) => k.ownerOrgId === org.id);
  if (needsDedicatedKey(policyOf(org).dedicatedSigningKey, own)) await ensureSigningKey(em, kek, org.id, now);
}
