/**
 * fast-check arbitraries for random operations over the schema, built from the prover's generators
 * (arguments.ts): a random root field, random arguments that mix A's and B's ids, random text and
 * hostile values, and a random subset of the prover's selection.
 */
import fc from 'fast-check';
import {
  getNamedType,
  getNullableType,
  isListType,
  isNonNullType,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { canonicalValue, positionOf, type ArgGenerator, type GenContext } from './arguments.ts';
import { combinedDocument, operationDocument, selectionSet, type Operation, type OperationPart, type RootField } from './operations.ts';
import { SELECTION_DEPTH, type Actor } from './prover.ts';

export interface FuzzPools {
  /** B's ids (the attack) and A's (which the actors may use), grouped by kind. */
  readonly bIds: readonly (readonly string[])[];
  readonly aIds: readonly (readonly string[])[];
  /** A's marker and names: free text that A may well send. */
  readonly aTexts: readonly string[];
}

/** Ids that no tenant has, in forms parseId must refuse. */
const MALFORMED_IDS = ['', 'zzz', "1' or '1'='1", '00000000-0000-0000-0000-00000000000g', '../../etc/passwd', '\u0000', 'null'];

/** An id of a random kind (so the few task ids are as likely as the many session ids), B's most often. */
const ofSomeKind = (groups: readonly (readonly string[])[]) => fc.constantFrom(...groups.filter((g) => g.length > 0)).chain((ids) => fc.constantFrom(...ids));

function idArbitrary(pools: FuzzPools): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: ofSomeKind(pools.bIds), weight: 4 },
    { arbitrary: ofSomeKind(pools.aIds), weight: 2 },
    { arbitrary: fc.uuid(), weight: 1 },
    { arbitrary: fc.constantFrom(...MALFORMED_IDS), weight: 1 },
  );
}

/** Any value of a scalar type, for positions whose generator says any value will do. */
function anyOfType(typeName: string, pools: FuzzPools): fc.Arbitrary<unknown> | null {
  if (typeName === 'String') return fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom(...pools.aTexts), fc.constant(''));
  if (typeName === 'Int') return fc.oneof(fc.integer(), fc.integer({ min: -2, max: 1000 }));
  if (typeName === 'Float') return fc.double({ noNaN: true });
  return null;
}

function generated(generator: ArgGenerator, typeName: string, required: boolean, ctx: GenContext, pools: FuzzPools): fc.Arbitrary<unknown> {
  const valid = generator.valid(ctx).filter((v) => !required || v !== undefined);
  const options: fc.Arbitrary<unknown>[] = [];
  if (valid.length) options.push(fc.constantFrom(...valid));
  const hostile = generator.hostile?.(ctx) ?? [];
  if (hostile.length) options.push(fc.constantFrom(...hostile));
  const any = generator.anyValue ? anyOfType(typeName, pools) : null;
  if (any) options.push(any);
  return fc.oneof(...options);
}

function inputObjectArbitrary(type: GraphQLInputObjectType, ctx: GenContext, pools: FuzzPools, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.values(type.getFields());
  return fc.tuple(...fields.map((f) => valueArbitrary(`${type.name}.${f.name}`, f.type, ctx, pools, depth + 1))).map((values) =>
    Object.fromEntries(fields.map((f, i) => [f.name, values[i]]).filter(([, v]) => v !== undefined)),
  );
}

/** A value for one position; nullable ones are also left out or sent as null. Raises for a position without a generator. */
export function valueArbitrary(coordinate: string, type: GraphQLInputType, ctx: GenContext, pools: FuzzPools, depth = 0): fc.Arbitrary<unknown> {
  const inner = getNullableType(type) as GraphQLInputType;
  const value: fc.Arbitrary<unknown> = isListType(inner)
    ? fc.array(valueArbitrary(coordinate, getNullableType(inner.ofType) as GraphQLInputType, ctx, pools, depth), { maxLength: 3 })
    : single(coordinate, inner, isNonNullType(type), ctx, pools, depth);
  return isNonNullType(type) ? value : fc.oneof({ arbitrary: value, weight: 4 }, { arbitrary: fc.constantFrom(undefined, null), weight: 1 });
}

