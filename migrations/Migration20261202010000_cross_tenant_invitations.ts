import { Migration } from '@mikro-orm/migrations';

/**
 * Invitations are tenant-owned objects with ids of their own, so the cross-tenant check covers them
 * like every other such type (the catalog test holds every module to it): registered in
 * cross_tenant_kinds, with an index on (id) for cross_tenant_owner's one probe.
 */
export class Migration20261202010000_cross_tenant_invitations extends Migration {
  override async up(): Promise<void> {
    this.addSql(`insert into cross_tenant_kinds (kind, table_name) values ('Invitation', 'invitations')`);
    this.addSql(`create index invitations_id_idx on invitations (id)`);
  }
}
