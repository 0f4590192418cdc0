import { Migration } from '@mikro-orm/migrations';

/**
 * Service accounts (issue 7): machine identities owned by one org. Tenant-owned like projects:
 * `org_id` first in the primary key, RLS enabled and forced with the same tenant_isolation policy.
 * Secrets are stored as SHA-256 hashes of 256-bit random values; the previous secret stays valid
 * until `previous_secret_expires_at` (rotation grace).
 */
const CURRENT_ORG = `(select nullif(current_setting('app.org_id', true), ''))::uuid`;
const APP_ROLE = 'orgbound_app';

export class Migration20261129010000_service_accounts extends Migration {
  override async up(): Promise<void> {
    const statements = [
      `create table service_accounts (
        org_id uuid not null references organizations (id) on delete cascade,
        id uuid not null,
        name text not null check (length(name) between 1 and 200),
        scopes text[] not null,
        secret_hash text not null,
        previous_secret_hash text,
        previous_secret_expires_at timestamptz,
        created_by uuid not null references users (id),
        created_at timestamptz not null,
        revoked_at timestamptz,
        primary key (org_id, id),
        unique (org_id, secret_hash),
        constraint service_accounts_previous_check check ((previous_secret_hash is null) = (previous_secret_expires_at is null))
      )`,
      `alter table service_accounts enable row level security`,
      `alter table service_accounts force row level security`,
      `create policy tenant_isolation on service_accounts using (org_id = ${CURRENT_ORG}) with check (org_id = ${CURRENT_ORG})`,
      `grant select, insert, update, delete on service_accounts to ${APP_ROLE}`,
    ];
    for (const sql of statements) this.addSql(sql);
  }
}
