import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLFieldResolver, GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Resolvers } from '../../generated/resolvers-types.ts';
import type { ModuleDefinition } from '../../platform/modules.ts';
import type { RequestContext } from './context.ts';
import { DateTime, JSON as JSONScalar } from './scalars.ts';
import { assembleRules, permissionMiddleware } from './shield.ts';

export const SCHEMA_DIR = fileURLToPath(new URL('../../../schema', import.meta.url));
/** The SDL that belongs to no module: scalars, the root types, PageInfo. */
export const BASE_SDL = 'base.graphql';

/**
 * The SDL of the installation: schema/base.graphql, then schema/<module>.graphql of each module (a
 * module may have none). Raises Error for an SDL file no module claims (a module removed without its
 * SDL, a typo): nothing in schema/ is left unread.
 */
export function loadTypeDefs(modules: readonly ModuleDefinition[]): string[] {
  const claimed = new Set([BASE_SDL, ...modules.map((m) => `${m.name}.graphql`)]);
  const stray = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.graphql') && !claimed.has(f));
  if (stray.length) throw new Error(`orgbound: schema/${stray.join(', schema/')} belongs to no module of src/modules`);
  return [...claimed].map((f) => join(SCHEMA_DIR, f)).filter((path) => existsSync(path)).map((path) => readFileSync(path, 'utf8'));
}

export interface SchemaOptions {
  /**
   * graphql-shield on (the default and the only production setting). Tests switch it off to show
   * the ORM filter and RLS still stop a cross-tenant read on their own.
   */
  readonly shield?: boolean;
}

type RootResolver = GraphQLFieldResolver<unknown, RequestContext, Record<string, unknown>>;

/**
 * Every root field starts from the request's own scope (issue 15): the request is opened (a no-op
 * when the operation already opened it), and the transaction goes back to the request's own tenant,
 * whatever an earlier root field of the same operation entered (signIn, refreshSession,
 * switchOrganization and createOrganization move it). A late-opening field (refreshSession) opens the
 * request itself, after waiting without a connection; it still starts from the request's tenant
 * when an earlier field already opened the transaction.
 */
function startsFromOwnScope(resolve: RootResolver, readOnly: boolean, late: boolean): RootResolver {
  return async (parent, args, ctx, info) => {
    if (!late) await ctx.open({ readOnly });
    await ctx.enterOwnTenant();
    return resolve(parent, args, ctx, info);
  };
}

function wrapRootFields(resolvers: Resolvers, late: ReadonlySet<string>): Resolvers {
  const wrapped: Record<string, unknown> = { ...resolvers };
  for (const [type, readOnly] of [['Query', true], ['Mutation', false]] as const) {
    const fields = resolvers[type] as Record<string, RootResolver> | undefined;
    if (fields) wrapped[type] = Object.fromEntries(Object.entries(fields).map(([name, fn]) => [name, startsFromOwnScope(fn, readOnly, type === 'Mutation' && late.has(name))]));
  }
  return wrapped as Resolvers;
}

/** The mutation fields that open the request themselves (ModuleDefinition.lateOpening). */
export function lateOpeningFields(modules: readonly ModuleDefinition[]): ReadonlySet<string> {
  return new Set(modules.flatMap((m) => m.lateOpening ?? []));
}

/** The executable schema of `modules`: their SDL and resolvers, and their shield rules (deny by default). */
export function buildSchema(modules: readonly ModuleDefinition[], options: SchemaOptions = {}): GraphQLSchema {
  const late = lateOpeningFields(modules);
  const schema = makeExecutableSchema({
    typeDefs: loadTypeDefs(modules),
    resolvers: [{ DateTime, JSON: JSONScalar }, ...modules.flatMap((m) => (m.resolvers ? [wrapRootFields(m.resolvers, late)] : []))] as never,
    inheritResolversFromInterfaces: true,
  });
  return options.shield === false ? schema : applyMiddleware(schema, permissionMiddleware(schema, assembleRules(modules)));
}
