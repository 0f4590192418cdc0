import { Migration } from '@mikro-orm/migrations';

/**
 * Audit trail and cross-tenant attempt detection (issue 6).
 *
 * `object_exists_elsewhere(kind, id)` answers one question, "does this id exist under an org other
 * than the transaction's tenant (app.org_id)?", with a single boolean. It is a deliberate, minimal
 * RLS bypass: SECURITY DEFINER, so it runs as this migration's role, which must bypass RLS
 * (superuser or BYPASSRLS, as the owner connection of the layer tests already does). It returns
 * nothing of the other row, takes no org argument (the other side is always "not the current
 * tenant"), answers false without a tenant, and only orgbound_app may execute it. The API calls it
 * only after a lookup by id has already come back empty (src/platform/tenancy/cross-tenant.queries.ts), to record a
 * CROSS_TENANT_ACCESS_DENIED event; the client's answer never depends on it.
 */
const APP_ROLE = 'orgbound_app';

export class Migration20261129000000_audit_cross_tenant extends Migration {
  override async up(): Promise<void> {
    const statements = [
      // The existence check looks an id up across orgs: these are the only indexes on a tenant table
      // that do not lead with org_id (test/db/catalog.test.ts INDEX_EXEMPT says why).
      `create index projects_id_idx on projects (id)`,
      `create index tasks_id_idx on tasks (id)`,
      // search_path pinned to this schema (then pg_temp, last) so no caller-controlled object can shadow the tables.
      `do $do$ begin execute format($f$
         create function %1$I.object_exists_elsewhere(kind text, object_id uuid) returns boolean
           language plpgsql stable security definer
           set search_path = %1$I, pg_temp
         as $body$
         declare
           current_org uuid := nullif(current_setting('app.org_id', true), '')::uuid;
         begin
           if current_org is null or object_id is null then
             return false;
           end if;
           if kind = 'Project' then
             return exists (select 1 from projects where id = object_id and org_id <> current_org);
           elsif kind = 'Task' then
             return exists (select 1 from tasks where id = object_id and org_id <> current_org);
           end if;
           raise exception 'object_exists_elsewhere: unknown kind %%', kind using errcode = '22023';
         end
         $body$ $f$, current_schema());
       end $do$`,
      `revoke all on function object_exists_elsewhere(text, uuid) from public`,
      `grant execute on function object_exists_elsewhere(text, uuid) to ${APP_ROLE}`,
    ];
    for (const sql of statements) this.addSql(sql);
  }
}
