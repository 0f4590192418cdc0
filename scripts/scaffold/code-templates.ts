/**
 * The TypeScript files of a scaffolded module, modelled on src/modules/projects/ (the template every
 * tenant-owned module follows): entity, service, loaders, per-parent list query, resolvers, manifest,
 * public surface and codegen mappers. Each takes the parsed TypeSpec and the references it resolved.
 */
import { SCALARS, upperFirst, type FieldSpec, type RefField, type ScalarType, type TypeSpec } from './spec.ts';

/** What a reference points to, read from the target's module (scaffold.ts resolveTargets). */
export interface RefTarget {
  /** The GraphQL type and entity class: `Project`. */
  readonly type: string;
  /** Its module folder: `projects`. */
  readonly module: string;
  readonly table: string;
  /** The scope that reads it (`projects:read`): a field crossing into it needs that scope too. */
  readonly readScope: string;
}

export type Targets = ReadonlyMap<string, RefTarget>;

const HEADER = (what: string) => `Written by \`npm run scaffold\` (${what}); yours to change. \`npm run scaffold:field\` regenerates this file only while it is unchanged.`;

function tsType(f: FieldSpec): string {
  const base = f.kind === 'enum' ? f.values.map((v) => `'${v}'`).join(' | ') : f.kind === 'ref' ? 'string' : SCALARS[f.type].ts;
  return f.optional ? (f.kind === 'enum' ? `(${base}) | null` : `${base} | null`) : base;
}
const article = (word: string) => (/^[aeiou]/i.test(word) ? 'An' : 'A');
const prop = (f: FieldSpec) => (f.kind === 'ref' ? f.idName : f.name);
const ormType = (f: FieldSpec) => (f.kind === 'scalar' ? SCALARS[f.type].orm : f.kind === 'ref' ? `type: 'uuid'` : `type: 'text'`);
const targetOf = (targets: Targets, f: RefField) => targets.get(f.target)!;
const refs = (t: TypeSpec) => t.fields.filter((f): f is RefField => f.kind === 'ref');

export function entityFile(t: TypeSpec): string {
  const props = t.fields.map((f) => {
    const opts = [ormType(f), f.column !== prop(f) ? `fieldName: '${f.column}'` : '', f.optional ? 'nullable: true' : ''].filter(Boolean);
    return `    ${prop(f)}: { ${opts.join(', ')} },`;
  });
  return `import { EntitySchema } from '@mikro-orm/core';
import { TenantOwned, TenantOwnedSchema } from '../../db/tenant-owned.ts';

/**
 * ${t.plural}: tenant-owned. \`orgId\` (from TenantOwned) is the first column of the primary key, and
 * the tenant filter puts \`org_id = :orgId\` on every load.${refs(t).length ? `\n * ${refs(t).map((f) => `\`${f.idName}\` names a ${f.target} of the same organization (composite foreign key (org_id, ${f.column})).`).join('\n * ')}` : ''}
 * ${HEADER('entity')}
 */
export class ${t.name} extends TenantOwned {
  id!: string;
${t.fields.map((f) => `  ${prop(f)}!: ${tsType(f)};`).join('\n')}
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

function zodOf(f: FieldSpec): string {
  if (f.kind === 'enum') return `z.enum([${f.values.map((v) => `'${v}'`).join(', ')}])`;
  if (f.kind === 'ref') return 'z.string()';
  return SCALARS[f.type].zod;
}

/** How the order column's value goes into a cursor and comes back out of one. */
function cursorCodec(type: ScalarType): { key: (row: string) => string; read: string } {
  switch (type) {
    case 'datetime':
      return { key: (row) => `${row}.toISOString()`, read: `(v: unknown) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v) : undefined)` };
    case 'int':
      return { key: (row) => row, read: `(v: unknown) => (Number.isInteger(v) ? (v as number) : undefined)` };
    case 'float':
      return { key: (row) => row, read: `(v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)` };
    default:
      return { key: (row) => row, read: `(v: unknown) => (typeof v === 'string' ? v : undefined)` };
  }
}

function serviceHeader(t: TypeSpec, targets: Targets): string {
  const zods = t.fields.map(zodOf);
  const helpers = Object.keys(HELPERS).filter((h) => zods.includes(h));
  const needsText = zods.some((z) => z.startsWith('storableText'));
  const unique = t.fields.some((f) => f.unique);
  const refTypes = [...new Set(refs(t).map((f) => targetOf(targets, f).type))];
  return `import { randomUUID } from 'node:crypto';
