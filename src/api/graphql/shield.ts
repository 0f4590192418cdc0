import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { IMiddlewareTypeMap } from 'graphql-middleware';
import { allow, deny, shield, type IRules } from 'graphql-shield';
import { AppError, ErrorCode, forbidden } from '../../core/errors.ts';
import type { ModuleDefinition, ShieldRule } from '../../platform/modules.ts';

type TypeRules = ShieldRule | Record<string, ShieldRule>;

/** The rules of schema/base.graphql, which belongs to no module: Relay's PageInfo, under any connection. */
const BASE: ModuleDefinition = { name: 'base', rules: { PageInfo: allow } };

/**
 * Every module's rules as graphql-shield's map: `Type.field` keys become `{ Type: { field } }`, a
 * `Type` key the rule of the whole type (`*` beside its fields' own rules). Raises Error when two
 * modules rule the same key, or one key twice: a rule is never silently replaced.
 */
export function assembleRules(modules: readonly ModuleDefinition[]): Record<string, TypeRules> {
  const owners = new Map<string, string>();
  const fields = new Map<string, Record<string, ShieldRule>>();
  const whole = new Map<string, ShieldRule>();
  for (const m of [BASE, ...modules]) {
    for (const [key, rule] of Object.entries(m.rules ?? {})) {
      const owner = owners.get(key);
      if (owner) throw new Error(`orgbound: the shield rule for ${key} is declared by both ${owner} and ${m.name}`);
      owners.set(key, m.name);
      const [type, field] = key.split('.') as [string, string | undefined];
      if (field === undefined) whole.set(type, rule);
      else fields.set(type, { ...(fields.get(type) ?? {}), [field]: rule });
    }
  }
  const rules: Record<string, TypeRules> = {};
  for (const type of new Set([...whole.keys(), ...fields.keys()])) {
    const own = fields.get(type);
    const all = whole.get(type);
    rules[type] = own ? { ...(all ? { '*': all } : {}), ...own } : all!;
  }
  return rules;
}

/**
 * graphql-shield wraps resolvers too: its catch turns every thrown error into `fallbackError(err)`.
 * Domain errors (AppError, and GraphQL input errors) pass through deliberately; anything else is an
 * unexpected failure and is masked (the formatError hook logs it).
 */
function fallbackError(err: unknown): Error {
  if (err === null || err === undefined) return forbidden();
  if (err instanceof AppError) return err;
  if (err instanceof GraphQLError && err.extensions?.code === ErrorCode.BAD_USER_INPUT) return err;
  return err instanceof Error ? err : new Error(String(err));
}

/** The rule shield applies to `type.field`: the type's rule, else the field's, else the type's `*`, else 'fallback' (deny). */
export function ruleFor(rules: Readonly<Record<string, TypeRules>>, type: string, field: string): unknown {
  const entry = rules[type];
  if (!entry) return 'fallback';
  if (typeof (entry as { resolve?: unknown }).resolve === 'function') return entry;
  const map = entry as Record<string, unknown>;
  return map[field] ?? map['*'] ?? 'fallback';
}

/**
 * shield's middleware for `schema` (deny by default: a field without a rule is refused), without the
 * fields whose rule is `allow`. Such a field's wrapper decides nothing (the rule is always true) but
 * runs an async rule evaluation for every field of every row: about 400 fields for 20 projects of 5
 * tasks (graphql-shield #812; BENCHMARKS.md). Every field with any other rule, and every field left
 * to the fallback, keeps its wrapper; the parent's rule still gates the object.
 */
export function permissionMiddleware(schema: GraphQLSchema, rules: Readonly<Record<string, TypeRules>>): IMiddlewareTypeMap {
  const permissions = shield(rules as IRules, { fallbackRule: deny, allowExternalErrors: false, debug: false, fallbackError });
  const map = permissions.generate(schema) as IMiddlewareTypeMap;
  for (const [type, typeFields] of Object.entries(map)) {
    if (typeof typeFields !== 'object' || typeFields === null) continue;
    for (const field of Object.keys(typeFields)) if (ruleFor(rules, type, field) === allow) delete (typeFields as Record<string, unknown>)[field];
  }
  return map;
}
