import { EntitySchema } from '@mikro-orm/core';
import { TenantOwned, TenantOwnedSchema } from '../../db/tenant-owned.ts';

/**
 * `projectId` is a plain column: the database's composite foreign key (org_id, project_id) →
 * projects(org_id, id) is what makes a cross-tenant reference impossible, and loading goes through
 * the request's DataLoaders, which the tenant filter covers.
 */
export class Task extends TenantOwned {
  id!: string;
  projectId!: string;
  title!: string;
  done!: boolean;
  createdAt!: Date;
}

export const TaskSchema = new EntitySchema<Task, TenantOwned>({
  class: Task,
  extends: TenantOwnedSchema,
  tableName: 'tasks',
  properties: {
    id: { type: 'uuid', primary: true },
    projectId: { type: 'uuid', fieldName: 'project_id' },
    title: { type: 'string' },
    done: { type: 'boolean' },
    createdAt: { type: 'Date', fieldName: 'created_at' },
  },
});