${unique ? `import { UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';\n` : ''}import { z } from 'zod';
import { badInput, notFound } from '../../core/errors.ts';
${refTypes.length ? `import { parseId } from '../../core/ids.ts';\n` : ''}import { decodeKeyCursor, pageSize, toKeyConnection, type Connection } from '../../core/relay.ts';
${needsText ? `import { storableText } from '../../core/validation.ts';\n` : ''}import type { RequestScope } from '../../platform/request-scope.ts';
import { noteLookupMiss } from '../../platform/tenancy/cross-tenant-attempts.ts';
import { requireTenant } from '../../platform/tenancy/require.ts';
import { ${t.name} } from './${t.stem}.entity.ts';
import { ${t.one}Loaders } from './loaders.ts';

export type ${t.name}Connection = Connection<${t.name}>;
export type ${t.name}Edge = ${t.name}Connection['edges'][number];
${helpers.map((h) => `\n${HELPERS[h]}`).join('\n')}

/** Arguments of create${t.name} (anything else is dropped). */
const ${t.one}Input = z.object({
${t.fields.map((f) => `  ${prop(f)}: ${zodOf(f)}${f.optional ? '.nullish()' : ''},`).join('\n')}
});

/** Arguments of update${t.name}: each may be left out or null (null clears an optional field). */
const ${t.one}Patch = z.object({
${t.fields.map((f) => `  ${prop(f)}: ${zodOf(f)}.nullish(),`).join('\n')}
});

/** Raises BAD_USER_INPUT naming the first invalid argument. */
function valid<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badInput(\`Invalid \${parsed.error.issues[0]?.path.join('.') || 'input'}\`);
  return parsed.data;
}
`;
}

