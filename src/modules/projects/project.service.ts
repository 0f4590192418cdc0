import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { badInput, notFound } from '../../core/errors.ts';
import type { RequestScope } from '../../platform/request-scope.ts';
import { decodeCursor, pageSize, toConnection, type Connection } from '../../core/relay.ts';
import { noteLookupMiss } from '../../platform/tenancy/cross-tenant-attempts.ts';
import { requireTenant } from '../../platform/tenancy/require.ts';
import { storableText } from '../../core/validation.ts';
import { tenantRows } from '../../db/tenant-rows.ts';
import { Project } from './project.entity.ts';
import { CREATION_ORDER, projectLoaders } from './loaders.ts';
import { Task } from './task.entity.ts';

export type ProjectConnection = Connection<Project>;
export type ProjectEdge = ProjectConnection['edges'][number];

const projectName = storableText(200);
const taskTitle = storableText(500);

function valid<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badInput(`Invalid ${what}`);
  return parsed.data;
}

/**
 * Projects of the active tenant, oldest first: plain rows (the fast read path; they are not for
 * changing). Raises BAD_USER_INPUT for a bad `first`/`after`.
 */
export async function listProjects(ctx: RequestScope, first: number | null | undefined, after: string | null | undefined): Promise<Connection<Project>> {
  requireTenant(ctx.scope);
  const limit = pageSize(first);
  const c = after ? decodeCursor(after) : null;
  const rows = await tenantRows(ctx.tx, Project, {
    ...(c ? { where: '(created_at, id) > (?, ?)', params: [c.createdAt, c.id] } : {}),
    orderBy: CREATION_ORDER,
    limit: limit + 1,
  });
  for (const p of rows) projectLoaders(ctx).projectById.prime(p.id, p);
  return toConnection(rows, limit);
}

/**
 * The project, or null when it is not in the active tenant (another tenant's id looks missing; a
 * miss is checked for a cross-tenant attempt, which is recorded without changing the answer). For
 * reading: a plain row.
 */
export async function findProject(ctx: RequestScope, id: string): Promise<Project | null> {
  requireTenant(ctx.scope);
  const project = await projectLoaders(ctx).projectById.load(id);
  if (!project) await noteLookupMiss(ctx, 'Project', id);
  return project;
}

/** The task, or null when it is not in the active tenant (as findProject). For reading: a plain row. */
export async function findTask(ctx: RequestScope, id: string): Promise<Task | null> {
  requireTenant(ctx.scope);
  const [task] = await tenantRows(ctx.tx, Task, { where: 'id = ?', params: [id] });
  if (!task) await noteLookupMiss(ctx, 'Task', id);
  return task ?? null;
}

export async function createProject(ctx: RequestScope, name: string): Promise<Project> {
  const { orgId } = requireTenant(ctx.scope);
  const project = ctx.em.create(Project, { orgId, id: randomUUID(), name: valid(projectName, name, 'name'), createdAt: ctx.app.now() });
  await ctx.em.persist(project).flush();
  return project;
}

/** Raises NOT_FOUND when the project is not in the active tenant. */
export async function updateProject(ctx: RequestScope, id: string, name: string): Promise<Project> {
  const project = await requireProject(ctx, id);
  project.name = valid(projectName, name, 'name');
  await ctx.em.flush();
  return project;
}

/** Deletes the project and its tasks. Raises NOT_FOUND when it is not in the active tenant. */
export async function deleteProject(ctx: RequestScope, id: string): Promise<boolean> {
  const project = await requireProject(ctx, id);
  await ctx.em.remove(project).flush(); // tasks go by ON DELETE CASCADE on (org_id, project_id)
  return true;
}

/** Raises NOT_FOUND when the project is not in the active tenant. */
export async function createTask(ctx: RequestScope, projectId: string, title: string): Promise<Task> {
  const { orgId } = requireTenant(ctx.scope);
  const project = await requireProject(ctx, projectId);
  const task = ctx.em.create(Task, { orgId, id: randomUUID(), projectId: project.id, title: valid(taskTitle, title, 'title'), done: false, createdAt: ctx.app.now() });
  await ctx.em.persist(task).flush();
  return task;
}

/** Raises NOT_FOUND when the task is not in the active tenant. */
export async function updateTask(ctx: RequestScope, id: string, patch: { title?: string | null; done?: boolean | null }): Promise<Task> {
  const task = await requireTask(ctx, id);
  if (patch.title !== undefined && patch.title !== null) task.title = valid(taskTitle, patch.title, 'title');
  if (patch.done !== undefined && patch.done !== null) task.done = patch.done;
  await ctx.em.flush();
  return task;
}

export async function deleteTask(ctx: RequestScope, id: string): Promise<boolean> {
  const task = await requireTask(ctx, id);
  await ctx.em.remove(task).flush();
  return true;
}

/** The project to change, managed by the EntityManager. Raises NOT_FOUND when it is not in the active tenant (checked for a cross-tenant attempt). */
async function requireProject(ctx: RequestScope, id: string): Promise<Project> {
  requireTenant(ctx.scope);
  const project = await ctx.em.findOne(Project, { id });
  if (project) return project;
  await noteLookupMiss(ctx, 'Project', id);
  throw notFound('Project');
}

/** The task to change, managed by the EntityManager. Raises NOT_FOUND as requireProject. */
async function requireTask(ctx: RequestScope, id: string): Promise<Task> {
  requireTenant(ctx.scope);
  const task = await ctx.em.findOne(Task, { id });
  if (task) return task;
  await noteLookupMiss(ctx, 'Task', id);
  throw notFound('Task');
}
