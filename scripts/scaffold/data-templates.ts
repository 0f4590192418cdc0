/**
 * The SDL file and the migrations of a scaffolded module, modelled on schema/projects.graphql and the
 * projects and tasks tables of migrations/Migration20261128000000_skeleton.ts: org_id first in the
 * primary key, in every index and in every foreign key to another tenant table, row-level security
 * enabled and forced with the tenant_isolation policy, the runtime role's grants, and the type's row in
 * cross_tenant_kinds (with its id index) so cross-tenant attempts on it are recorded for the victim.
 */
import { listField, type Targets } from './code-templates.ts';
import { SCALARS, ScaffoldError, type FieldSpec, type RefField, type TypeSpec } from './spec.ts';

const gqlBase = (f: FieldSpec) => (f.kind === 'enum' ? f.enumName : f.kind === 'ref' ? 'ID' : SCALARS[f.type].graphql);
const argName = (f: FieldSpec) => (f.kind === 'ref' ? f.idName : f.name);
const args = (fields: readonly FieldSpec[], required: (f: FieldSpec) => boolean) => fields.map((f) => `${argName(f)}: ${gqlBase(f)}${required(f) ? '!' : ''}`).join(', ');
const refs = (t: TypeSpec) => t.fields.filter((f): f is RefField => f.kind === 'ref');

function describeOrder(t: TypeSpec): string {
  return `${t.order.field === 'createdAt' ? 'creation' : t.order.field}${t.order.direction === 'desc' ? ' (newest first)'.replace('newest', t.order.field === 'createdAt' ? 'newest' : 'highest') : ''}, then id`;
}

export function sdlFile(t: TypeSpec): string {
  const N = t.name;
  const notes = [
    ...t.fields.filter((f) => f.kind === 'scalar' && f.type === 'date').map((f) => `${f.name}: a calendar date, YYYY-MM-DD.`),
    ...t.fields.filter((f) => f.unique).map((f) => `${f.name}: unique within the organization (BAD_USER_INPUT when taken).`),
    ...refs(t).map((f) => `${f.idName}: a ${f.target} of the active organization (NOT_FOUND otherwise).`),
  ];
  const objectField = (f: FieldSpec) => `  ${f.name}: ${f.kind === 'ref' ? f.target : gqlBase(f)}${f.optional ? '' : '!'}`;
  const enums = t.fields.filter((f) => f.kind === 'enum').map((f) => `\nenum ${f.enumName} {\n${f.values.map((v) => `  ${v}`).join('\n')}\n}\n`);
  const extensions = [...new Set(refs(t).map((f) => f.target))].map((target) => {
    const byField = refs(t).filter((f) => f.target === target);
    return `\nextend type ${target} {\n${byField
      .map((f) => `  """The first \`first\` ${t.many} (at most 100) whose ${f.name} is this ${target.charAt(0).toLowerCase() + target.slice(1)}, by ${describeOrder(t)}."""\n  ${listField(t, f, byField.length)}(first: Int = 20): [${N}!]!`)
      .join('\n')}\n}\n`;
  });
  return `# ${t.plural}: written by \`npm run scaffold\` (src/modules/${t.module}/); yours to change.
extend type Query {
  """${t.plural} of the active organization, by ${describeOrder(t)}."""
  ${t.many}(first: Int = 20, after: String): ${N}Connection!
  """Null when the ${t.one} is not in the active organization."""
  ${t.one}(id: ID!): ${N}
}

extend type Mutation {${notes.length ? `\n  """\n  ${notes.join('\n  ')}\n  """` : ''}
  create${N}(${args(t.fields, (f) => !f.optional)}): ${N}!
  """Arguments left out (or null) keep their value; null clears an optional field."""
  update${N}(id: ID!, ${args(t.fields, () => false)}): ${N}!
  delete${N}(id: ID!): Boolean!
}

type ${N} {
  id: ID!
${t.fields.map(objectField).join('\n')}
  createdAt: DateTime!
}
${enums.join('')}
type ${N}Connection {
  edges: [${N}Edge!]!
  pageInfo: PageInfo!
}

type ${N}Edge {
  cursor: String!
  node: ${N}!
}
${extensions.join('')}`;
}

/** The column's definition; `fill` is a literal for the rows a later field meets (scaffold:field). */
function columnSql(f: FieldSpec, fill?: string): string {
  const type = f.kind === 'scalar' ? SCALARS[f.type].sql : f.kind === 'ref' ? 'uuid' : 'text';
  const max = f.kind === 'scalar' ? SCALARS[f.type].max : null;
  const check = max ? ` check (length(${f.column}) between 1 and ${max})` : f.kind === 'enum' ? ` check (${f.column} in (${f.values.map((v) => `'${v}'`).join(', ')}))` : '';
  return `${f.column} ${type}${f.optional ? '' : ' not null'}${fill !== undefined ? ` default ${fill}` : ''}${check}`;
}

function identifier(name: string): string {
  if (Buffer.byteLength(name) > 63) throw new ScaffoldError(`the name ${name} is longer than PostgreSQL's 63 bytes: choose shorter type or field names (or --plural)`);
  return name;
}

/** The order index: every list of the type (and every per-parent list) walks it. */
const orderColumns = (t: TypeSpec) => `${t.order.column}${t.order.direction === 'desc' ? ' desc' : ''}, id`;