export function serviceFile(t: TypeSpec, targets: Targets): string {
  const N = t.name;
  const o = t.order;
  const codec = cursorCodec(o.type);
  const cmp = o.direction === 'asc' ? '$gt' : '$lt';
  const uniques = t.fields.filter((f) => f.unique);
  const refFields = refs(t);
  const assign = t.fields.map((f) => {
    const p = prop(f);
    return f.optional ? `  if (patch.${p} !== undefined) ${t.one}.${p} = patch.${p};` : `  if (patch.${p} !== undefined && patch.${p} !== null) ${t.one}.${p} = patch.${p};`;
  });
  const values = t.fields.map((f) => `${prop(f)}: input.${prop(f)}${f.optional ? ' ?? null' : ''}`).join(', ');
  const refChecks = (src: string) =>
    refFields.map((f) => {
      const target = targetOf(targets, f);
      return `  if (${src}.${f.idName} != null) ${src}.${f.idName} = await require${target.type}(ctx, ${src}.${f.idName}, '${f.idName}');`;
    });
  const uniqueChecks = (src: string, self: string) => uniques.map((f) => `  if (${src}.${f.name} != null) await requireFree(ctx, '${f.name}', ${src}.${f.name}${self});`);
  const flush = uniques.length ? `await flushUnique(ctx)` : `await ctx.em.flush()`;
  return `${serviceHeader(t, targets)}
/** The order of every list of ${t.plural}: ${o.field} ${o.direction === 'asc' ? 'ascending' : 'descending'}, then id. */
export const ${t.one}Order = { ${o.field}: '${o.direction}', id: 'asc' } as const;
const cursorKey = (row: ${N}) => ${codec.key(`row.${o.field}`)};
const readCursorKey = ${codec.read};

/** ${t.plural} of the active tenant in ${t.one}Order. Raises BAD_USER_INPUT for a bad \`first\`/\`after\`. */
export async function list${t.plural}(ctx: RequestScope, first: number | null | undefined, after: string | null | undefined): Promise<${N}Connection> {
  requireTenant(ctx.scope);
  const limit = pageSize(first);
  const c = after ? decodeKeyCursor(after, readCursorKey) : null;
  const where = c ? { $or: [{ ${o.field}: { ${cmp}: c.value } }, { ${o.field}: c.value, id: { $gt: c.id } }] } : {};
  const rows = await ctx.em.find(${N}, where, { orderBy: ${t.one}Order, limit: limit + 1 });
  for (const row of rows) ${t.one}Loaders(ctx).byId.prime(row.id, row);
  return toKeyConnection(rows, limit, cursorKey);
}

/**
 * The ${t.one}, or null when it is not in the active tenant (another tenant's id looks missing; a
 * miss is checked for a cross-tenant attempt, recorded in the other tenant's trail without changing the answer).
 */
export async function find${N}(ctx: RequestScope, id: string): Promise<${N} | null> {
  requireTenant(ctx.scope);
  const row = await ${t.one}Loaders(ctx).byId.load(id);
  if (!row) await noteLookupMiss(ctx, '${N}', id);
  return row;
}

/** Raises BAD_USER_INPUT for an invalid argument${refFields.length ? `, NOT_FOUND for a ${[...new Set(refFields.map((f) => f.target))].join(' or ')} not in the active tenant` : ''}. */
export async function create${N}(ctx: RequestScope, args: unknown): Promise<${N}> {
  const { orgId } = requireTenant(ctx.scope);
  const input = valid(${t.one}Input, args);
${[...refChecks('input'), ...uniqueChecks('input', '')].join('\n')}
  const ${t.one} = ctx.em.create(${N}, { orgId, id: randomUUID(), ${values}, createdAt: ctx.app.now() });
  ctx.em.persist(${t.one});
  ${flush};
  return ${t.one};
}

/** Raises NOT_FOUND when the ${t.one} is not in the active tenant, BAD_USER_INPUT for an invalid argument. */
export async function update${N}(ctx: RequestScope, id: string, args: unknown): Promise<${N}> {
  const ${t.one} = await require${N}(ctx, id);
  const patch = valid(${t.one}Patch, args);
${[...refChecks('patch'), ...uniqueChecks('patch', `, ${t.one}.id`)].join('\n')}
${assign.join('\n')}
  ${flush};
  return ${t.one};
}

/** Raises NOT_FOUND when the ${t.one} is not in the active tenant. */
export async function delete${N}(ctx: RequestScope, id: string): Promise<boolean> {
  const ${t.one} = await require${N}(ctx, id);
  await ctx.em.remove(${t.one}).flush();
  return true;
}

async function require${N}(ctx: RequestScope, id: string): Promise<${N}> {
  return (await find${N}(ctx, id)) ?? Promise.reject(notFound('${N}'));
}
${[...new Set(refFields.map((f) => targetOf(targets, f).type))]
  .map(
    (type) => `
/** The id of a ${type} of the active tenant. Raises BAD_USER_INPUT for a malformed id, NOT_FOUND otherwise (another tenant's too). */
async function require${type}(ctx: RequestScope, id: string, what: string): Promise<string> {
  const parsed = parseId(id, what);
  if (await ${t.one}Loaders(ctx).${type.charAt(0).toLowerCase() + type.slice(1)}ById.load(parsed)) return parsed;
  await noteLookupMiss(ctx, '${type}', parsed);
  throw notFound('${type}');
}
`,
  )
  .join('')}${
    uniques.length
      ? `
/** Raises BAD_USER_INPUT when another ${t.one} of the active tenant has this ${uniques.map((f) => f.name).join(' or ')}. */
async function requireFree(ctx: RequestScope, field: ${uniques.map((f) => `'${f.name}'`).join(' | ')}, value: unknown, self?: string): Promise<void> {
  const taken = await ctx.em.findOne(${N}, { [field]: value } as FilterQuery<${N}>);
  if (taken && taken.id !== self) throw badInput(\`${article(t.one)} ${t.one} with this \${field} already exists\`);
}

/** Flushes; two requests taking the same unique value at once: the second is BAD_USER_INPUT too. */
async function flushUnique(ctx: RequestScope): Promise<void> {
  try {
    await ctx.em.flush();
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) throw badInput('${article(t.one)} ${t.one} with this value already exists');
    throw err;
  }
}
`
      : ''
  }`;
}

/** The loaders: by id, each referenced type by id, and (per reference) the first rows of each parent. */
export function loadersFile(t: TypeSpec, targets: Targets): string {
  const refTypes = [...new Set(refs(t).map((f) => targetOf(targets, f)))].filter((x, i, all) => all.findIndex((y) => y.type === x.type) === i);
  const imports = refTypes.map((r) => `import { ${r.type} } from '../${r.module}/index.ts';`);
  const byRef = refTypes.map(
    (r) => `    ${r.type.charAt(0).toLowerCase() + r.type.slice(1)}ById: new DataLoader<string, ${r.type} | null>(async (ids) => {
      const rows = await em.find(${r.type}, { id: { $in: [...ids] } });
      return ids.map((id) => rows.find((row) => row.id === id) ?? null);
    }),`,
  );
  const ofParent = refs(t).map(
    (f) => `    /** The first \`first\` ${t.many} of each ${f.target} by \`${f.name}\` (a bounded list, one statement per batch). */
    ${t.many}Of${upperFirst(f.name)}(first: number): DataLoader<string, ${t.name}[]> {
      const key = \`${f.name}:\${first}\`;
      let loader = perParent.get(key);
      if (!loader) {
        loader = new DataLoader<string, ${t.name}[]>(async (parentIds) => {
          if (!orgId) throw new Error('Tenant filter used without a tenant (fail closed)');
          const rows = await first${t.plural}By${upperFirst(f.name)}(em, orgId, parentIds, first);
          return parentIds.map((id) => rows.filter((row) => row.${f.idName} === id));
        });
        perParent.set(key, loader);
      }
      return loader;
    },`,
  );
  return `import DataLoader from 'dataloader';
import { perRequest } from '../../platform/loaders.ts';
${imports.join('\n')}${imports.length ? '\n' : ''}import { ${t.name} } from './${t.stem}.entity.ts';
${refs(t).length ? `import { ${refs(t).map((f) => `first${t.plural}By${upperFirst(f.name)}`).join(', ')} } from './${t.module}.queries.ts';\n` : ''}
/**
 * The ${t.module} module's batch loaders, one set per request and tenant: every load goes through the
 * request's EntityManager, so the tenant filter and the transaction's RLS setting apply.
 * ${HEADER('loaders')}
 */
export const ${t.one}Loaders = perRequest((em, ${refs(t).length ? 'orgId' : '_orgId'}) => {
${refs(t).length ? `  const perParent = new Map<string, DataLoader<string, ${t.name}[]>>();\n` : ''}  return {
    byId: new DataLoader<string, ${t.name} | null>(async (ids) => {
      const rows = await em.find(${t.name}, { id: { $in: [...ids] } });
      return ids.map((id) => rows.find((row) => row.id === id) ?? null);
    }),
${[...byRef, ...ofParent].join('\n')}
  };
});
`;
}

/** Raw SQL for the per-parent lists (the ORM cannot express a limit per parent). Only with references. */
export function queriesFile(t: TypeSpec): string | null {
  if (refs(t).length === 0) return null;
  const columns = ['org_id', 'id', ...t.fields.map((f) => f.column), 'created_at'].join(', ');
  const order = `${t.order.column}${t.order.direction === 'desc' ? ' desc' : ''}, id`;
  return `import type { EntityManager } from '@mikro-orm/postgresql';
import { ${t.name} } from './${t.stem}.entity.ts';

/*
 * The first \`first\` ${t.many} of each parent of a batch, in one statement: a LATERAL join runs one index
 * range scan per parent, so a parent with a million rows costs \`first\`. Raw SQL because the ORM cannot
 * express a limit per parent: the statement carries the tenant filter's predicate itself (\`org_id = ?\`,
 * the request's tenant) and runs in the request's transaction under RLS.
 * ${HEADER('queries')}
 */
${refs(t)
  .map(
    (f) => `
export async function first${t.plural}By${upperFirst(f.name)}(em: EntityManager, orgId: string, parentIds: readonly string[], first: number): Promise<${t.name}[]> {
  const rows = await em.execute<Record<string, unknown>[]>(
    \`select x.* from unnest(array[?]::uuid[]) as p(id)
       cross join lateral (
         select ${columns} from ${t.table}
          where org_id = ? and ${f.column} = p.id order by ${order} limit ?) x\`,
    [parentIds, orgId, first],
  );
  return rows.map((row) => em.map(${t.name}, row));
}
`,
  )
  .join('')}`;
}

export function resolversFile(t: TypeSpec, targets: Targets): string {
  const N = t.name;
  const refFields = refs(t);
  const fieldResolvers = refFields.map((f) => {
    const loader = `${targetOf(targets, f).type.charAt(0).toLowerCase() + targetOf(targets, f).type.slice(1)}ById`;
    return f.optional
      ? `    ${f.name}: (row, _, ctx) => (row.${f.idName} ? ${t.one}Loaders(ctx).${loader}.load(row.${f.idName}) : null),`
      : `    ${f.name}: async (row, _, ctx) => (await ${t.one}Loaders(ctx).${loader}.load(row.${f.idName})) ?? Promise.reject(notFound('${f.target}')),`;
  });
  const parents = [...new Set(refFields.map((f) => f.target))].map((target) => {
    const byField = refFields.filter((f) => f.target === target);
    return `  ${target}: {
${byField.map((f) => `    ${listField(t, f, byField.length)}: (parent, args, ctx) => ${t.one}Loaders(ctx).${t.many}Of${upperFirst(f.name)}(pageSize(args.first, 100)).load(parent.id),`).join('\n')}
  },`;
  });
  return `${refFields.length ? `import { notFound } from '../../core/errors.ts';\n` : ''}import { parseId } from '../../core/ids.ts';
${refFields.length ? `import { pageSize } from '../../core/relay.ts';\n` : ''}import type { Resolvers } from '../../generated/resolvers-types.ts';
${refFields.length ? `import { ${t.one}Loaders } from './loaders.ts';\n` : ''}import * as ${t.many} from './${t.stem}.service.ts';

/** ${HEADER('resolvers')} Shield rules: module.ts. */
export const ${t.one}Resolvers: Resolvers = {
  Query: {
    ${t.many}: (_, args, ctx) => ${t.many}.list${t.plural}(ctx, args.first, args.after),
    ${t.one}: (_, args, ctx) => ${t.many}.find${N}(ctx, parseId(args.id)),
  },
  Mutation: {
    create${N}: (_, args, ctx) => ${t.many}.create${N}(ctx, args),
    update${N}: (_, args, ctx) => ${t.many}.update${N}(ctx, parseId(args.id), args),
    delete${N}: (_, args, ctx) => ${t.many}.delete${N}(ctx, parseId(args.id)),
  },${
    fieldResolvers.length
      ? `
  ${N}: {
${fieldResolvers.join('\n')}
  },`
      : ''
  }${parents.length ? `\n${parents.join('\n')}` : ''}
};
`;
}

/** The field a reference adds to its target: `Project.invoices` (`Project.invoicesAsReviewer` when two fields point at one type). */
export function listField(t: TypeSpec, f: RefField, refsToTarget: number): string {
  return refsToTarget > 1 ? `${t.many}As${upperFirst(f.name)}` : t.many;
}

/** The isolation prover's value generator for a field (null: the prover fills its type itself). */
function generator(f: FieldSpec): string | null {
  if (f.kind !== 'scalar') return null;
  const u = f.unique;
  switch (f.type) {
    case 'string':
    case 'text':
      return `text('${f.name}')`;
    case 'int':
      return u ? 'uniqueInt' : 'ints(42, 0, -7)';
    case 'float':
      return `{ valid: () => [12.5, 0, -0.25], anyValue: true }`;
    case 'datetime':
      return u ? 'uniqueInstant' : `pick('2030-01-31T12:00:00.000Z', '1999-12-31T23:59:59.999Z')`;
    case 'date':
      return u ? 'uniqueDate' : `pick('2030-01-31', '2000-02-29')`;
    default:
      return null;
  }
}

const GENERATOR_HELPERS: Record<string, string> = {
  text: `/** Free text carrying the tenant's marker (a leak of it is then visible), unique per call. */
const text = (what: string): ProverArgument => ({ valid: (c) => [\`\${c.a.marker} \${what} \${c.unique()}\`], anyValue: true });`,
  ints: `const ints = (...values: number[]): ProverArgument => ({ valid: () => values, anyValue: true });`,
  pick: `const pick = (...values: string[]): ProverArgument => ({ valid: () => values });`,
  uniqueInt: `/** A different integer on every call (the field is unique within the organization). */
const uniqueInt: ProverArgument = { valid: (c) => [Number(c.unique().replace(/\\D/g, ''))], anyValue: true };`,
  uniqueInstant: `/** A different instant on every call (the field is unique within the organization). */
const uniqueInstant: ProverArgument = { valid: (c) => [new Date(Date.UTC(2030, 0, 1) + Number(c.unique().replace(/\\D/g, '')) * 1000).toISOString()] };`,
  uniqueDate: `/** A different day on every call (the field is unique within the organization). */
const uniqueDate: ProverArgument = { valid: (c) => [new Date(Date.UTC(2030, 0, 1) + Number(c.unique().replace(/\\D/g, '')) * 86_400_000).toISOString().slice(0, 10)] };`,
};

export function moduleFile(t: TypeSpec, targets: Targets): string {
  const N = t.name;
  const refFields = refs(t);
  const generators = t.fields.flatMap((f) => {
    const g = generator(f);
    return g ? [`'Mutation.create${N}.${f.name}': ${g},`, `'Mutation.update${N}.${f.name}': ${g},`] : [];
  });
  const usedHelpers = Object.keys(GENERATOR_HELPERS).filter((h) => generators.some((g) => new RegExp(`: ${h}\\b`).test(g)));
  const crossing = refFields.map((f) => `    // Crosses into ${f.target}: who reads it needs ${targetOf(targets, f).readScope} as well.
    '${N}.${f.name}': and(read, tenantScope('${targetOf(targets, f).readScope}')),`);
  const listed = [...new Set(refFields.map((f) => f.target))].flatMap((target) => {
    const byField = refFields.filter((f) => f.target === target);
    return byField.map((f) => `    '${target}.${listField(t, f, byField.length)}': read,`);
  });
  return `import { ${refFields.length ? 'allow, and' : 'allow'} } from 'graphql-shield';
import { tenantScope } from '../../platform/authorization/rules.ts';
import { defineModule${generators.length ? ', type ProverArgument' : ''} } from '../../platform/modules.ts';
import { ${N}Schema } from './${t.stem}.entity.ts';
import { ${t.one}Resolvers } from './resolvers.ts';

const read = tenantScope('${t.module}:read');
const write = tenantScope('${t.module}:write');
${usedHelpers.map((h) => `${GENERATOR_HELPERS[h]}\n`).join('')}
/**
 * ${t.plural}: a tenant-owned type. Its own scopes (${t.module}:read from ${t.readRole}, ${t.module}:write from
 * ${t.writeRole}) govern it: a service account or agent needs them by name, a person the role.
 * ${HEADER('manifest')}
 */
export default defineModule({
  name: '${t.module}',
  entities: [${N}Schema],
  resolvers: ${t.one}Resolvers,
  scopes: [
    { name: '${t.module}:read', minimumRole: '${t.readRole}', description: 'read ${t.many}' },
    { name: '${t.module}:write', minimumRole: '${t.writeRole}', description: 'create, change and delete ${t.many}' },
  ],
  rules: {
    'Query.${t.many}': read,
    'Query.${t.one}': read,
    'Mutation.create${N}': write,
    'Mutation.update${N}': write,
    'Mutation.delete${N}': write,
${[...crossing, ...listed].join('\n')}${crossing.length + listed.length ? '\n' : ''}    // Reachable only through the fields above; rows under the tenant filter and RLS tenant_isolation.
    ${N}: allow,
    ${N}Connection: allow,
    ${N}Edge: allow,
  },
  crossTenant: { ${N}: '${t.table}' },
  isolation: {
    arguments: {${generators.length ? `\n${generators.map((g) => `      ${g}`).join('\n')}\n    ` : ''}},
  },
});
`;
}

export function indexFile(t: TypeSpec): string {
  return `/** What the ${t.module} module offers other modules (a type referencing ${article(t.one).toLowerCase()} ${t.one}). */
export { ${t.name} } from './${t.stem}.entity.ts';
`;
}

export function mappersFile(t: TypeSpec): string {
  return `${JSON.stringify({ [t.name]: `./${t.stem}.entity.ts#${t.name}`, [`${t.name}Connection`]: `./${t.stem}.service.ts#${t.name}Connection`, [`${t.name}Edge`]: `./${t.stem}.service.ts#${t.name}Edge` }, null, 2)}\n`;
}
