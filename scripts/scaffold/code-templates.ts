/**
 * The TypeScript files of a scaffolded slice, modelled on src/projects/ (the template every
 * tenant-owned slice follows): the entity, its service and its resolver map.
 */
import { FIELD_TYPES, type FieldSpec, type TypeSpec } from './spec.ts';

const tsType = (f: FieldSpec) => `${FIELD_TYPES[f.type].ts}${f.optional ? ' | null' : ''}`;

export function entityFile(t: TypeSpec): string {
  const props = t.fields.map((f) => {
    const opts = [FIELD_TYPES[f.type].orm, f.column !== f.name ? `fieldName: '${f.column}'` : '', f.optional ? 'nullable: true' : ''].filter(Boolean);
    return `    ${f.name}: { ${opts.join(', ')} },`;
  });
  return `import { EntitySchema } from '@mikro-orm/core';
import { TenantOwned, TenantOwnedSchema } from '../db/tenant-owned.ts';

/**
 * Written by \`npm run scaffold\`. Tenant-owned: \`orgId\` (from TenantOwned) is the first column of the
 * primary key, and the tenant filter puts \`org_id = :orgId\` on every load.
 */
export class ${t.name} extends TenantOwned {
  id!: string;
${t.fields.map((f) => `  ${f.name}!: ${tsType(f)};`).join('\n')}
  createdAt!: Date;
}

export const ${t.name}Schema = new EntitySchema<${t.name}, TenantOwned>({
  class: ${t.name},
  extends: TenantOwnedSchema,
  tableName: '${t.table}',
  properties: {
    id: { type: 'uuid', primary: true },
${props.join('\n')}
    createdAt: { type: 'Date', fieldName: 'created_at' },
  },
});
`;
}

/** zod helpers a service needs, declared only when one of its fields uses them. */
const HELPERS: Record<string, string> = {
  timestamp: `/** An instant PostgreSQL's timestamptz and every client can hold (years 1 to 9999). */
const timestamp = z.coerce.date().refine((d) => !Number.isNaN(d.getTime()) && d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999, 'out of range');`,
  calendarDate: `/** A calendar date, YYYY-MM-DD (years 1 to 9999), that exists (no 2001-02-29). */
const calendarDate = z
  .string()
  .regex(/^(?!0000)\\d{4}-\\d{2}-\\d{2}$/)
  .refine((s) => {
    const d = new Date(\`\${s}T00:00:00Z\`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
  }, 'not a calendar date');`,
};

function serviceHeader(t: TypeSpec): string {
  const zods = t.fields.map((f) => FIELD_TYPES[f.type].zod);
  const helpers = Object.keys(HELPERS).filter((h) => zods.includes(h as never));
  const needsText = zods.some((z) => z.startsWith('storableText'));
  return `import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { badInput, notFound } from '../errors.ts';
import type { RequestContext } from '../graphql/context.ts';
import { decodeCursor, pageSize, toConnection, type Connection } from '../graphql/relay.ts';
import { requireTenant } from '../tenancy/require.ts';
${needsText ? `import { storableText } from '../validation.ts';\n` : ''}import { ${t.name} } from './${t.stem}.entity.ts';

export type ${t.name}Connection = Connection<${t.name}>;
export type ${t.name}Edge = ${t.name}Connection['edges'][number];
${helpers.map((h) => `\n${HELPERS[h]}`).join('\n')}

/** Arguments of create${t.name} (anything else is dropped). */
const ${t.one}Input = z.object({
${t.fields.map((f) => `  ${f.name}: ${FIELD_TYPES[f.type].zod}${f.optional ? '.nullish()' : ''},`).join('\n')}
});

/** Arguments of update${t.name}: each may be left out or null (null clears an optional field). */
const ${t.one}Patch = z.object({
${t.fields.map((f) => `  ${f.name}: ${FIELD_TYPES[f.type].zod}.nullish(),`).join('\n')}
});

/** Raises BAD_USER_INPUT naming the first invalid argument. */
function valid<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badInput(\`Invalid \${parsed.error.issues[0]?.path.join('.') || 'input'}\`);
  return parsed.data;
}
`;
}

