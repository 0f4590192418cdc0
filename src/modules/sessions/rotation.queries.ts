import type { EntityManager } from '@mikro-orm/postgresql';
import type { ActiveKey } from '../../core/decisions/decide-signing-key.ts';
import type { PolicyOverrides, SessionPolicy } from '../../core/policy/session-policy.ts';
import type { RevokeReason, Role, Tier } from '../../core/vocabulary.ts';
import { parseTimestamp } from '../../db/tenant-rows.ts';
import { tenantSettingSql, tenantSettingValues, type RequestTransaction, type TenantSetting } from '../../db/request-transaction.ts';
import { transactionQuery } from '../../db/sql.ts';
import type { Entered } from '../../platform/tenancy/organization-view.ts';
import type { DeviceSession } from './device-session.entity.ts';

/*
 * The fast paths of refreshSession and switchOrganization (issue 17).
 *
 * The refresh: a rotation in three statements instead of a read, a lock, a re-read and five writes. The successor is derived from the presented token (successorToken), so
 * nothing needs reading before the token is retired:
 *
 *   1. retireIfLive: one conditional UPDATE (compare and swap) retires the presented token if, and
 *      only if, it is still the family's live token and not expired, and returns its device session.
 *      Two presentations of one token, on any instance, cannot both win: the second waits on the row
 *      lock and then finds it rotated (0 rows: the full path decides retry or reuse).
 *   2. rotationContext: the orgs the session has entered that the user still belongs to (their
 *      policies, the role), and the unretired signing keys for its active org, in one statement.
 *   3. commitRotation: the session's new ends and policy, and the successor token, in one statement,
 *      only while the session is not revoked (a revocation that committed meanwhile wins).
 *
 *
 * The switch: lockForSwitch reads the session (row-locked, as every change of a family is), whether the
 * user has TOTP, the user's membership of the target org and the signing keys, in one statement;
 * commitSwitch retires the live token, writes the session and issues the successor in one more.
 *
 * Every decision stays in core (decideRefresh, decideReentry, tightenedEnds, decideSigningKey); the
 * statements only read and write. device_sessions, refresh_tokens and signing_keys are identity tables;
 * memberships and organizations are read under RLS as the session's user (`member_read`, `org_read`).
 */

interface SessionRow {
  id: string;
  user_id: string;
  device_name: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  idle_expires_at: string;
  revoked_at: string | null;
  revoke_reason: RevokeReason | null;
  bound_org_id: string | null;
  active_org_id: string | null;
  entered_org_ids: string[];
  policy: SessionPolicy;
  auth_time: string;
  amr: string[];
  mfa_at: string | null;
}

const date = (v: string) => parseTimestamp(v) as Date;

interface RetiredRow extends SessionRow {
  token_id: string;
  token_expires_at: string;
}

/** The retired token's id and its device session (as the entity's shape: the response's `session`). */
export interface Retired {
  readonly tokenId: string;
  readonly tokenExpiresAt: Date;
  readonly session: DeviceSession;
}

/** Retires the token whose hash is `tokenHash` if it is the live, unexpired token of its family; null otherwise. */
export async function retireIfLive(em: EntityManager, tokenHash: string, now: Date): Promise<Retired | null> {
  const rows = await transactionQuery<RetiredRow>(
    em,
    `with retired as (
       update refresh_tokens set rotated_at = $2, retired_by = 'refresh'
        where token_hash = $1 and rotated_at is null and expires_at > $2
        returning id, session_id, expires_at)
     select r.id as token_id, r.expires_at as token_expires_at, ${SESSION_COLUMNS}
       from retired r join device_sessions s on s.id = r.session_id`,
    [tokenHash, now],
  );
  const row = rows[0];
  if (!row) return null;
  return { tokenId: row.token_id, tokenExpiresAt: date(row.token_expires_at), session: sessionOf(row) };
}

/** The columns of a device session, as sessionOf reads them. */
const SESSION_COLUMNS = `s.id, s.user_id, s.device_name, s.created_at, s.last_used_at, s.expires_at, s.idle_expires_at,
            s.revoked_at, s.revoke_reason, s.bound_org_id, s.active_org_id, s.entered_org_ids, s.policy, s.auth_time, s.amr, s.mfa_at`;

