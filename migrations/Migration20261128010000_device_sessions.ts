import { Migration } from '@mikro-orm/migrations';

/**
 * Device sessions (issue 3): one refresh-token family per device, rotation with reuse detection,
 * and the append-only security event log.
 */
const CURRENT_ORG = `(select nullif(current_setting('app.org_id', true), ''))::uuid`;
const CURRENT_USER = `(select nullif(current_setting('app.user_id', true), ''))::uuid`;
const APP_ROLE = 'orgbound_app';

export class Migration20261128010000_device_sessions extends Migration {
  override async up(): Promise<void> {
    const statements = [
      // The session remembers what it was opened with and every org it has entered; its policy is the
      // strictest of those orgs' policies (a JSON snapshot that only ever tightens).
      `alter table device_sessions
         add column auth_time timestamptz,
         add column amr text[] not null default '{pwd}',
         add column active_org_id uuid,
         add column entered_org_ids uuid[] not null default '{}',
         add column policy jsonb,
         add column idle_expires_at timestamptz,
         add column revoke_reason text`,
      `update device_sessions set auth_time = created_at, idle_expires_at = expires_at,
              policy = '{"accessTokenTtlSeconds":900,"idleTimeoutSeconds":604800,"absoluteTimeoutSeconds":2592000,"mfaRequired":false,"mfaMaxAgeSeconds":0,"isolatedSession":false,"dedicatedSigningKey":false,"refreshReuseLeewaySeconds":10}'`,
      `alter table device_sessions alter column auth_time set not null, alter column idle_expires_at set not null, alter column policy set not null`,
      `create index device_sessions_entered_idx on device_sessions using gin (entered_org_ids)`,

      // A retired token keeps its row (reuse detection needs it); `retired_by` says how it was retired.
      `alter table refresh_tokens
         add column parent_id uuid references refresh_tokens (id) on delete cascade,
         add column retired_by text check (retired_by in ('refresh', 'switch'))`,
      `update refresh_tokens set retired_by = 'refresh' where rotated_at is not null`,
      `alter table refresh_tokens add constraint refresh_tokens_retired_check check ((rotated_at is null) = (retired_by is null))`,
      // At most one live token per family: the database itself refuses a second live branch.
      `create unique index refresh_tokens_one_live_idx on refresh_tokens (session_id) where rotated_at is null`,
      `create index refresh_tokens_parent_idx on refresh_tokens (parent_id)`,

      // Append-only: the runtime role may INSERT and SELECT, never UPDATE or DELETE.
      `create table security_events (
         id uuid primary key,
         at timestamptz not null,
         type text not null check (type ~ '^[A-Z_]{3,64}$'),
         user_id uuid,
         session_id uuid,
         org_id uuid,
         detail jsonb not null default '{}'
       )`,
      `create index security_events_org_idx on security_events (org_id, at desc, id)`,
      `create index security_events_user_idx on security_events (user_id, at desc)`,
      `alter table security_events enable row level security`,
      `alter table security_events force row level security`,
      // Events of the active org, or of the signed-in user; written for the active org or for no org.
      `create policy event_read on security_events for select using (org_id = ${CURRENT_ORG} or (org_id is null and user_id = ${CURRENT_USER}))`,
      `create policy event_insert on security_events for insert with check (org_id is null or org_id = ${CURRENT_ORG})`,
      `grant select, insert on security_events to ${APP_ROLE}`,
    ];
    for (const sql of statements) this.addSql(sql);
  }
}
