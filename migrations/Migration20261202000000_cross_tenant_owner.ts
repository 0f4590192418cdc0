import { Migration } from '@mikro-orm/migrations';

/**
 * Cross-tenant attempts are recorded for the org whose object was probed, never for the prober
 * (issue 15: the prober's own audit trail must look the same for an id that exists nowhere and for
 * another tenant's id).
 *
 * `cross_tenant_owner(kind, id)` replaces object_exists_elsewhere: it returns the org that owns `id`
 * when that is not the transaction's tenant, else null, so the API can write the event into the
 * victim's trail. Like its predecessor it is a deliberate, minimal RLS bypass (SECURITY DEFINER as
 * this migration's role, search_path pinned, EXECUTE for orgbound_app only), called only after a
 * lookup in the tenant came back empty; the client's answer never depends on it, and the org id it
 * returns never reaches the client.
 *
 * Which tables it may look in is data, not code: `cross_tenant_kinds` (GraphQL type → table), which
 * only the owner can write. Every tenant-owned type's migration registers its table here (with an
 * index on `id`, so a miss costs one index probe); the prover checks that every tenant-owned entity
 * is registered.
 */
const APP_ROLE = 'orgbound_app';

export class Migration20261202000000_cross_tenant_owner extends Migration {
  override async up(): Promise<void> {
    const statements = [
      `create table cross_tenant_kinds (
         kind text primary key check (kind ~ '^[A-Z][A-Za-z0-9]{0,63}$'),
         table_name regclass not null unique
       )`,
      `grant select on cross_tenant_kinds to ${APP_ROLE}`,
      `insert into cross_tenant_kinds (kind, table_name) values ('Project', 'projects'), ('Task', 'tasks'), ('ServiceAccount', 'service_accounts')`,
      `create index service_accounts_id_idx on service_accounts (id)`,
      `do $do$ begin execute format($f$
         create function %1$I.cross_tenant_owner(kind text, object_id uuid) returns uuid
           language plpgsql stable security definer
           set search_path = %1$I, pg_temp
         as $body$
         declare
           current_org uuid := nullif(current_setting('app.org_id', true), '')::uuid;
           target regclass;
           owner_org uuid;
         begin
           if current_org is null or object_id is null then
             return null;
           end if;
           select k.table_name into target from cross_tenant_kinds k where k.kind = cross_tenant_owner.kind;
           if target is null then
             raise exception 'cross_tenant_owner: unknown kind %%', kind using errcode = '22023';
           end if;
           execute format('select org_id from %%s where id = $1 and org_id <> $2 limit 1', target) into owner_org using object_id, current_org;
           return owner_org;
         end
         $body$ $f$, current_schema());
       end $do$`,
      `revoke all on function cross_tenant_owner(text, uuid) from public`,
      `grant execute on function cross_tenant_owner(text, uuid) to ${APP_ROLE}`,
      `drop function object_exists_elsewhere(text, uuid)`,
    ];
    for (const sql of statements) this.addSql(sql);
  }
}