function sessionOf(row: SessionRow): DeviceSession {
  return {
      id: row.id,
      userId: row.user_id,
      deviceName: row.device_name,
      createdAt: date(row.created_at),
      lastUsedAt: date(row.last_used_at),
      expiresAt: date(row.expires_at),
      idleExpiresAt: date(row.idle_expires_at),
      revokedAt: row.revoked_at === null ? null : date(row.revoked_at),
      revokeReason: row.revoke_reason,
      boundOrgId: row.bound_org_id,
      activeOrgId: row.active_org_id,
      enteredOrgIds: row.entered_org_ids,
      policy: row.policy,
      authTime: date(row.auth_time),
      amr: row.amr,
      mfaAt: row.mfa_at === null ? null : date(row.mfa_at),
  };
}

/** The unretired global key and `$n`'s own, as a JSON array (decideSigningKey's input). */
const keysOf = (orgParam: string) => `(select json_agg(json_build_object('kid', k.id, 'owner', k.owner_org_id))
               from signing_keys k where k.retired_at is null and (k.owner_org_id is null or k.owner_org_id = ${orgParam}::uuid))`;
const keyList = (keys: { kid: string; owner: string | null }[] | null): ActiveKey[] => (keys ?? []).map((k) => ({ kid: k.kid, ownerOrgId: k.owner }));

export interface RotationContext {
  /** Of the session's entered orgs, those the user still belongs to, with the role. */
  readonly memberships: readonly Entered[];
  /** The unretired global key and the active org's own, for decideSigningKey. */
  readonly keys: readonly ActiveKey[];
}

interface ContextRow {
  memberships: { id: string; name: string; tier: Tier; policy_overrides: PolicyOverrides | null; created_at: string; role: Role }[] | null;
  keys: { kid: string; owner: string | null }[] | null;
}

/** The session's orgs and the signing keys, in one statement (the transaction's user must be `userId`). */
export async function rotationContext(em: EntityManager, userId: string, enteredOrgIds: readonly string[], activeOrgId: string | null): Promise<RotationContext> {
  const [row] = await transactionQuery<ContextRow>(
    em,
    `select (select json_agg(json_build_object('id', o.id, 'name', o.name, 'tier', o.tier, 'policy_overrides', o.policy_overrides, 'created_at', o.created_at, 'role', m.role))
               from organizations o join memberships m on m.org_id = o.id and m.user_id = $1
              where o.id = any($2::uuid[])) as memberships,
            ${keysOf('$3')} as keys`,
    [userId, enteredOrgIds, activeOrgId],
  );
  return {
    memberships: (row?.memberships ?? []).map((m) => ({ org: { id: m.id, name: m.name, tier: m.tier, policyOverrides: m.policy_overrides ?? {}, createdAt: new Date(m.created_at) }, role: m.role })),
    keys: keyList(row?.keys ?? null),
  };
}

export interface Rotation {
  readonly session: DeviceSession;
  /** The successor: its id, its hash, its parent (the retired token). It lives until the session's idle end. */
  readonly successor: { readonly id: string; readonly tokenHash: string; readonly parentId: string };
  readonly now: Date;
}

/**
 * Writes the session's ends, policy and active org and the successor token, and enters `tenant` (the
 * org the session serves now, or none) by the same statement once the successor is written; false
 * when the session was revoked meanwhile (nothing written, the tenant unchanged).
 */
export async function commitRotation(tx: RequestTransaction, r: Rotation, tenant: TenantSetting): Promise<boolean> {
  const s = r.session;
  return tx.enterTenantWith(tenant, async () => {
    const rows = await transactionQuery<{ id: string }>(
      tx.em,
      `with live as (
         update device_sessions set last_used_at = $2, expires_at = $3, idle_expires_at = $4, policy = $5, active_org_id = $6
          where id = $1 and revoked_at is null
          returning id, idle_expires_at)
       insert into refresh_tokens (id, session_id, parent_id, token_hash, created_at, expires_at)
       select $7, live.id, $8, $9, $2, live.idle_expires_at from live
       returning id, ${tenantSettingSql('$10', '$11')}`,
      [s.id, r.now, s.expiresAt, s.idleExpiresAt, JSON.stringify(s.policy), s.activeOrgId ?? null, r.successor.id, r.successor.parentId, r.successor.tokenHash, ...tenantSettingValues(tenant)],
    );
    return rows.length === 1;
  });
}

