import { Migration } from '@mikro-orm/migrations';

/**
 * Rate limits (issue 5): attempt counters shared by every API instance (src/platform/limits/rate-limit-buckets.queries.ts).
 * Not tenant-owned: no org_id and no RLS. A key is `<rule>:<HMAC of the subject>` (an email, a
 * client address or a session id under a key derived from the KEK), so the table holds no email
 * or address and tells nothing about any organization.
 */
const APP_ROLE = 'orgbound_app';

export class Migration20261128030000_rate_limits extends Migration {
  override async up(): Promise<void> {
    const statements = [
      // One row per key and fixed window; the sliding-window decision reads this window and the previous one.
      `create table rate_limit_buckets (
         key text not null check (length(key) between 1 and 200),
         window_start timestamptz not null,
         hits integer not null check (hits > 0),
         expires_at timestamptz not null check (expires_at > window_start),
         primary key (key, window_start)
       )`,
      `create index rate_limit_buckets_expires_idx on rate_limit_buckets (expires_at)`,
      // Counters are updated in place and expired rows deleted by the API itself (no separate job).
      `grant select, insert, update, delete on rate_limit_buckets to ${APP_ROLE}`,
    ];
    for (const sql of statements) this.addSql(sql);
  }
}
