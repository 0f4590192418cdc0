/**
 * `npm run scaffold -- <Type> <field:type[?]>... [--plural <Plural>] [--root <dir>]`: writes a
 * tenant-owned type as one vertical slice like src/projects/ (entity, service, resolvers, SDL,
 * migration with forced RLS) and registers it (entities, resolvers, shield rules, codegen mappers,
 * the isolation prover's argument generators, a seed row for test/db/layers.test.ts). It never overwrites a file and refuses a name that is
 * already taken; nothing is written unless every file and registration could be prepared.
 * README.md, "Add your own type", walks through the result.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse, type DefinitionNode } from 'graphql';
import { entityFile, resolversFile, serviceFile } from './scaffold/code-templates.ts';
import { migrationFile, migrationName, sdlFile } from './scaffold/data-templates.ts';
import { registerEntity, registerGenerators, registerLayersRow, registerMappers, registerResolvers, registerRules } from './scaffold/register.ts';
import { parseSpec, ScaffoldError, type TypeSpec } from './scaffold/spec.ts';

export { ScaffoldError };

export interface ScaffoldResult {
  readonly created: string[];
  readonly changed: string[];
}

/** Names already used by the schema's SDL: type names, and root fields as `Query.x` / `Mutation.x`. */
function schemaNames(root: string): Set<string> {
  const names = new Set<string>();
  for (const f of readdirSync(join(root, 'schema')).filter((n) => n.endsWith('.graphql'))) {
    for (const def of parse(readFileSync(join(root, 'schema', f), 'utf8')).definitions as DefinitionNode[]) {
      if (!('name' in def) || !def.name) continue;
      const name = def.name.value;
      if (def.kind !== 'ObjectTypeExtension') names.add(name);
      if ((name === 'Query' || name === 'Mutation') && 'fields' in def) for (const field of def.fields ?? []) names.add(`${name}.${field.name.value}`);
    }
  }
  return names;
}

/** Refuses a type whose names are taken (GraphQL types, root fields, tables, the module folder). Raises ScaffoldError. */
function checkClashes(root: string, t: TypeSpec): void {
  const taken = schemaNames(root);
  const wanted = [t.name, `${t.name}Connection`, `${t.name}Edge`, `Query.${t.many}`, `Query.${t.one}`, ...['create', 'update', 'delete'].map((v) => `Mutation.${v}${t.name}`)];
  const clash = wanted.filter((n) => taken.has(n));
  if (clash.length) throw new ScaffoldError(`${t.name} clashes with the existing schema: ${clash.join(', ')} already defined in schema/`);
  const migrations = readdirSync(join(root, 'migrations')).map((f) => readFileSync(join(root, 'migrations', f), 'utf8')).join('\n');
  if (new RegExp(`create table (if not exists )?${t.table}\\b`, 'i').test(migrations)) throw new ScaffoldError(`table ${t.table} already exists (migrations/)`);
  if (existsSync(join(root, 'src', t.module))) throw new ScaffoldError(`src/${t.module}/ already exists: ${t.name} looks scaffolded already, or the module name is taken`);
}

/** yyyymmddhhmmss: now (UTC), or an hour after the newest migration when that is later. */
function nextMigrationTimestamp(root: string, now: Date): string {
  const stamps = readdirSync(join(root, 'migrations')).map((f) => /^Migration(\d{14})_/.exec(f)?.[1]).filter((s): s is string => !!s).sort();
  const fmt = (d: Date) => d.toISOString().replace(/\D/g, '').slice(0, 14);
  const newest = stamps.at(-1);
  if (!newest) return fmt(now);
  const n = newest.replace(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/, '$1-$2-$3T$4:$5:$6Z');
  const after = new Date(new Date(n).getTime() + 3_600_000);
  return fmt(now) > newest ? fmt(now) : fmt(after);
}

/** Writes the slice under `root`. Raises ScaffoldError (nothing written) for any refusal. */
export function scaffold(root: string, typeName: string | undefined, fields: readonly string[], opts: { plural?: string; now?: Date } = {}): ScaffoldResult {
  const t = parseSpec(typeName, fields, opts.plural);
  checkClashes(root, t);
  const stamp = nextMigrationTimestamp(root, opts.now ?? new Date());
  const files: Record<string, string> = {
    [`src/${t.module}/${t.stem}.entity.ts`]: entityFile(t),
    [`src/${t.module}/${t.stem}.service.ts`]: serviceFile(t),
    [`src/${t.module}/resolvers.ts`]: resolversFile(t),
    [`schema/${t.module}.graphql`]: sdlFile(t),
    [`migrations/${migrationName(t, stamp)}.ts`]: migrationFile(t, stamp),
  };
  const existing = Object.keys(files).filter((f) => existsSync(join(root, f)));
  if (existing.length) throw new ScaffoldError(`refusing to overwrite ${existing.join(', ')}`);
  const edits: [string, (s: string, t: TypeSpec) => string][] = [
    ['src/app/entities.ts', registerEntity],
    ['src/api/graphql/schema.ts', registerResolvers],
    ['src/platform/authorization/rules.ts', registerRules],
    ['codegen.yml', registerMappers],
    ['test/isolation/arguments.ts', registerGenerators],
    ['test/db/layers.test.ts', registerLayersRow],
  ];
  const changed: Record<string, string> = {};
  for (const [file, edit] of edits) {
    const path = join(root, file);
    if (!existsSync(path)) throw new ScaffoldError(`${file} is missing: is ${root} an orgbound checkout?`);
    changed[file] = edit(readFileSync(path, 'utf8'), t);
  }
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text, { flag: 'wx' }); // wx: fail rather than overwrite, even in a race
  }
  for (const [file, text] of Object.entries(changed)) writeFileSync(join(root, file), text);
  return { created: Object.keys(files), changed: Object.keys(changed) };
}

/** `argv` without node and the script: the type, its fields, and the options. */
export function parseArgv(argv: readonly string[]): { root: string; typeName?: string; fields: string[]; plural?: string } {
  const positional: string[] = [];
  let root = process.cwd();
  let plural: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--root' || a === '--plural') {
      const v = argv[++i];
      if (!v) throw new ScaffoldError(`${a} needs a value`);
      if (a === '--root') root = resolve(v);
      else plural = v;
    } else if (a.startsWith('--')) throw new ScaffoldError(`unknown option ${a} (known: --plural <Plural>, --root <dir>)`);
    else positional.push(a);
  }
  const [typeName, ...fields] = positional;
  return { root, typeName, fields, plural };
}

function main(): void {
  try {
    const { root, typeName, fields, plural } = parseArgv(process.argv.slice(2));
    const { created, changed } = scaffold(root, typeName, fields, { plural });
    const out = [
      'created:',
      ...created.map((f) => `  ${f}`),
      'registered in:',
      ...changed.map((f) => `  ${f}`),
      'next: npm run codegen && npm run typecheck && npm test (see README.md, "Add your own type")',
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } catch (err) {
    if (!(err instanceof ScaffoldError)) throw err;
    process.stderr.write(`scaffold: ${err.message}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) main();
