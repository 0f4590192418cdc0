/**
 * Argument values for every argument and input field of the schema, shared by the prover and the fuzz.
 * A position (a "coordinate": `Mutation.signIn.email`, `SessionPolicyInput.mfaRequired`) is filled by:
 * - its type when that needs no knowledge: ID (tenant ids, chosen by the caller), Boolean, enums,
 *   input objects (field by field);
 * - otherwise a generator, looked up by coordinate, then by argument name.
 * A position with neither is reported by `missingGenerators`, and the prover fails on it: a new
 * argument cannot be skipped silently.
 */
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import type { ProverArgument, ProverContext } from '../../src/platform/modules.ts';
import { modules } from '../support/modules.ts';
import { PASSWORD } from '../support/tenants.ts';
import type { Principal, TenantWorld } from './world.ts';

export interface GenContext extends ProverContext {
  /** The principal of tenant A making the call. */
  readonly actor: Principal;
  readonly a: TenantWorld;
  readonly b: TenantWorld;
  /** Projects cursors (relay.ts encodeCursor) of each tenant's projects. */
  readonly cursors: { readonly a: readonly string[]; readonly b: readonly string[] };
}

/** Values for one position: the modules' ProverArgument, given the prover's full context. */
export type ArgGenerator = ProverArgument;

const text = (what: string): ArgGenerator => ({ valid: (c) => [`${c.a.marker} ${what} ${c.unique()}`], anyValue: true });
const ints = (...values: (number | undefined)[]): ArgGenerator => ({ valid: () => values, anyValue: true });

/**
 * Generators every module shares, by argument name: free text, accounts, pages. Whatever is
 * particular to a module is in its manifest (ModuleDefinition.isolation.arguments).
 */
const GENERIC_BY_NAME: Readonly<Record<string, ArgGenerator>> = {
  name: text('name'),
  title: text('title'),
  deviceName: text('device'),
  displayName: { valid: (c) => [`${c.a.marker} person ${c.unique()}`, undefined], anyValue: true },
  // A fresh address (signUp, inviteMember): never B's, which would then be stored as A's invitation.
  email: { valid: (c) => [`new.${c.unique()}.${c.a.marker}@example.test`], anyValue: true },
  password: { valid: () => [PASSWORD], anyValue: true },
  first: ints(20, 1, 100),
  after: { valid: (c) => [undefined, ...(c as GenContext).cursors.a], hostile: (c) => (c as GenContext).cursors.b, anyValue: true },
};

/** Every module's generators, by coordinate (`Mutation.signIn.email`) or by argument name (`refreshToken`). */
const fromModules = (() => {
  const byCoordinate: Record<string, ArgGenerator> = {};
  const byName: Record<string, ArgGenerator> = {};
  for (const m of modules) {
    for (const [key, generator] of Object.entries(m.isolation?.arguments ?? {})) {
      const into = key.includes('.') ? byCoordinate : byName;
      if (into[key] || GENERIC_BY_NAME[key]) throw new Error(`isolation hooks: an argument generator for ${key} is declared twice (one in ${m.name})`);
      into[key] = generator;
    }
  }
  return { byCoordinate, byName };
})();

/** Generators for one position only. */
export const BY_COORDINATE: Readonly<Record<string, ArgGenerator>> = fromModules.byCoordinate;

/** Generators by argument name, wherever the name occurs. */
export const BY_NAME: Readonly<Record<string, ArgGenerator>> = { ...GENERIC_BY_NAME, ...fromModules.byName };

export type Position =
  | { readonly kind: 'id' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'input'; readonly type: GraphQLInputObjectType }
  | { readonly kind: 'generated'; readonly generator: ArgGenerator }
  | { readonly kind: 'missing' };

/** How the position `coordinate` of (any-wrapped) `type` is filled. */
export function positionOf(coordinate: string, type: GraphQLInputType): Position {
  const named = getNamedType(type);
  const byCoordinate = BY_COORDINATE[coordinate];
  if (byCoordinate) return { kind: 'generated', generator: byCoordinate };
  if (named.name === 'ID') return { kind: 'id' };
  if (named.name === 'Boolean') return { kind: 'boolean' };
  if (isEnumType(named)) return { kind: 'enum', values: named.getValues().map((v) => v.name) };
  if (isInputObjectType(named)) return { kind: 'input', type: named };
  const byName = BY_NAME[coordinate.slice(coordinate.lastIndexOf('.') + 1)];
  return byName ? { kind: 'generated', generator: byName } : { kind: 'missing' };
}

