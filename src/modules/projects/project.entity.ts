import { EntitySchema } from '@mikro-orm/core';
import { TenantOwned, TenantOwnedSchema } from '../../db/tenant-owned.ts';

export class Project extends TenantOwned {
  id!: string;
  name!: string;
  createdAt!: Date;
}

export const ProjectSchema = new EntitySchema<Project, TenantOwned>({
  class: Project,
  extends: TenantOwnedSchema,
  tableName: 'projects',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'string' },
    createdAt: { type: 'Date', fieldName: 'created_at' },
  },
});
