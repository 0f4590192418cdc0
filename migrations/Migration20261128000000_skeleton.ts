import { Migration } from '@mikro-orm/migrations';

/**
 * Walking skeleton. Conventions every later migration follows (docs/ARCHITECTURE.md, "Data rules"):
 * - a tenant-owned table has `org_id` first in its primary key and in every foreign key to another
 *   tenant-owned table, and every index leads with `org_id`;
 * - RLS is ENABLEd and FORCEd, and the policy compares with CURRENT_ORG, a sub-select evaluated once
 *   per statement; `nullif` keeps it closed when a pooled connection reads the setting as '';
 * - the runtime role `orgbound_app` (created by src/app/operations/provision.ts) gets only the grants it needs.
 */
const CURRENT_ORG = `(select nullif(current_setting('app.org_id', true), ''))::uuid`;
const CURRENT_USER = `(select nullif(current_setting('app.user_id', true), ''))::uuid`;
const APP_ROLE = 'orgbound_app';

function tenantPolicy(table: string): string[] {
  return [
    `alter table ${table} enable row level security`,
    `alter table ${table} force row level security`,
    `create policy tenant_isolation on ${table} using (org_id = ${CURRENT_ORG}) with check (org_id = ${CURRENT_ORG})`,
    `grant select, insert, update, delete on ${table} to ${APP_ROLE}`,
  ];
}

export class Migration20261128000000_skeleton extends Migration {
  override async up(): Promise<void> {
    const statements = [
      // identity: not tenant-owned, reached only through the auth module
      `create table users (
        id uuid primary key,
        email text not null unique check (email = lower(email)),
        password_hash text not null,
        display_name text,
        created_at timestamptz not null default now()
      )`,
      `create table device_sessions (
        id uuid primary key,
        user_id uuid not null references users (id) on delete cascade,
        device_name text not null,
        created_at timestamptz not null,
        last_used_at timestamptz not null,
        expires_at timestamptz not null,
        revoked_at timestamptz,
        bound_org_id uuid
      )`,
      `create index device_sessions_user_idx on device_sessions (user_id)`,
      `create table refresh_tokens (
        id uuid primary key,
        session_id uuid not null references device_sessions (id) on delete cascade,
        token_hash text not null unique,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        rotated_at timestamptz
      )`,
      `create index refresh_tokens_session_idx on refresh_tokens (session_id)`,
      `create table signing_keys (
        id text primary key,
        alg text not null,
        public_jwk jsonb not null,
        private_jwk_sealed text not null,
        created_at timestamptz not null,
        retired_at timestamptz,
        verify_until timestamptz
      )`,
      `grant select, insert, update, delete on users, device_sessions, refresh_tokens, signing_keys to ${APP_ROLE}`,

      `grant select on mikro_orm_migrations to ${APP_ROLE}`, // readiness check (/readyz)

      // the tenant root
      `create table organizations (
        id uuid primary key,
        name text not null check (length(name) between 1 and 200),
        tier text not null check (tier in ('STANDARD', 'CONFIDENTIAL', 'REGULATED')),
        created_at timestamptz not null default now()
      )`,

      // tenant-owned
      `create table memberships (
        org_id uuid not null references organizations (id) on delete cascade,
        user_id uuid not null references users (id) on delete cascade,
        role text not null check (role in ('OWNER', 'ADMIN', 'MEMBER')),
        created_at timestamptz not null default now(),
        primary key (org_id, user_id)
      )`,
      `create index memberships_user_idx on memberships (user_id)`, // a user's own memberships (viewer)
      `create table invitations (
        org_id uuid not null references organizations (id) on delete cascade,
        id uuid not null,
        email text not null check (email = lower(email)),
        role text not null check (role in ('OWNER', 'ADMIN', 'MEMBER')),
        token_hash text not null,
        invited_by uuid not null references users (id),
        created_at timestamptz not null,
        expires_at timestamptz not null,
        accepted_at timestamptz,
        primary key (org_id, id),
        unique (org_id, token_hash)
      )`,
      `create table projects (
        org_id uuid not null references organizations (id) on delete cascade,
        id uuid not null,
        name text not null check (length(name) between 1 and 200),
        created_at timestamptz not null,
        primary key (org_id, id)
      )`,
      `create index projects_org_created_idx on projects (org_id, created_at, id)`,
      `create table tasks (
        org_id uuid not null references organizations (id) on delete cascade,
        id uuid not null,
        project_id uuid not null,
        title text not null check (length(title) between 1 and 500),
        done boolean not null default false,
        created_at timestamptz not null,
        primary key (org_id, id),
        foreign key (org_id, project_id) references projects (org_id, id) on delete cascade
      )`,
      `create index tasks_org_project_idx on tasks (org_id, project_id, created_at)`,

      ...tenantPolicy('invitations'),
      ...tenantPolicy('projects'),
      ...tenantPolicy('tasks'),

      // memberships: the active tenant sees its members; a user also sees their own memberships
      `alter table memberships enable row level security`,
      `alter table memberships force row level security`,
      `create policy member_read on memberships for select using (org_id = ${CURRENT_ORG} or user_id = ${CURRENT_USER})`,
      `create policy member_insert on memberships for insert with check (org_id = ${CURRENT_ORG})`,
      `create policy member_update on memberships for update using (org_id = ${CURRENT_ORG}) with check (org_id = ${CURRENT_ORG})`,
      `create policy member_delete on memberships for delete using (org_id = ${CURRENT_ORG})`,
      `grant select, insert, update, delete on memberships to ${APP_ROLE}`,

      // organizations: visible to the active tenant and to members; created only as the active tenant
      `alter table organizations enable row level security`,
      `alter table organizations force row level security`,
      `create policy org_read on organizations for select using (
        id = ${CURRENT_ORG} or id in (select m.org_id from memberships m where m.user_id = ${CURRENT_USER}))`,
      `create policy org_insert on organizations for insert with check (id = ${CURRENT_ORG})`,
      `create policy org_update on organizations for update using (id = ${CURRENT_ORG}) with check (id = ${CURRENT_ORG})`,
      `grant select, insert, update on organizations to ${APP_ROLE}`,
    ];
    for (const sql of statements) this.addSql(sql);
  }
}