/** The indexes and constraints one field needs beyond its column. */
function fieldStatements(t: TypeSpec, f: FieldSpec, targets: Targets): string[] {
  const out: string[] = [];
  if (f.kind === 'ref') {
    const target = targets.get(f.target)!;
    const onDelete = f.optional ? `on delete set null (${f.column})` : 'on delete cascade';
    out.push(`alter table ${t.table} add constraint ${identifier(`${t.table}_${f.column}_fkey`)} foreign key (org_id, ${f.column}) references ${target.table} (org_id, id) ${onDelete}`);
    out.push(`create index ${identifier(`${t.table}_org_${f.column}_idx`)} on ${t.table} (org_id, ${f.column}, ${orderColumns(t)})`);
  }
  if (f.unique) out.push(`create unique index ${identifier(`${t.table}_org_${f.column}_key`)} on ${t.table} (org_id, ${f.column})`);
  return out;
}

/** `Migration20261129020000_invoices`: the class and file name. */
export const migrationName = (t: TypeSpec, timestamp: string, what = t.table) => `Migration${timestamp}_${what}`;

function migration(name: string, doc: string, statements: readonly string[]): string {
  const uses = (c: string) => statements.some((s) => s.includes(`\${${c}}`));
  const consts = [
    ...(uses('CURRENT_ORG') ? ["const CURRENT_ORG = `(select nullif(current_setting('app.org_id', true), ''))::uuid`;"] : []),
    ...(uses('APP_ROLE') ? ["const APP_ROLE = 'orgbound_app';"] : []),
  ];
  return `import { Migration } from '@mikro-orm/migrations';

/**
 * ${doc}
 * Written by \`npm run scaffold\`. Append-only once applied anywhere: change the type with a new migration.
 */
${consts.length ? `${consts.join('\n')}\n\n` : ''}export class ${name} extends Migration {
  override async up(): Promise<void> {
    const statements = [
${statements.map((s) => `      \`${s}\`,`).join('\n')}
    ];
    for (const sql of statements) this.addSql(sql);
  }
}
`;
}

/** The table of a new type. */
export function migrationFile(t: TypeSpec, timestamp: string, targets: Targets): string {
  const table = t.table;
  const create = `create table ${table} (
        org_id uuid not null references organizations (id) on delete cascade,
        id uuid not null,
${t.fields.map((f) => `        ${columnSql(f)},`).join('\n')}
        created_at timestamptz not null,
        primary key (org_id, id)
      )`;
  const statements = [
    create,
    `create index ${identifier(`${table}_org_${t.order.column}_idx`)} on ${table} (org_id, ${orderColumns(t)})`,
    ...t.fields.flatMap((f) => fieldStatements(t, f, targets)),
    `create index ${identifier(`${table}_id_idx`)} on ${table} (id)`,
    `alter table ${table} enable row level security`,
    `alter table ${table} force row level security`,
    `create policy tenant_isolation on ${table} using (org_id = \${CURRENT_ORG}) with check (org_id = \${CURRENT_ORG})`,
    `grant select, insert, update, delete on ${table} to \${APP_ROLE}`,
    `insert into cross_tenant_kinds (kind, table_name) values ('${t.name}', '${table}')`,
  ];
  const doc = `${t.plural}: a tenant-owned table. \`org_id\` first in the primary key, in every index and in every
 * foreign key to another tenant table; row-level security enabled and forced with the tenant_isolation
 * policy on app.org_id; the runtime role gets only the grants it needs; the type is registered in
 * cross_tenant_kinds (with an index on id) so lookups of another tenant's ${t.many} are recorded for that tenant.`;
  return migration(migrationName(t, timestamp), doc, statements);
}

/** A field added to an existing type (scaffold:field). `fill` is the SQL literal existing rows take. */
export function addFieldMigrationFile(t: TypeSpec, f: FieldSpec, timestamp: string, targets: Targets, fill: string | undefined): string {
  const statements = [`alter table ${t.table} add column ${columnSql(f, fill)}`, ...(fill !== undefined ? [`alter table ${t.table} alter column ${f.column} drop default`] : []), ...fieldStatements(t, f, targets)];
  const doc = `${t.plural} gain \`${f.name}\`${fill !== undefined ? ` (existing rows take ${fill.replace(/\*\//g, '* /')})` : ''}. The table keeps its keys, indexes (org_id first), RLS and grants.`;
  return migration(migrationName(t, timestamp, `${t.table}_add_${f.column}`), doc, statements);
}

/** A field dropped from an existing type (scaffold:field --drop): its indexes and constraints go with the column. */
export function dropFieldMigrationFile(t: TypeSpec, f: FieldSpec, timestamp: string): string {
  return migration(migrationName(t, timestamp, `${t.table}_drop_${f.column}`), `${t.plural} lose \`${f.name}\` (its indexes and constraints go with the column). Keys, RLS and grants are unchanged.`, [`alter table ${t.table} drop column ${f.column}`]);
}

/** The type removed (scaffold:remove): its table, and its row in cross_tenant_kinds. */
export function dropTableMigrationFile(t: TypeSpec, timestamp: string): string {
  return migration(migrationName(t, timestamp, `drop_${t.table}`), `${t.plural} removed: the table and its registration for the cross-tenant check.`, [`delete from cross_tenant_kinds where kind = '${t.name}'`, `drop table ${t.table}`]);
}
