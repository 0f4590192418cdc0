import { allow } from 'graphql-shield';
import { tenantScope } from '../../platform/authorization/rules.ts';
import { defineModule } from '../../platform/modules.ts';
import { ProjectSchema } from './project.entity.ts';
import { projectResolvers } from './resolvers.ts';
import { TaskSchema } from './task.entity.ts';

const read = tenantScope('projects:read');
const write = tenantScope('projects:write');

/** Projects and their tasks: the tenant-owned data of the example app. */
export default defineModule({
  name: 'projects',
  entities: [ProjectSchema, TaskSchema],
  resolvers: projectResolvers,
  scopes: [
    { name: 'projects:read', minimumRole: 'MEMBER', description: 'read projects and tasks' },
    { name: 'projects:write', minimumRole: 'MEMBER', description: 'create, change and delete projects and tasks' },
  ],
  rules: {
    'Query.projects': read,
    'Query.project': read,
    'Query.task': read,
    'Mutation.createProject': write,
    'Mutation.updateProject': write,
    'Mutation.deleteProject': write,
    'Mutation.createTask': write,
    'Mutation.updateTask': write,
    'Mutation.deleteTask': write,
    // Reachable only through the root fields above; rows under the tenant filter and RLS tenant_isolation.
    Project: allow,
    Task: allow,
    ProjectConnection: allow,
    ProjectEdge: allow,
  },
  crossTenant: { Project: 'projects', Task: 'tasks' },
});
