import { notFound } from '../../core/errors.ts';
import type { Resolvers } from '../../generated/resolvers-types.ts';
import { parseId } from '../../core/ids.ts';
import { pageSize } from '../../core/relay.ts';
import { projectLoaders } from './loaders.ts';
import * as projects from './project.service.ts';

export const projectResolvers: Resolvers = {
  Query: {
    projects: (_, args, ctx) => projects.listProjects(ctx, args.first, args.after),
    project: (_, args, ctx) => projects.findProject(ctx, parseId(args.id)),
    task: (_, args, ctx) => projects.findTask(ctx, parseId(args.id)),
  },
  Mutation: {
    createProject: (_, args, ctx) => projects.createProject(ctx, args.name),
    updateProject: (_, args, ctx) => projects.updateProject(ctx, parseId(args.id), args.name),
    deleteProject: (_, args, ctx) => projects.deleteProject(ctx, parseId(args.id)),
    createTask: (_, args, ctx) => projects.createTask(ctx, parseId(args.projectId, 'projectId'), args.title),
    updateTask: (_, args, ctx) => projects.updateTask(ctx, parseId(args.id), args),
    deleteTask: (_, args, ctx) => projects.deleteTask(ctx, parseId(args.id)),
  },
  Project: {
    tasks: (project, args, ctx) => projectLoaders(ctx).tasksOfProject(pageSize(args.first, 100)).load(project.id),
  },
  Task: {
    project: async (task, _, ctx) => (await projectLoaders(ctx).projectById.load(task.projectId)) ?? Promise.reject(notFound('Project')),
  },
};
