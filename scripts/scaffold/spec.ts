/**
 * What `npm run scaffold -- <Type> <field>... [options]` asks for, parsed and validated without
 * touching the disk: the type's names in every spelling the module needs, its fields, who may read
 * and write it, and its order. Misuse raises ScaffoldError with a sentence saying what to type instead.
 *
 * A field is `name:type`, then optional parts, then `?` for an optional (nullable) field:
 *   amount:int  note:string?  dueDate:datetime  issuedOn:date  body:text  paid:boolean  rate:float
 *   status:enum:DRAFT,SENT,PAID      an enum (values in UPPER_CASE)
 *   number:string:unique             unique within the organization (string, int, date, datetime, enum)
 *   project:ref:Project              a reference to another tenant-owned type (column project_id,
 *                                    a composite foreign key (org_id, project_id))
 */

export class ScaffoldError extends Error {
  override name = 'ScaffoldError';
}

/**
 * The scalar field types, each with its GraphQL, TypeScript, MikroORM and SQL form, the zod schema the
 * service validates input with (helpers named in the service's preamble, see code-templates.ts), and
 * how the isolation prover's generator makes a value (module.ts; null: the prover fills the type itself).
 */
export const SCALARS = {
  string: { graphql: 'String', ts: 'string', orm: `type: 'text'`, sql: 'text', max: 200, zod: 'storableText(200)' },
  text: { graphql: 'String', ts: 'string', orm: `type: 'text'`, sql: 'text', max: 10_000, zod: 'storableText(10_000)' },
  int: { graphql: 'Int', ts: 'number', orm: `type: 'integer'`, sql: 'integer', max: null, zod: 'z.number().int()' },
  float: { graphql: 'Float', ts: 'number', orm: `type: 'double', runtimeType: 'number'`, sql: 'double precision', max: null, zod: 'z.number().finite()' },
  boolean: { graphql: 'Boolean', ts: 'boolean', orm: `type: 'boolean'`, sql: 'boolean', max: null, zod: 'z.boolean()' },
  datetime: { graphql: 'DateTime', ts: 'Date', orm: `type: 'Date'`, sql: 'timestamptz', max: null, zod: 'timestamp' },
  date: { graphql: 'String', ts: 'string', orm: `type: 'date'`, sql: 'date', max: null, zod: 'calendarDate' },
} as const;

export type ScalarType = keyof typeof SCALARS;
export const FIELD_KINDS = [...Object.keys(SCALARS), 'enum', 'ref'] as const;
/** Types a field may be unique (per organization) and ordered by. */
const UNIQUE_OK = new Set(['string', 'int', 'date', 'datetime', 'enum']);
const ORDER_OK = new Set(['string', 'int', 'float', 'date', 'datetime']);

export const ROLES = ['MEMBER', 'ADMIN', 'OWNER'] as const;
export type Role = (typeof ROLES)[number];

interface FieldBase {
  /** camelCase: the GraphQL field and the entity property. */
  readonly name: string;
  /** snake_case column (`project_id` for a reference). */
  readonly column: string;
  /** `?` suffix: nullable column, optional argument. */
  readonly optional: boolean;
  /** Unique within the organization. */
  readonly unique: boolean;
  /** The field as it was asked for, for scaffold.json. */
  readonly source: string;
}
export interface ScalarField extends FieldBase {
  readonly kind: 'scalar';
  readonly type: ScalarType;
}
export interface EnumField extends FieldBase {
  readonly kind: 'enum';
  /** The GraphQL enum: `InvoiceStatus`. */
  readonly enumName: string;
  readonly values: readonly string[];
}
export interface RefField extends FieldBase {
  readonly kind: 'ref';
  /** The referenced GraphQL type (`Project`). */
  readonly target: string;
  /** The argument and entity property holding the id: `projectId`. */
  readonly idName: string;
}
export type FieldSpec = ScalarField | EnumField | RefField;

export interface OrderSpec {
  /** The entity property (`createdAt` by default). */
  readonly field: string;
  readonly column: string;
  readonly direction: 'asc' | 'desc';
  /** How a cursor value is read back: the field's type. */
  readonly type: ScalarType;
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
  /** `invoices`, `line-items`: src/modules/<module>/, schema/<module>.graphql, and the scopes' resource. */
  readonly module: string;
  /** `invoice`, `line-item`: file stem of the entity and the service. */
  readonly stem: string;
  readonly fields: readonly FieldSpec[];
  /** The least role that reads (`<module>:read`) and that creates, changes and deletes (`<module>:write`). */
  readonly readRole: Role;
  readonly writeRole: Role;
  readonly order: OrderSpec;
}

export interface SpecOptions {
  readonly plural?: string | undefined;
  readonly readRole?: string | undefined;
  readonly writeRole?: string | undefined;
  /** `dueDate` (ascending) or `-dueDate` (descending); default `createdAt`. */
  readonly order?: string | undefined;
}

