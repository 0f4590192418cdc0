/**
 * The SDL file and the migration of a scaffolded slice, modelled on schema/projects.graphql and the
 * projects table of migrations/Migration20261128000000_skeleton.ts.
 */
import { FIELD_TYPES, type FieldSpec, type TypeSpec } from './spec.ts';

const gqlType = (f: FieldSpec, required: boolean) => `${FIELD_TYPES[f.type].graphql}${required ? '!' : ''}`;
const args = (fields: readonly FieldSpec[], required: (f: FieldSpec) => boolean) => fields.map((f) => `${f.name}: ${gqlType(f, required(f))}`).join(', ');

export function sdlFile(t: TypeSpec): string {
  const N = t.name;
  const dates = t.fields.filter((f) => f.type === 'date').map((f) => `${f.name}`);
  const dateNote = dates.length ? `\n  """${dates.join(', ')}: a calendar date, YYYY-MM-DD."""` : '';
  return `# Written by \`npm run scaffold\`. Shield rules: src/platform/authorization/rules.ts; resolvers: src/${t.module}/resolvers.ts.
extend type Query {
  """${t.plural} of the active organization, oldest first."""
  ${t.many}(first: Int = 20, after: String): ${N}Connection!
  """Null when the ${t.one} is not in the active organization."""
  ${t.one}(id: ID!): ${N}
}

extend type Mutation {${dateNote}
  create${N}(${args(t.fields, (f) => !f.optional)}): ${N}!
  """Arguments left out (or null) keep their value; null clears an optional field."""
  update${N}(id: ID!, ${args(t.fields, () => false)}): ${N}!
  delete${N}(id: ID!): Boolean!
}

type ${N} {
  id: ID!
${t.fields.map((f) => `  ${f.name}: ${gqlType(f, !f.optional)}`).join('\n')}
  createdAt: DateTime!
}

type ${N}Connection {
  edges: [${N}Edge!]!
  pageInfo: PageInfo!
}

type ${N}Edge {
  cursor: String!
  node: ${N}!
}
`;
}

function column(f: FieldSpec): string {
  const def = FIELD_TYPES[f.type];
  const check = def.max ? ` check (length(${f.column}) between 1 and ${def.max})` : '';
  return `${f.column} ${def.sql}${f.optional ? '' : ' not null'}${check}`;
}

/** `Migration20261129020000_invoices`: the class and file name. */
export const migrationName = (t: TypeSpec, timestamp: string) => `Migration${timestamp}_${t.table}`;

export function migrationFile(t: TypeSpec, timestamp: string): string {
  const table = t.table;
  return `import { Migration } from '@mikro-orm/migrations';

/**
 * ${t.plural}, written by \`npm run scaffold\`. Tenant-owned like projects (ARCHITECTURE.md, "Data rules"):
 * \`org_id\` first in the primary key and in every index, RLS enabled and forced with the same
 * tenant_isolation policy, and the runtime role gets only the grants it needs. Append-only once landed.
 */
const CURRENT_ORG = \`(select nullif(current_setting('app.org_id', true), ''))::uuid\`;
const APP_ROLE = 'orgbound_app';

export class ${migrationName(t, timestamp)} extends Migration {
  override async up(): Promise<void> {
    const statements = [
      \`create table ${table} (
        org_id uuid not null references organizations (id) on delete cascade,
        id uuid not null,
${t.fields.map((f) => `        ${column(f)},`).join('\n')}
        created_at timestamptz not null,
        primary key (org_id, id)
      )\`,
      \`create index ${table}_org_created_idx on ${table} (org_id, created_at, id)\`,
      \`alter table ${table} enable row level security\`,
      \`alter table ${table} force row level security\`,
      \`create policy tenant_isolation on ${table} using (org_id = \${CURRENT_ORG}) with check (org_id = \${CURRENT_ORG})\`,
      \`grant select, insert, update, delete on ${table} to \${APP_ROLE}\`,
    ];
    for (const sql of statements) this.addSql(sql);
  }
}
`;
}
