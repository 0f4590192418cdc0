import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { auditResolvers } from '../audit/resolvers.ts';
import { authResolvers } from '../auth/resolvers.ts';
import { organizationResolvers } from '../organizations/resolvers.ts';
import { projectResolvers } from '../projects/resolvers.ts';
import { serviceAccountResolvers } from '../service-accounts/resolvers.ts';
import { sessionResolvers } from '../sessions/resolvers.ts';
import type { Resolvers } from './generated/resolvers-types.ts';
import { permissionMiddleware } from './permissions.ts';
import { DateTime, JSON as JSONScalar } from './scalars.ts';

export const SCHEMA_DIR = fileURLToPath(new URL('../../schema', import.meta.url));

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

export function buildSchema(options: SchemaOptions = {}): GraphQLSchema {
  const schema = makeExecutableSchema({
    typeDefs: loadTypeDefs(),
    resolvers: [{ DateTime, JSON: JSONScalar }, ...moduleResolvers] as never,
    inheritResolversFromInterfaces: true,
  });
  return options.shield === false ? schema : applyMiddleware(schema, permissionMiddleware(schema));
}
