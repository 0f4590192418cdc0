/**
 * A tenant's ids read back from the database as the owner (RLS does not hide anything from it), by
 * kind (`table.column`), and the set of strings that would betray the tenant in a response. Tenant
 * tables are found in the catalog, so a table added later contributes its ids without a change here.
 */
import type { TestDatabase } from '../support/harness.ts';
import { tenantTables } from '../support/snapshot.ts';
import type { TenantWorld } from './world.ts';

export type IdsByKind = ReadonlyMap<string, readonly string[]>;

export interface TenantFacts {
  readonly orgId: string;
  readonly userIds: readonly string[];
  /** Every id of the tenant's rows, by kind (`projects.id`, `memberships.user_id`, ...). */
  readonly ids: IdsByKind;
  /** Everything that identifies the tenant: its ids, marker, emails, tokens and TOTP secret. */
  readonly secrets: readonly string[];
}

/** Primary-key columns of each table but `org_id`: what identifies a row within its tenant. */
async function rowKeyColumns(db: TestDatabase, tables: readonly string[]): Promise<Map<string, string[]>> {
  const rows = await db.sql<{ table: string; cols: string[] }>(
    `select c.relname as table, array_agg(a.attname::text order by k.i) as cols
       from pg_index x
       join pg_class c on c.oid = x.indrelid
       cross join lateral unnest(x.indkey) with ordinality k(n, i)
       join pg_attribute a on a.attrelid = c.oid and a.attnum = k.n
      where x.indisprimary and c.relnamespace = current_schema()::regnamespace and c.relname = any($1)
      group by c.relname`,
    [tables],
  );
  return new Map(rows.map((r) => [r.table, r.cols.filter((c) => c !== 'org_id')]));
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Ids of the tenant's identity rows, which have no org_id: its users, their device sessions and
 * refresh tokens, their events without an org, and the org's dedicated signing keys.
 */
const IDENTITY_KINDS: Readonly<Record<string, [sql: string, by: 'org' | 'users' | 'both']>> = {
  'organizations.id': [`select id::text as id from organizations where id = $1`, 'org'],
  'users.id': [`select id::text as id from users where id = any($1::uuid[])`, 'users'],
  'device_sessions.id': [`select id::text as id from device_sessions where user_id = any($1::uuid[])`, 'users'],
  'refresh_tokens.id': [`select r.id::text as id from refresh_tokens r join device_sessions s on s.id = r.session_id where s.user_id = any($1::uuid[])`, 'users'],
  'security_events.id': [`select id::text as id from security_events where org_id = $1 or user_id = any($2::uuid[])`, 'both'],
  'signing_keys.id': [`select id from signing_keys where owner_org_id = $1`, 'org'],
};

export async function readTenantIds(db: TestDatabase, orgId: string, userIds: readonly string[]): Promise<Map<string, string[]>> {
  const ids = new Map<string, Set<string>>();
  const add = (kind: string, values: string[]) => ids.set(kind, new Set([...(ids.get(kind) ?? []), ...values]));
  const tables = await tenantTables(db);
  for (const [table, cols] of await rowKeyColumns(db, tables)) {
    for (const col of cols) {
      const rows = await db.sql<{ id: string }>(`select distinct ${q(col)}::text as id from ${q(table)} where org_id = $1`, [orgId]);
      add(`${table}.${col}`, rows.map((r) => r.id));
    }
  }
  for (const [kind, [sql, by]] of Object.entries(IDENTITY_KINDS)) {
    const params = by === 'org' ? [orgId] : by === 'users' ? [userIds] : [orgId, userIds];
    add(kind, (await db.sql<{ id: string }>(sql, params)).map((r) => r.id));
  }
  return new Map([...ids].map(([kind, set]) => [kind, [...set].sort()]));
}

export function userIdsOf(world: TenantWorld): string[] {
  return [world.owner, world.admin, world.member, world.spare].map((p) => p.userId).concat(world.formerUserId);
}

export async function readTenantFacts(db: TestDatabase, world: TenantWorld): Promise<TenantFacts> {
  const userIds = userIdsOf(world);
  const ids = await readTenantIds(db, world.orgId, userIds);
  const emails = [world.owner, world.admin, world.member, world.spare].map((p) => p.email);
  const secrets = new Set([...[...ids.values()].flat(), world.marker, ...emails, ...world.issuedTokens, ...world.invitationTokens, world.totpSecret]);
  return { orgId: world.orgId, userIds, ids, secrets: [...secrets] };
}

/** Up to `perKind` ids of each kind (all of them with Infinity), kinds in name order. */
export function sampleIds(ids: IdsByKind, perKind: number): { kind: string; id: string }[] {
  return [...ids.keys()].sort().flatMap((kind) => (ids.get(kind) ?? []).slice(0, perKind).map((id) => ({ kind, id })));
}