const TYPE_NAME = /^[A-Z][A-Za-z0-9]*$/;
const FIELD_NAME = /^[a-z][A-Za-z0-9]*$/;
const ENUM_VALUE = /^[A-Z][A-Z0-9_]*$/;
/** Every type name the scaffold writes must leave room for `Connection` and PostgreSQL's 63-byte names. */
const MAX_NAME = 40;
/** Written by the scaffold itself (id, createdAt), inherited (orgId), or unsafe as an object key. */
const RESERVED_FIELDS = new Set(['id', 'orgId', 'createdAt', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__proto__']);
/** The camelCase forms become variables and namespaces in the generated code. */
const JS_RESERVED = new Set('break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await arguments eval'.split(' '));
const RESERVED_TYPES = new Set(['Query', 'Mutation', 'Subscription', 'String', 'Int', 'Float', 'Boolean', 'ID', 'DateTime', 'JSON', 'PageInfo', 'TenantOwned', 'Viewer', 'User', 'Organization']);

export const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
export const kebab = (s: string): string => snake(s).replace(/_/g, '-');
export const lowerFirst = (s: string): string => s[0]!.toLowerCase() + s.slice(1);
export const upperFirst = (s: string): string => s[0]!.toUpperCase() + s.slice(1);

/** English plural of a PascalCase name, for the common cases; `--plural` covers the rest. */
export function pluralize(name: string): string {
  if (/[^aeiou]y$/.test(name)) return `${name.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(name)) return `${name}es`;
  return `${name}s`;
}

const FIELD_USAGE = 'write name:type, name:type? (optional), name:enum:A,B,C, name:string:unique or name:ref:Type (e.g. amount:int note:string? status:enum:DRAFT,PAID project:ref:Project)';

/** One field of `typeName`. Raises ScaffoldError. */
export function parseField(typeName: string, arg: string): FieldSpec {
  const optional = arg.endsWith('?');
  const parts = (optional ? arg.slice(0, -1) : arg).split(':');
  const [name, type, ...rest] = parts as [string, string | undefined, ...string[]];
  if (!type) throw new ScaffoldError(`"${arg}" is not a field: ${FIELD_USAGE}`);
  if (!FIELD_NAME.test(name) || name.length > MAX_NAME) throw new ScaffoldError(`field name "${name}" must be camelCase letters and digits, starting with a lower-case letter, at most ${MAX_NAME} characters`);
  if (RESERVED_FIELDS.has(name)) throw new ScaffoldError(`field name "${name}" is reserved (id, orgId and createdAt are written by the scaffold itself)`);
  if (JS_RESERVED.has(name)) throw new ScaffoldError(`field name "${name}" is a JavaScript reserved word; choose another`);
  // test/isolation/checks.ts orgColumnProblems: a column naming an org outside org_id is a tenant column in disguise.
  if (/org/i.test(name)) throw new ScaffoldError(`field name "${name}" contains "org": the isolation prover treats such a column as a reference to an organization; choose another name`);
  const base = { name, optional, source: arg };
  const flags = (allowed: string[]) => {
    const unknown = allowed.length ? rest.filter((r) => !allowed.includes(r)) : rest;
    if (unknown.length) throw new ScaffoldError(`field "${name}": unknown part "${unknown[0]}" (${FIELD_USAGE})`);
    return new Set(rest);
  };
  if (type === 'ref') {
    const [target, ...more] = rest;
    if (!target || !TYPE_NAME.test(target)) throw new ScaffoldError(`field "${name}": a reference names the type it points to, e.g. ${name}:ref:Project`);
    if (more.length) throw new ScaffoldError(`field "${name}": a reference takes only the type it points to (${name}:ref:${target} or ${name}:ref:${target}?)`);
    if (name.endsWith('Id')) throw new ScaffoldError(`field "${name}": name the reference after the object (project:ref:Project), the scaffold adds the Id column itself`);
    return { ...base, kind: 'ref', target, idName: `${name}Id`, column: `${snake(name)}_id`, unique: false };
  }
  if (type === 'enum') {
    const [list, ...more] = rest;
    const values = (list ?? '').split(',').filter(Boolean);
    if (values.length === 0) throw new ScaffoldError(`field "${name}": an enum lists its values, e.g. ${name}:enum:DRAFT,SENT,PAID`);
    const bad = values.find((v) => !ENUM_VALUE.test(v) || v.length > 40);
    if (bad) throw new ScaffoldError(`field "${name}": enum value "${bad}" must be UPPER_CASE letters, digits and _, starting with a letter`);
    if (new Set(values).size !== values.length) throw new ScaffoldError(`field "${name}": an enum value is given twice`);
    const unique = flagsOf(name, more, ['unique']).has('unique');
    return { ...base, kind: 'enum', enumName: `${typeName}${upperFirst(name)}`, values, column: snake(name), unique };
  }
  if (!Object.hasOwn(SCALARS, type)) throw new ScaffoldError(`field "${name}": unknown type "${type}"; supported: ${FIELD_KINDS.join(', ')} (append ? for optional)`);
  const unique = flags(['unique']).has('unique');
  if (unique && !UNIQUE_OK.has(type)) throw new ScaffoldError(`field "${name}": a ${type} cannot be unique (unique works for ${[...UNIQUE_OK].join(', ')})`);
  return { ...base, kind: 'scalar', type: type as ScalarType, column: snake(name), unique };
}

function flagsOf(name: string, parts: readonly string[], allowed: readonly string[]): Set<string> {
  const unknown = parts.filter((p) => !allowed.includes(p));
  if (unknown.length) throw new ScaffoldError(`field "${name}": unknown part "${unknown[0]}" (${FIELD_USAGE})`);
  return new Set(parts);
}

function roleOf(what: string, value: string | undefined, fallback: Role): Role {
  if (value === undefined) return fallback;
  if (!(ROLES as readonly string[]).includes(value)) throw new ScaffoldError(`${what} must be one of ${ROLES.join(', ')} (got "${value}")`);
  return value as Role;
}

/** The order of the list query and of a reference's list. Raises ScaffoldError. */
function orderOf(fields: readonly FieldSpec[], order: string | undefined): OrderSpec {
  if (order === undefined || order === 'createdAt') return { field: 'createdAt', column: 'created_at', direction: 'asc', type: 'datetime' };
  if (order === '-createdAt') return { field: 'createdAt', column: 'created_at', direction: 'desc', type: 'datetime' };
  const direction = order.startsWith('-') ? 'desc' : 'asc';
  const name = order.replace(/^-/, '');
  const field = fields.find((f) => f.name === name);
  if (!field) throw new ScaffoldError(`--order ${order}: no field "${name}" (order by createdAt, or by one of the fields: ${fields.map((f) => f.name).join(', ')})`);
  if (field.kind !== 'scalar' || !ORDER_OK.has(field.type) || field.optional) throw new ScaffoldError(`--order ${order}: order by a required ${[...ORDER_OK].join(', ')} field`);
  return { field: field.name, column: field.column, direction, type: field.type };
}

/** The whole request. Raises ScaffoldError. */
export function parseSpec(name: string | undefined, fieldArgs: readonly string[], opts: SpecOptions = {}): TypeSpec {
  if (!name) throw new ScaffoldError('usage: npm run scaffold -- <TypeName> <field>... [--plural <Plural>] [--read-role MEMBER|ADMIN|OWNER] [--write-role MEMBER|ADMIN|OWNER] [--order <field>|-<field>] (e.g. Invoice amount:int dueDate:datetime note:string?)');
  if (!TYPE_NAME.test(name) || name.length > MAX_NAME) throw new ScaffoldError(`type name "${name}" must be PascalCase letters and digits (e.g. Invoice, LineItem), at most ${MAX_NAME} characters`);
  if (RESERVED_TYPES.has(name) || /(Connection|Edge|Input)$/.test(name)) throw new ScaffoldError(`type name "${name}" is reserved or ends like a generated type (Connection, Edge, Input)`);
  const many = opts.plural ?? pluralize(name);
  if (!TYPE_NAME.test(many) || many === name) throw new ScaffoldError(`plural "${many}" must be PascalCase and differ from "${name}" (pass --plural <Plural>)`);
  if (JS_RESERVED.has(lowerFirst(name)) || JS_RESERVED.has(lowerFirst(many))) throw new ScaffoldError(`type name "${name}" would give a JavaScript reserved word as a variable name; choose another`);
  if (fieldArgs.length === 0) throw new ScaffoldError(`${name} needs at least one field, e.g. npm run scaffold -- ${name} amount:int`);
  // PostgreSQL truncates names past 63 bytes: `<table>_org_<column>_idx` must fit.
  if (snake(many).length > 30) throw new ScaffoldError(`table name "${snake(many)}" is too long (at most 30 characters; pass a shorter --plural)`);
  const fields = fieldArgs.map((f) => parseField(name, f));
  const dup = fields.find((f, i) => fields.findIndex((g) => g.column === f.column || g.name === f.name) !== i);
  if (dup) throw new ScaffoldError(`field "${dup.name}" is given twice`);
  const readRole = roleOf('--read-role', opts.readRole, 'MEMBER');
  const writeRole = roleOf('--write-role', opts.writeRole, 'MEMBER');
  if (ROLES.indexOf(writeRole) < ROLES.indexOf(readRole)) throw new ScaffoldError(`--write-role ${writeRole} is below --read-role ${readRole}: whoever writes must be able to read`);
  return { name, plural: many, one: lowerFirst(name), many: lowerFirst(many), table: snake(many), module: kebab(many), stem: kebab(name), fields, readRole, writeRole, order: orderOf(fields, opts.order) };
}
