import type { EntityManager } from '@mikro-orm/postgresql';
import { transactionQuery } from '../../db/sql.ts';
import type { LiveState, ServiceLiveState } from '../../core/decisions/decide-scope.ts';
import { resolvePolicy, type PolicyOverrides } from '../../core/policy/session-policy.ts';
import { type Role, type Tier } from '../../core/vocabulary.ts';

interface Row {
  user_id: string;
  revoked_at: Date | null;
  expires_at: Date;
  idle_expires_at: Date;
  bound_org_id: string | null;
  role: Role | null;
  tier: Tier | null;
  policy_overrides: PolicyOverrides | null;
  mfa_at: Date | null;
  org_has_key: boolean;
}

/**
 * Session and membership state for one request, in one round trip. Raw SQL (allowed only in src/db):
 * it joins identity and tenant tables, and it runs inside the request transaction after setTenant,
 * so RLS still restricts `memberships` and `organizations` to the token's org and user. Whether the
 * claimed org has a dedicated signing key is read here too, so key binding never depends on a cache.
 */
export async function loadLiveState(em: EntityManager, sessionId: string, orgId: string | null): Promise<LiveState> {
  const rows = await transactionQuery<Row>(
    em,
    `select s.user_id, s.revoked_at, s.expires_at, s.idle_expires_at, s.bound_org_id, s.mfa_at, m.role, o.tier, o.policy_overrides,
            exists (select 1 from signing_keys k where k.owner_org_id = $1::uuid) as org_has_key
       from device_sessions s
       left join memberships m on m.org_id = $1::uuid and m.user_id = s.user_id
       left join organizations o on o.id = m.org_id
      where s.id = $2::uuid`,
    [orgId, sessionId],
  );
  const row = rows[0];
  if (!row) return { session: null, membership: null, orgHasDedicatedKey: false };
  return {
    session: { userId: row.user_id, revokedAt: row.revoked_at, expiresAt: new Date(row.expires_at), idleExpiresAt: new Date(row.idle_expires_at), boundOrgId: row.bound_org_id, mfaAt: row.mfa_at ? new Date(row.mfa_at) : null },
    membership: row.role && row.tier ? { role: row.role, tier: row.tier, policy: resolvePolicy(row.tier, row.policy_overrides ?? {}) } : null,
    orgHasDedicatedKey: row.org_has_key,
  };
}

/**
 * A service token's account and org, in one round trip, inside the request transaction whose tenant
 * is the token's org (RLS restricts `service_accounts` and `organizations` to it).
 */
export async function loadServiceLiveState(em: EntityManager, serviceAccountId: string, orgId: string): Promise<ServiceLiveState> {
  const rows = await transactionQuery<{ revoked_at: Date | null; scopes: string[] | null; tier: Tier | null; policy_overrides: PolicyOverrides | null; org_has_key: boolean }>(
    em,
    `select a.revoked_at, a.scopes, o.tier, o.policy_overrides,
            exists (select 1 from signing_keys k where k.owner_org_id = $1::uuid) as org_has_key
       from organizations o
       left join service_accounts a on a.org_id = o.id and a.id = $2::uuid
      where o.id = $1::uuid`,
    [orgId, serviceAccountId],
  );
  const row = rows[0];
  if (!row) return { account: null, org: null, orgHasDedicatedKey: false };
  return {
    account: row.scopes ? { revokedAt: row.revoked_at, scopes: row.scopes } : null,
    org: row.tier ? { tier: row.tier, policy: resolvePolicy(row.tier, row.policy_overrides ?? {}) } : null,
    orgHasDedicatedKey: row.org_has_key,
  };
}
