/**
 * The registration lines a scaffolded slice adds to existing files, each inserted at a fixed anchor.
 * Every function is pure (text in, text out) and raises ScaffoldError naming the file and the line to
 * add by hand when its anchor has moved, so nothing is written half-way (scaffold.ts writes only
 * after every edit succeeded).
 */
import { FIELD_TYPES, ScaffoldError, type TypeSpec } from './spec.ts';

/** Inserts `text` just before the first `close` that follows `open`. */
function insertBefore(source: string, file: string, open: string, close: string, text: string): string {
  const start = source.indexOf(open);
  const end = start < 0 ? -1 : source.indexOf(close, start + open.length);
  if (end < 0) throw new ScaffoldError(`${file}: cannot find "${open.trim()}" ... "${close.trim()}"; add by hand:\n${text}`);
  return source.slice(0, end) + text + source.slice(end);
}

/** Adds a relative import among the single-line ones, in path order (after the last when none sorts later). */
function addImport(source: string, file: string, line: string): string {
  const path = /from '([^']+)'/.exec(line)![1]!;
  const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)];
  if (imports.length === 0) throw new ScaffoldError(`${file}: no import to add after; add by hand:\n${line}`);
  const later = imports.find((m) => m[1]!.startsWith('.') && m[1]! > path); // among the relative imports
  if (later) return `${source.slice(0, later.index)}${line}\n${source.slice(later.index)}`;
  const last = imports.at(-1)!;
  const at = last.index! + last[0].length;
  return `${source.slice(0, at)}\n${line}${source.slice(at)}`;
}

export function registerEntity(source: string, t: TypeSpec): string {
  const file = 'src/app/entities.ts';
  const withImport = addImport(source, file, `import { ${t.name}Schema } from '../${t.module}/${t.stem}.entity.ts';`);
  return insertBefore(withImport, file, 'export const entities = [', '\n];', `\n  ${t.name}Schema,`);
}

export function registerResolvers(source: string, t: TypeSpec): string {
  const file = 'src/api/graphql/schema.ts';
  const withImport = addImport(source, file, `import { ${t.one}Resolvers } from '../${t.module}/resolvers.ts';`);
  const open = 'const moduleResolvers: Resolvers[] = [';
  const start = withImport.indexOf(open);
  const end = start < 0 ? -1 : withImport.indexOf(']', start + open.length);
  if (end < 0) throw new ScaffoldError(`${file}: cannot find "${open}"; add ${t.one}Resolvers to moduleResolvers by hand`);
  const before = withImport.slice(0, end).replace(/,?\s*$/, '');
  return `${before}, ${t.one}Resolvers${withImport.slice(end)}`;
}

/**
 * Reads with the projects scopes (`projects:read` / `projects:write`): a scaffolded type is tenant
 * data of the same kind, so service accounts and agents that hold those scopes reach it too.
 */
export function registerRules(source: string, t: TypeSpec): string {
  const file = 'src/platform/authorization/rules.ts';
  const open = 'export const rules = {';
  let out = insertBefore(source, file, `${open}\n  Query: {`, '\n  },', `\n    ${t.many}: projectsRead,\n    ${t.one}: projectsRead,`);
  out = insertBefore(out, file, '\n  Mutation: {', '\n  },', ['create', 'update', 'delete'].map((verb) => `\n    ${verb}${t.name}: projectsWrite,`).join(''));
  const objects = [
    `\n  // ${t.name} (npm run scaffold): reachable only through the root fields above; rows under RLS tenant_isolation.`,
    `\n  ${t.name}: allow,\n  ${t.name}Connection: allow,\n  ${t.name}Edge: allow,`,
  ].join('');
  return insertBefore(out, file, open, '\n} satisfies IRules;', objects);
}

export function registerMappers(source: string, t: TypeSpec): string {
  const file = 'codegen.yml';
  const m = /^( +)mappers:\n((?:\1 +\S.*\n)+)/m.exec(source);
  if (!m) throw new ScaffoldError(`${file}: cannot find the mappers block; add ${t.name}, ${t.name}Connection and ${t.name}Edge mappers by hand`);
  const indent = /^( +)/.exec(m[2]!)![1];
  const lines = [
    `${indent}${t.name}: ../../${t.module}/${t.stem}.entity.ts#${t.name}`,
    `${indent}${t.name}Connection: ../../${t.module}/${t.stem}.service.ts#${t.name}Connection`,
    `${indent}${t.name}Edge: ../../${t.module}/${t.stem}.service.ts#${t.name}Edge`,
  ];
  const at = m.index + m[0].length;
  return `${source.slice(0, at)}${lines.join('\n')}\n${source.slice(at)}`;
}

/**
 * The isolation prover's value generators for every argument of the new mutations (Boolean
 * arguments need none: the prover fills them by type). Values a valid call uses; text carries the
 * tenant's marker, so a leaked value shows in the scan.
 */
export function registerGenerators(source: string, t: TypeSpec): string {
  const lines = [`\n  // ${t.name} (npm run scaffold): values its service accepts.`];
  for (const verb of ['create', 'update']) {
    for (const f of t.fields) {
      const gen = FIELD_TYPES[f.type].generator;
      if (gen) lines.push(`\n  'Mutation.${verb}${t.name}.${f.name}': ${gen(f.name)},`);
    }
  }
  return insertBefore(source, 'test/isolation/arguments.ts', 'export const BY_COORDINATE: Readonly<Record<string, ArgGenerator>> = {', '\n};', lines.join(''));
}

/** A literal of each type for a raw seed row (text gets the tenant's marker, `$3`). */
const SQL_SAMPLE: Record<string, string> = { string: '$3', text: '$3', int: '1', float: '1.5', boolean: 'true', datetime: 'now()', date: 'current_date' };

/**
 * One row per tenant in test/db/layers.test.ts, whose RLS-alone checks need rows of both tenants in
 * every tenant table (it seeds by raw SQL as the owner). Optional columns stay null.
 */
export function registerLayersRow(source: string, t: TypeSpec): string {
  const required = t.fields.filter((f) => !f.optional);
  const usesMarker = required.some((f) => SQL_SAMPLE[f.type] === '$3');
  const columns = ['org_id', 'id', ...required.map((f) => f.column), 'created_at'].join(', ');
  const values = ['$1', '$2', ...required.map((f) => SQL_SAMPLE[f.type]), 'now()'].join(', ');
  const line = `\n      // ${t.name} (npm run scaffold)\n      await db.sql(\`insert into ${t.table} (${columns}) values (${values})\`, [t.orgId, randomUUID()${usesMarker ? ', t.marker' : ''}]);`;
  return insertBefore(source, 'test/db/layers.test.ts', '// An invitation and a service account in each org', '\n    }\n  });', line);
}
