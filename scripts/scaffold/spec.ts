/**
 * What `npm run scaffold -- <Type> <field:type[?]>...` asks for, parsed and validated without touching
 * the disk: the type's names in every spelling the slice needs, and its fields. Misuse raises
 * ScaffoldError with a sentence saying what to type instead.
 */

export class ScaffoldError extends Error {
  override name = 'ScaffoldError';
}

/**
 * The field types a scaffold writes, each with its GraphQL, TypeScript, MikroORM and SQL form, the zod
 * schema its service validates input with (names from the service's preamble, see templates.ts), and
 * the value generator the isolation prover fills the argument with (test/isolation/arguments.ts
 * helpers; null: the prover fills the type itself).
 */
export const FIELD_TYPES = {
  string: { graphql: 'String', ts: 'string', orm: `type: 'text'`, sql: 'text', max: 200, zod: 'storableText(200)', generator: (f: string) => `text('${f}')` },
  text: { graphql: 'String', ts: 'string', orm: `type: 'text'`, sql: 'text', max: 10_000, zod: 'storableText(10_000)', generator: (f: string) => `text('${f}')` },
  int: { graphql: 'Int', ts: 'number', orm: `type: 'integer'`, sql: 'integer', max: null, zod: 'z.number().int()', generator: () => `ints(42, 0, -7)` },
  float: { graphql: 'Float', ts: 'number', orm: `type: 'double', runtimeType: 'number'`, sql: 'double precision', max: null, zod: 'z.number().finite()', generator: () => `{ valid: () => [12.5, 0, -0.25], anyValue: true }` },
  boolean: { graphql: 'Boolean', ts: 'boolean', orm: `type: 'boolean'`, sql: 'boolean', max: null, zod: 'z.boolean()', generator: null },
  datetime: { graphql: 'DateTime', ts: 'Date', orm: `type: 'Date'`, sql: 'timestamptz', max: null, zod: 'timestamp', generator: () => `pick('2030-01-31T12:00:00.000Z', '1999-12-31T23:59:59.999Z')` },
  date: { graphql: 'String', ts: 'string', orm: `type: 'date'`, sql: 'date', max: null, zod: 'calendarDate', generator: () => `pick('2030-01-31', '2000-02-29')` },
} as const;

export type FieldType = keyof typeof FIELD_TYPES;

export interface FieldSpec {
  /** camelCase: the GraphQL field, the argument and the entity property. */
  readonly name: string;
  /** snake_case column. */
  readonly column: string;
  readonly type: FieldType;
  /** `?` suffix: nullable column, optional argument. */
  readonly optional: boolean;
}

export interface TypeSpec {
  /** PascalCase singular: `Invoice`, `LineItem`. */
  readonly name: string;
  readonly plural: string;
  /** `invoice`, `lineItem`: the single-object query and the file stem's camel form. */
  readonly one: string;
  /** `invoices`, `lineItems`: the connection query. */
  readonly many: string;
  /** `invoices`, `line_items`. */
  readonly table: string;
  /** `invoices`, `line-items`: src/<module>/ and schema/<module>.graphql. */
  readonly module: string;
  /** `invoice`, `line-item`: file stem of the entity and the service. */
  readonly stem: string;
  readonly fields: readonly FieldSpec[];
}