function single(coordinate: string, type: GraphQLInputType, required: boolean, ctx: GenContext, pools: FuzzPools, depth: number): fc.Arbitrary<unknown> {
  const position = positionOf(coordinate, type);
  switch (position.kind) {
    case 'id':
      return idArbitrary(pools);
    case 'boolean':
      return fc.boolean();
    case 'enum':
      return fc.constantFrom(...position.values);
    case 'input':
      return depth > 3 ? fc.constant({}) : inputObjectArbitrary(position.type, ctx, pools, depth);
    case 'generated':
      return generated(position.generator, getNamedType(type).name, required, ctx, pools);
    case 'missing':
      throw new Error(`no argument generator for ${coordinate} (add one to test/isolation/arguments.ts)`);
  }
}

export interface FuzzCase {
  readonly actor: Actor;
  /** The root field of a single-field operation, or the first of a combined one. */
  readonly root: RootField;
  /** Every root field sent (one, or several under the aliases p0, p1, ...). */
  readonly roots: readonly RootField[];
  /** The response key of each root of `roots`: its field name alone, `p<i>` combined. */
  readonly keys: readonly string[];
  readonly operation: Operation;
}

/** A random subset of the prover's selection: `bits` say which fields of each object to keep, `depth` how deep. */
function randomSelection(schema: GraphQLSchema, root: RootField, ctx: GenContext, bits: readonly boolean[], depth: number): string {
  let i = 0;
  const choose = (_t: GraphQLObjectType, fields: readonly string[]) => fields.filter(() => bits[i++ % bits.length]);
  return selectionSet(root.field.type, { schema, maxDepth: depth, choose, argValue: (c, t) => canonicalValue(c, t, ctx) });
}

/** One root field with random arguments and a random selection. */
function partArbitrary(schema: GraphQLSchema, root: RootField, ctx: GenContext, pools: FuzzPools): fc.Arbitrary<OperationPart> {
  const args = fc.tuple(...root.field.args.map((a) => valueArbitrary(`${root.coordinate}.${a.name}`, a.type, ctx, pools)));
  const bits = fc.array(fc.boolean(), { minLength: 8, maxLength: 64 });
  return fc.record({ args, bits, depth: fc.integer({ min: 0, max: SELECTION_DEPTH }) }).map(({ args: values, bits: b, depth }) => ({
    root,
    args: Object.fromEntries(root.field.args.map((a, i) => [a.name, values[i]])),
    selection: randomSelection(schema, root, ctx, b, depth),
  }));
}

/**
 * Random operations: one root field most of the time, otherwise two or three root fields of the same
 * operation type under aliases (issue 15: a hostile client combines them). `contextOf` gives the
 * argument context of an actor (its email for signIn, fresh names).
 */
export function fuzzCaseArbitrary(schema: GraphQLSchema, roots: readonly RootField[], actors: readonly Actor[], contextOf: (actor: Actor) => GenContext, pools: FuzzPools): fc.Arbitrary<FuzzCase> {
  const count = fc.oneof({ arbitrary: fc.constant(1), weight: 3 }, { arbitrary: fc.integer({ min: 2, max: 3 }), weight: 1 });
  return fc.record({ actor: fc.constantFrom(...actors), root: fc.constantFrom(...roots), count }).chain(({ actor, root, count: n }) => {
    const ctx = contextOf(actor);
    const sameType = roots.filter((r) => r.operation === root.operation);
    const others = fc.array(fc.constantFrom(...sameType), { minLength: n - 1, maxLength: n - 1 });
    return others.chain((rest) => fc.tuple(...[root, ...rest].map((r) => partArbitrary(schema, r, ctx, pools)))).map((parts) => {
      if (parts.length === 1) {
        const [p] = parts;
        return { actor, root, roots: [root], keys: [root.field.name], operation: operationDocument(root, p!.args, p!.selection) };
      }
      return { actor, root, roots: parts.map((p) => p.root), keys: parts.map((_, i) => `p${i}`), operation: combinedDocument(parts) };
    });
  });
}