/** Every argument of every field and every input field: `[coordinate, type]`. */
export function inputPositions(schema: GraphQLSchema): [string, GraphQLInputType][] {
  const out: [string, GraphQLInputType][] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isObjectType(type)) for (const f of Object.values(type.getFields())) for (const arg of f.args) out.push([`${type.name}.${f.name}.${arg.name}`, arg.type]);
    if (isInputObjectType(type)) for (const f of Object.values(type.getFields())) out.push([`${type.name}.${f.name}`, f.type]);
  }
  return out;
}

/** Positions nothing can fill, as `Mutation.foo.bar: String!`. */
export function missingGenerators(schema: GraphQLSchema): string[] {
  return inputPositions(schema)
    .filter(([coordinate, type]) => positionOf(coordinate, type).kind === 'missing')
    .map(([coordinate, type]) => `${coordinate}: ${String(type)}`);
}

export class MissingGenerator extends Error {
  constructor(readonly coordinate: string) {
    super(`no argument generator for ${coordinate} (add one to its module's isolation.arguments, src/modules/<name>/module.ts)`);
  }
}

/**
 * The prover's value for a position: the first valid value; ID positions not under attack get A's
 * org id when required and are left out otherwise. Raises MissingGenerator.
 */
export function canonicalValue(coordinate: string, type: GraphQLInputType, ctx: GenContext): unknown {
  const inner = getNullableType(type) as GraphQLInputType;
  if (isListType(inner)) {
    const item = canonicalValue(coordinate, inner.ofType as GraphQLInputType, ctx);
    return item === undefined ? [] : [item];
  }
  const position = positionOf(coordinate, inner);
  switch (position.kind) {
    case 'id':
      return isNonNullType(type) ? ctx.a.orgId : undefined;
    case 'boolean':
      return true;
    case 'enum':
      return position.values[0];
    case 'input':
      return inputObject(position.type, (c, t) => canonicalValue(c, t, ctx));
    case 'generated':
      return position.generator.valid(ctx)[0];
    case 'missing':
      throw new MissingGenerator(coordinate);
  }
}

/** An input object built field by field with `value` (fields whose value is undefined are left out). */
export function inputObject(type: GraphQLInputObjectType, value: (coordinate: string, type: GraphQLInputType) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of Object.values(type.getFields())) {
    const v = value(`${type.name}.${f.name}`, f.type);
    if (v !== undefined) out[f.name] = v;
  }
  return out;
}

/** Where an ID can go in a field's arguments: the path (argument, then input fields) and whether it is a list. */
export interface IdPosition {
  readonly path: readonly string[];
  readonly coordinate: string;
  readonly list: boolean;
}

export function idPositions(parent: string, args: readonly { name: string; type: GraphQLInputType }[], path: readonly string[] = [], depth = 0): IdPosition[] {
  return args.flatMap((arg) => {
    const coordinate = `${parent}.${arg.name}`;
    const here = [...path, arg.name];
    const named = getNamedType(arg.type);
    const position = positionOf(coordinate, arg.type);
    if (position.kind === 'id') return [{ path: here, coordinate, list: isListType(getNullableType(arg.type)) }];
    if (position.kind === 'input' && depth < 3 && isInputObjectType(named)) return idPositions(named.name, Object.values(named.getFields()), here, depth + 1);
    return [];
  });
}

/** `args` with `value` at `position` (input objects along the path copied, never shared). */
export function withValueAt(args: Record<string, unknown>, position: IdPosition, value: string): Record<string, unknown> {
  const copy = structuredClone(args);
  let node = copy;
  for (const key of position.path.slice(0, -1)) {
    node[key] = { ...((node[key] as Record<string, unknown>) ?? {}) };
    node = node[key] as Record<string, unknown>;
  }
  node[position.path.at(-1)!] = position.list ? [value] : value;
  return copy;
}
