/**
 * Operations generated from the schema: every root field, with a selection set walked from its type
 * down to a bounded depth (lists and non-nulls unwrapped, connections and edges free of charge,
 * interfaces and unions through inline fragments), and its arguments as variables.
 */
import {
  astFromValue,
  getNamedType,
  isAbstractType,
  isLeafType,
  isObjectType,
  print,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';

export interface RootField {
  readonly operation: 'query' | 'mutation';
  /** `Query.project`, `Mutation.signIn`. */
  readonly coordinate: string;
  readonly field: GraphQLField<unknown, unknown>;
}

export function rootFields(schema: GraphQLSchema): RootField[] {
  const roots: [RootField['operation'], GraphQLObjectType | null | undefined][] = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ];
  return roots.flatMap(([operation, type]) => Object.values(type?.getFields() ?? {}).map((field) => ({ operation, coordinate: `${type!.name}.${field.name}`, field })));
}

/** Object types a client can receive (not the roots, not introspection). */
export function outputObjectTypes(schema: GraphQLSchema): GraphQLObjectType[] {
  const roots = new Set([schema.getQueryType()?.name, schema.getMutationType()?.name, schema.getSubscriptionType()?.name]);
  return Object.values(schema.getTypeMap()).filter((t): t is GraphQLObjectType => isObjectType(t) && !t.name.startsWith('__') && !roots.has(t.name));
}

/** Relay wrappers cost no depth, so `projects { edges { node { tasks ... } } }` reaches as far as `project { tasks ... }`. */
const isWrapper = (type: GraphQLNamedType) => /(Connection|Edge)$/.test(type.name);

export interface SelectionOptions {
  readonly schema: GraphQLSchema;
  /** How many object levels below the root field are selected. */
  readonly maxDepth: number;
  /** Which fields of an object to select; all by default (the fuzz picks subsets). */
  readonly choose?: (type: GraphQLObjectType, fields: readonly string[]) => readonly string[];
  /** Values for the arguments of nested fields (raises MissingGenerator when there is none). */
  readonly argValue: (coordinate: string, type: GraphQLInputType) => unknown;
  /** Receives every `Type.field` selected. */
  readonly seen?: Set<string>;
}

function nestedArgs(type: GraphQLObjectType, field: GraphQLField<unknown, unknown>, opts: SelectionOptions): string {
  const literals = field.args.flatMap((arg) => {
    const value = opts.argValue(`${type.name}.${field.name}.${arg.name}`, arg.type);
    const ast = value === undefined ? null : astFromValue(value, arg.type);
    return ast ? [`${arg.name}: ${print(ast)}`] : [];
  });
  return literals.length ? `(${literals.join(', ')})` : '';
}

function objectSelection(type: GraphQLObjectType, opts: SelectionOptions, depth: number): string {
  const fields = type.getFields();
  const names = (opts.choose ?? ((_t, all) => all))(type, Object.keys(fields));
  const parts = ['__typename'];
  for (const name of names) {
    const field = fields[name]!;
    const named = getNamedType(field.type);
    const cost = isWrapper(named) ? 0 : 1;
    if (!isLeafType(named) && depth + cost > opts.maxDepth) continue;
    const sub = selectionSet(field.type, opts, depth + cost);
    if (!isLeafType(named) && sub === '') continue;
    opts.seen?.add(`${type.name}.${name}`);
    parts.push(`${name}${nestedArgs(type, field, opts)}${sub ? ` { ${sub} }` : ''}`);
  }
  return parts.join(' ');
}

/** The selection for a value of `type` ('' for scalars and enums). `depth` counts object levels. */
export function selectionSet(type: GraphQLOutputType, opts: SelectionOptions, depth = 0): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (isObjectType(named)) return objectSelection(named, opts, depth);
  if (isAbstractType(named)) {
    const fragments = opts.schema.getPossibleTypes(named).map((t) => `... on ${t.name} { ${objectSelection(t, opts, depth)} }`);
    return ['__typename', ...fragments].join(' ');
  }
  return '';
}

export interface Operation {
  readonly query: string;
  readonly variables: Record<string, unknown>;
}

/**
 * `mutation probe_signIn($email: String!, ...) { signIn(email: $email, ...) { <selection> } }`, with
 * `sibling` (another root field, literal arguments only) after it when given.
 */
export function operationDocument(root: RootField, args: Record<string, unknown>, selection: string, sibling?: string): Operation {
  const given = root.field.args.filter((a) => args[a.name] !== undefined);
  const defs = given.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const uses = given.map((a) => `${a.name}: $${a.name}`).join(', ');
  const query = `${root.operation} probe_${root.field.name}${defs ? `(${defs})` : ''} { ${root.field.name}${uses ? `(${uses})` : ''}${selection ? ` { ${selection} }` : ''}${sibling ? ` ${sibling}` : ''} }`;
  return { query, variables: Object.fromEntries(given.map((a) => [a.name, args[a.name]])) };
}

export interface OperationPart {
  readonly root: RootField;
  readonly args: Record<string, unknown>;
  readonly selection: string;
}

/**
 * Several root fields of one operation type in one operation, each under the alias `p<i>` with its
 * variables prefixed the same way: `mutation probe_many($p0_name: String!, ...) { p0: createProject(name: $p0_name) { id } p1: ... }`.
 */
export function combinedDocument(parts: readonly OperationPart[]): Operation {
  const operation = parts[0]!.root.operation;
  const defs: string[] = [];
  const fields: string[] = [];
  const variables: Record<string, unknown> = {};
  parts.forEach(({ root, args, selection }, i) => {
    const given = root.field.args.filter((a) => args[a.name] !== undefined);
    for (const a of given) {
      defs.push(`$p${i}_${a.name}: ${String(a.type)}`);
      variables[`p${i}_${a.name}`] = args[a.name];
    }
    const uses = given.map((a) => `${a.name}: $p${i}_${a.name}`).join(', ');
    fields.push(`p${i}: ${root.field.name}${uses ? `(${uses})` : ''}${selection ? ` { ${selection} }` : ''}`);
  });
  return { query: `${operation} probe_many${defs.length ? `(${defs.join(', ')})` : ''} { ${fields.join(' ')} }`, variables };
}
