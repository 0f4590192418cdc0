import { Migration } from '@mikro-orm/migrations';

/** Tiers and policies, TOTP, and per-organization signing keys (issue 4). */
export class Migration20261128020000_tiers_mfa_keys extends Migration {
  override async up(): Promise<void> {
    const statements = [
      // What an org has tightened beyond its tier's floor (src/core/policy/session-policy.ts resolvePolicy).
      `alter table organizations add column policy_overrides jsonb not null default '{}'`,
      // TOTP: secrets envelope-encrypted; the last accepted time step refuses a replayed code.
      `alter table users
         add column totp_secret_sealed text,
         add column totp_pending_sealed text,
         add column totp_enabled_at timestamptz,
         add column totp_last_step bigint,
         add constraint users_totp_enabled_check check ((totp_secret_sealed is null) = (totp_enabled_at is null))`,
      // When this session last passed MFA (`amr` gains "otp").
      `alter table device_sessions add column mfa_at timestamptz`,
      // A dedicated key belongs to one org; null is the global key. One signing (unretired) key per owner.
      `alter table signing_keys add column owner_org_id uuid references organizations (id) on delete cascade`,
      `create unique index signing_keys_one_active_idx on signing_keys ((coalesce(owner_org_id, '00000000-0000-0000-0000-000000000000'::uuid))) where retired_at is null`,
      `create index signing_keys_owner_idx on signing_keys (owner_org_id)`,
    ];
    for (const sql of statements) this.addSql(sql);
  }
}