const TYPE_NAME = /^[A-Z][A-Za-z0-9]*$/;
const FIELD_NAME = /^[a-z][A-Za-z0-9]*$/;
/** Every type name the scaffold writes must leave room for `Connection` and PostgreSQL's 63-byte names. */
const MAX_NAME = 40;
/** Written by the scaffold itself (id, createdAt), inherited (orgId), or unsafe as an object key. */
const RESERVED_FIELDS = new Set(['id', 'orgId', 'createdAt', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty']);
/** The camelCase forms become variables and namespaces in the generated code. */
const JS_RESERVED = new Set('break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await arguments eval'.split(' '));
const RESERVED_TYPES = new Set(['Query', 'Mutation', 'Subscription', 'String', 'Int', 'Float', 'Boolean', 'ID', 'DateTime', 'JSON', 'PageInfo', 'TenantOwned']);

export const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
const kebab = (s: string): string => snake(s).replace(/_/g, '-');
const lowerFirst = (s: string): string => s[0]!.toLowerCase() + s.slice(1);

/** English plural of a PascalCase name, for the common cases; `--plural` covers the rest. */
export function pluralize(name: string): string {
  if (/[^aeiou]y$/.test(name)) return `${name.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(name)) return `${name}es`;
  return `${name}s`;
}

/** `amount:int`, `note:string?`. Raises ScaffoldError. */
export function parseField(arg: string): FieldSpec {
  const m = /^([^:]+):([a-z]+)(\?)?$/.exec(arg);
  if (!m) throw new ScaffoldError(`"${arg}" is not a field: write name:type, or name:type? for an optional field (e.g. amount:int note:string?)`);
  const [, name, type, optional] = m as unknown as [string, string, string, string | undefined];
  if (!FIELD_NAME.test(name) || name.length > MAX_NAME) throw new ScaffoldError(`field name "${name}" must be camelCase letters and digits, starting with a lower-case letter, at most ${MAX_NAME} characters`);
  if (RESERVED_FIELDS.has(name)) throw new ScaffoldError(`field name "${name}" is reserved (id, orgId and createdAt are written by the scaffold itself)`);
  // test/isolation/checks.ts orgColumnProblems: a column naming an org outside org_id is a tenant column in disguise.
  if (/org/i.test(name)) throw new ScaffoldError(`field name "${name}" contains "org": the isolation prover treats such a column as a reference to an organization; choose another name`);
  if (!Object.hasOwn(FIELD_TYPES, type)) throw new ScaffoldError(`field "${name}": unknown type "${type}"; supported: ${Object.keys(FIELD_TYPES).join(', ')} (append ? for optional)`);
  return { name, column: snake(name), type: type as FieldType, optional: optional === '?' };
}

/** The whole request. Raises ScaffoldError. */
export function parseSpec(name: string | undefined, fieldArgs: readonly string[], plural?: string): TypeSpec {
  if (!name) throw new ScaffoldError('usage: npm run scaffold -- <TypeName> <field:type[?]>... (e.g. Invoice amount:int dueDate:datetime note:string?)');
  if (!TYPE_NAME.test(name) || name.length > MAX_NAME) throw new ScaffoldError(`type name "${name}" must be PascalCase letters and digits (e.g. Invoice, LineItem), at most ${MAX_NAME} characters`);
  if (RESERVED_TYPES.has(name) || /(Connection|Edge|Input)$/.test(name)) throw new ScaffoldError(`type name "${name}" is reserved or ends like a generated type (Connection, Edge, Input)`);
  const many = plural ?? pluralize(name);
  if (!TYPE_NAME.test(many) || many === name) throw new ScaffoldError(`plural "${many}" must be PascalCase and differ from "${name}" (pass --plural <Plural>)`);
  if (JS_RESERVED.has(lowerFirst(name)) || JS_RESERVED.has(lowerFirst(many))) throw new ScaffoldError(`type name "${name}" would give a JavaScript reserved word as a variable name; choose another`);
  if (fieldArgs.length === 0) throw new ScaffoldError(`${name} needs at least one field, e.g. npm run scaffold -- ${name} amount:int`);
  // PostgreSQL truncates names past 63 bytes: `<table>_org_created_idx` must fit.
  if (snake(many).length > 44) throw new ScaffoldError(`table name "${snake(many)}" is too long (at most 44 characters)`);
  const fields = fieldArgs.map(parseField);
  const dup = fields.find((f, i) => fields.findIndex((g) => g.column === f.column) !== i);
  if (dup) throw new ScaffoldError(`field "${dup.name}" is given twice`);
  return { name, plural: many, one: lowerFirst(name), many: lowerFirst(many), table: snake(many), module: kebab(many), stem: kebab(name), fields };
}