export interface SwitchState {
  readonly session: DeviceSession;
  readonly hasTotp: boolean;
  /** The user's membership of the target org, or null. */
  readonly entered: Entered | null;
  readonly keys: readonly ActiveKey[];
}

interface SwitchRow extends SessionRow {
  has_totp: boolean;
  role: Role | null;
  org_id: string | null;
  org_name: string | null;
  tier: Tier | null;
  policy_overrides: PolicyOverrides | null;
  org_created_at: string | null;
  keys: { kid: string; owner: string | null }[] | null;
}

/**
 * The session (locked FOR UPDATE until the transaction ends), whether its user has TOTP, the user's
 * membership of `targetOrgId` and the keys that may sign for it; null when the session is not the
 * user's. The transaction's user must be `userId` (RLS shows the user's own memberships and orgs).
 */
export async function lockForSwitch(em: EntityManager, sessionId: string, userId: string, targetOrgId: string): Promise<SwitchState | null> {
  const [row] = await transactionQuery<SwitchRow>(
    em,
    `select ${SESSION_COLUMNS}, u.totp_secret_sealed is not null as has_totp,
            m.role, o.id as org_id, o.name as org_name, o.tier, o.policy_overrides, o.created_at as org_created_at,
            ${keysOf('$3')} as keys
       from device_sessions s
       join users u on u.id = s.user_id
       left join memberships m on m.org_id = $3::uuid and m.user_id = s.user_id
       left join organizations o on o.id = m.org_id
      where s.id = $1::uuid and s.user_id = $2::uuid
        for update of s`,
    [sessionId, userId, targetOrgId],
  );
  if (!row) return null;
  const entered: Entered | null =
    row.role && row.org_id && row.tier
      ? { org: { id: row.org_id, name: row.org_name!, tier: row.tier, policyOverrides: row.policy_overrides ?? {}, createdAt: date(row.org_created_at!) }, role: row.role }
      : null;
  return { session: sessionOf(row), hasTotp: row.has_totp, entered, keys: keyList(row.keys) };
}

/**
 * Retires the family's live token, writes the switched session and issues `successor` (parented on
 * the retired token), in one statement that also enters `tenant` (the target org) once the successor
 * is written. The session row is locked by lockForSwitch, so the statement always writes it.
 */
export async function commitSwitch(tx: RequestTransaction, r: Omit<Rotation, 'successor'> & { readonly successor: { readonly id: string; readonly tokenHash: string } }, tenant: TenantSetting): Promise<void> {
  const s = r.session;
  const written = await tx.enterTenantWith(tenant, async () => {
    const rows = await transactionQuery<{ id: string }>(
      tx.em,
      `with retired as (
         update refresh_tokens set rotated_at = $2, retired_by = 'switch'
          where session_id = $1 and rotated_at is null
          returning id),
       live as (
         update device_sessions set last_used_at = $2, expires_at = $3, idle_expires_at = $4, policy = $5, active_org_id = $6,
                                    entered_org_ids = $7::uuid[], mfa_at = $8, amr = $9::text[]
          where id = $1
          returning id, idle_expires_at)
       insert into refresh_tokens (id, session_id, parent_id, token_hash, created_at, expires_at)
       select $10, live.id, (select id from retired), $11, $2, live.idle_expires_at from live
       returning id, ${tenantSettingSql('$12', '$13')}`,
      [s.id, r.now, s.expiresAt, s.idleExpiresAt, JSON.stringify(s.policy), s.activeOrgId ?? null, s.enteredOrgIds, s.mfaAt ?? null, s.amr, r.successor.id, r.successor.tokenHash, ...tenantSettingValues(tenant)],
    );
    return rows.length === 1;
  });
  if (!written) throw new Error('switchOrganization: the locked session was not written');
}
