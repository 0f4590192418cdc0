import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLFieldResolver, GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { auditResolvers } from '../../modules/audit/resolvers.ts';
import { authResolvers } from '../../modules/identity/resolvers.ts';
import { organizationResolvers } from '../../modules/organizations/resolvers.ts';
import { projectResolvers } from '../../modules/projects/resolvers.ts';
import { serviceAccountResolvers } from '../../modules/service-accounts/resolvers.ts';
import { sessionResolvers } from '../../modules/sessions/resolvers.ts';
import type { RequestContext } from './context.ts';
import type { Resolvers } from '../../generated/resolvers-types.ts';
import { permissionMiddleware } from '../../platform/authorization/rules.ts';
import { isLateOpening } from '../../platform/root-fields.ts';
import { DateTime, JSON as JSONScalar } from './scalars.ts';

export const SCHEMA_DIR = fileURLToPath(new URL('../../../schema', import.meta.url));

/** The SDL of every module, in file-name order (schema/ holds SDL only, one file per module). */
export function loadTypeDefs(): string[] {
  return readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(`${SCHEMA_DIR}/${f}`, 'utf8'));
}

const moduleResolvers: Resolvers[] = [authResolvers, sessionResolvers, organizationResolvers, projectResolvers, auditResolvers, serviceAccountResolvers];

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
function startsFromOwnScope(resolve: RootResolver, readOnly: boolean): RootResolver {
  const late = isLateOpening(resolve);
  return async (parent, args, ctx, info) => {
    if (!late) await ctx.open({ readOnly });
    await ctx.enterOwnTenant();
    return resolve(parent, args, ctx, info);
  };
}

function wrapRootFields(resolvers: Resolvers): Resolvers {
  const wrapped: Record<string, unknown> = { ...resolvers };
  for (const [type, readOnly] of [['Query', true], ['Mutation', false]] as const) {
    const fields = resolvers[type] as Record<string, RootResolver> | undefined;
    if (fields) wrapped[type] = Object.fromEntries(Object.entries(fields).map(([name, fn]) => [name, startsFromOwnScope(fn, readOnly)]));
  }
  return wrapped as Resolvers;
}

export function buildSchema(options: SchemaOptions = {}): GraphQLSchema {
  const schema = makeExecutableSchema({
    typeDefs: loadTypeDefs(),
    resolvers: [{ DateTime, JSON: JSONScalar }, ...moduleResolvers.map(wrapRootFields)] as never,
    inheritResolversFromInterfaces: true,
  });
  return options.shield === false ? schema : applyMiddleware(schema, permissionMiddleware(schema));
}

/** The mutation fields that open the request themselves (see isLateOpening). */
export function lateOpeningFields(): ReadonlySet<string> {
  const names = new Set<string>();
  for (const r of moduleResolvers) for (const [name, fn] of Object.entries(r.Mutation ?? {})) if (isLateOpening(fn)) names.add(name);
  return names;
}