export function serviceFile(t: TypeSpec): string {
  const N = t.name;
  const assign = t.fields.map((f) =>
    f.optional ? `  if (patch.${f.name} !== undefined) ${t.one}.${f.name} = patch.${f.name};` : `  if (patch.${f.name} !== undefined && patch.${f.name} !== null) ${t.one}.${f.name} = patch.${f.name};`,
  );
  const values = t.fields.map((f) => `${f.name}: input.${f.name}${f.optional ? ' ?? null' : ''}`).join(', ');
  return `${serviceHeader(t)}
/** ${t.plural} of the active tenant, oldest first. Raises BAD_USER_INPUT for a bad \`first\`/\`after\`. */
export async function list${t.plural}(ctx: RequestContext, first: number | null | undefined, after: string | null | undefined): Promise<${N}Connection> {
  requireTenant(ctx.scope);
  const limit = pageSize(first);
  const c = after ? decodeCursor(after) : null;
  const where = c ? { $or: [{ createdAt: { $gt: c.createdAt } }, { createdAt: c.createdAt, id: { $gt: c.id } }] } : {};
  const rows = await ctx.em.find(${N}, where, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: limit + 1 });
  return toConnection(rows, limit);
}

/** The ${t.one}, or null when it is not in the active tenant (another tenant's id looks missing). */
export async function find${N}(ctx: RequestContext, id: string): Promise<${N} | null> {
  requireTenant(ctx.scope);
  return ctx.em.findOne(${N}, { id });
}

/** Raises BAD_USER_INPUT for an invalid argument. */
export async function create${N}(ctx: RequestContext, args: unknown): Promise<${N}> {
  const { orgId } = requireTenant(ctx.scope);
  const input = valid(${t.one}Input, args);
  const ${t.one} = ctx.em.create(${N}, { orgId, id: randomUUID(), ${values}, createdAt: ctx.app.now() });
  await ctx.em.persist(${t.one}).flush();
  return ${t.one};
}

/** Raises NOT_FOUND when the ${t.one} is not in the active tenant, BAD_USER_INPUT for an invalid argument. */
export async function update${N}(ctx: RequestContext, id: string, args: unknown): Promise<${N}> {
  const ${t.one} = await require${N}(ctx, id);
  const patch = valid(${t.one}Patch, args);
${assign.join('\n')}
  await ctx.em.flush();
  return ${t.one};
}

/** Raises NOT_FOUND when the ${t.one} is not in the active tenant. */
export async function delete${N}(ctx: RequestContext, id: string): Promise<boolean> {
  const ${t.one} = await require${N}(ctx, id);
  await ctx.em.remove(${t.one}).flush();
  return true;
}

async function require${N}(ctx: RequestContext, id: string): Promise<${N}> {
  return (await find${N}(ctx, id)) ?? Promise.reject(notFound('${N}'));
}
`;
}

export function resolversFile(t: TypeSpec): string {
  const N = t.name;
  return `import type { Resolvers } from '../graphql/generated/resolvers-types.ts';
import { parseId } from '../graphql/ids.ts';
import * as ${t.many} from './${t.stem}.service.ts';

/** Written by \`npm run scaffold\`; the shield rules of these fields are in src/platform/authorization/rules.ts. */
export const ${t.one}Resolvers: Resolvers = {
  Query: {
    ${t.many}: (_, args, ctx) => ${t.many}.list${t.plural}(ctx, args.first, args.after),
    ${t.one}: (_, args, ctx) => ${t.many}.find${N}(ctx, parseId(args.id)),
  },
  Mutation: {
    create${N}: (_, args, ctx) => ${t.many}.create${N}(ctx, args),
    update${N}: (_, args, ctx) => ${t.many}.update${N}(ctx, parseId(args.id), args),
    delete${N}: (_, args, ctx) => ${t.many}.delete${N}(ctx, parseId(args.id)),
  },
};
`;
}
