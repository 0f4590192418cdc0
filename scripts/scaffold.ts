/**
 * The scaffold: a tenant-owned type as one module, written as new files only (README.md, "Add your
 * own type"). Three commands:
 *
 *   npm run scaffold -- <Type> <field>... [--plural <P>] [--read-role R] [--write-role R] [--order [-]<field>]
 *   npm run scaffold:field -- <Type> <field> [--default <value>]     add a field
 *   npm run scaffold:field -- <Type> --drop <field>                  drop a field
 *   npm run scaffold:remove -- <Type>                                remove the type
 *
 * `scaffold` creates src/modules/<module>/ (entity, service, loaders, resolvers, module.ts manifest
 * with its scopes, rules, cross-tenant registration and prover generators, index.ts, mappers.json,
 * scaffold.json), schema/<module>.graphql and one migration. No existing file is touched: the core
 * discovers the module by its folder. `scaffold:field` regenerates the module's files from
 * scaffold.json (only those still as the scaffold wrote them, unless --force) and writes a migration
 * for the change; `scaffold:remove` deletes the module's files and writes a migration dropping its
 * table. Nothing is written unless every file could be prepared. Raises ScaffoldError for any refusal.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse, type DefinitionNode } from 'graphql';
import { entityFile, indexFile, listField, loadersFile, mappersFile, moduleFile, queriesFile, resolversFile, serviceFile, type RefTarget, type Targets } from './scaffold/code-templates.ts';
import { addFieldMigrationFile, dropFieldMigrationFile, dropTableMigrationFile, migrationFile, sdlFile } from './scaffold/data-templates.ts';
import { parseField, parseSpec, SCALARS, ScaffoldError, type FieldSpec, type SpecOptions, type TypeSpec } from './scaffold/spec.ts';

export { ScaffoldError };

export interface ScaffoldResult {
  readonly created: string[];
  readonly changed: string[];
  readonly deleted: string[];
}

/** What scaffold.json keeps: the request the module was written from, and the files as written. */
interface Recorded {
  readonly type: string;
  readonly fields: string[];
  readonly options: SpecOptions;
  /** sha256 of each generated file as the scaffold last wrote it. */
  readonly files: Record<string, string>;
}

const MODULES = 'src/modules';
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** Names already used by the schema's SDL: type names, and fields as `Type.field`. */
function schemaNames(root: string, skip?: string): Set<string> {
  const names = new Set<string>();
  for (const f of readdirSync(join(root, 'schema')).filter((n) => n.endsWith('.graphql') && n !== skip)) {
    for (const def of parse(readFileSync(join(root, 'schema', f), 'utf8')).definitions as DefinitionNode[]) {
      if (!('name' in def) || !def.name) continue;
      const name = def.name.value;
      if (def.kind !== 'ObjectTypeExtension') names.add(name);
      if ('fields' in def) for (const field of def.fields ?? []) names.add(`${name}.${field.name.value}`);
    }
  }
  return names;
}

/** The module that maps `type` in its mappers.json, and the entity file it maps it to. */
function ownerOf(root: string, type: string): { module: string; file: string } | null {
  for (const module of readdirSync(join(root, MODULES)).sort()) {
    const mappers = join(root, MODULES, module, 'mappers.json');
    if (!existsSync(mappers)) continue;
    const target = (JSON.parse(readFileSync(mappers, 'utf8')) as Record<string, string>)[type];
    if (target) return { module, file: join(root, MODULES, module, target.split('#')[0]!) };
  }
  return null;
}

/** What each reference points to, read from the target's module. Raises ScaffoldError. */
function resolveTargets(root: string, t: TypeSpec): Targets {
  const targets = new Map<string, RefTarget>();
  for (const f of t.fields) {
    if (f.kind !== 'ref' || targets.has(f.target)) continue;
    if (f.target === t.name) throw new ScaffoldError(`field "${f.name}": a type cannot reference itself here (add the field with scaffold:field once the type exists)`);
    const owner = ownerOf(root, f.target);
    if (!owner || !existsSync(owner.file)) throw new ScaffoldError(`field "${f.name}": no module maps the type ${f.target} (src/modules/*/mappers.json)`);
    const entity = readFileSync(owner.file, 'utf8');
    if (!new RegExp(`class ${f.target} extends TenantOwned\\b`).test(entity)) throw new ScaffoldError(`field "${f.name}": ${f.target} is not tenant-owned (a reference points at a type of the same organization)`);
    if (!/\bid!: string;/.test(entity)) throw new ScaffoldError(`field "${f.name}": ${f.target} has no id of its own to point at`);
    const table = /tableName: '([a-z0-9_]+)'/.exec(entity)?.[1];
    const index = join(root, MODULES, owner.module, 'index.ts');
    if (!table) throw new ScaffoldError(`field "${f.name}": ${owner.file} names no tableName`);
    if (!existsSync(index) || !new RegExp(`export \\{[^}]*\\b${f.target}\\b[^}]*\\} from`).test(readFileSync(index, 'utf8'))) {
      throw new ScaffoldError(`field "${f.name}": src/modules/${owner.module}/index.ts does not export ${f.target} (a module offers its types to others through index.ts)`);
    }
    const manifest = readFileSync(join(root, MODULES, owner.module, 'module.ts'), 'utf8');
    const readScope = /name: '([a-z][a-z0-9-]*:read)'/.exec(manifest)?.[1];
    if (!readScope) throw new ScaffoldError(`field "${f.name}": src/modules/${owner.module}/module.ts declares no <resource>:read scope for ${f.target}`);
    if (!new RegExp(`crossTenant: \\{[^}]*\\b${f.target}:`).test(manifest)) throw new ScaffoldError(`field "${f.name}": ${f.target} is not registered for the cross-tenant check (crossTenant in src/modules/${owner.module}/module.ts)`);
    targets.set(f.target, { type: f.target, module: owner.module, table, readScope });
  }
  return targets;
}

/** Refuses a type whose names are taken (GraphQL types and fields, tables, the module folder). Raises ScaffoldError. */
function checkClashes(root: string, t: TypeSpec): void {
  const taken = schemaNames(root);
  const wanted = [
    t.name,
    `${t.name}Connection`,
    `${t.name}Edge`,
    ...t.fields.flatMap((f) => (f.kind === 'enum' ? [f.enumName] : [])),
    `Query.${t.many}`,
    `Query.${t.one}`,
    ...['create', 'update', 'delete'].map((v) => `Mutation.${v}${t.name}`),
    ...t.fields.flatMap((f) => (f.kind === 'ref' ? [`${f.target}.${listField(t, f, t.fields.filter((g) => g.kind === 'ref' && g.target === f.target).length)}`] : [])),
  ];
  const clash = wanted.filter((n) => taken.has(n));
  if (clash.length) throw new ScaffoldError(`${t.name} clashes with the existing schema: ${clash.join(', ')} already defined in schema/`);
  const migrations = readdirSync(join(root, 'migrations')).map((f) => readFileSync(join(root, 'migrations', f), 'utf8')).join('\n');
  if (new RegExp(`create table (if not exists )?${t.table}\\b`, 'i').test(migrations)) throw new ScaffoldError(`table ${t.table} already exists (migrations/)`);
  if (existsSync(join(root, MODULES, t.module))) throw new ScaffoldError(`src/modules/${t.module}/ already exists: ${t.name} looks scaffolded already, or the module name is taken`);
}

/** yyyymmddhhmmss: now (UTC), or a second after the newest migration when that is later. */
function nextMigrationTimestamp(root: string, now: Date): string {
  const stamps = readdirSync(join(root, 'migrations')).map((f) => /^Migration(\d{14})_/.exec(f)?.[1]).filter((s): s is string => !!s).sort();
  const fmt = (d: Date) => d.toISOString().replace(/\D/g, '').slice(0, 14);
  const newest = stamps.at(-1);
  if (!newest || fmt(now) > newest) return fmt(now);
  const n = newest.replace(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/, '$1-$2-$3T$4:$5:$6Z');
  return fmt(new Date(new Date(n).getTime() + 1000));
}

/** Every file of the module generated from `t`, by path relative to the root. */
function moduleFiles(t: TypeSpec, targets: Targets): Record<string, string> {
  const dir = `${MODULES}/${t.module}`;
  const queries = queriesFile(t);
  return {
    [`${dir}/${t.stem}.entity.ts`]: entityFile(t),
    [`${dir}/${t.stem}.service.ts`]: serviceFile(t, targets),
    [`${dir}/loaders.ts`]: loadersFile(t, targets),
    ...(queries ? { [`${dir}/${t.module}.queries.ts`]: queries } : {}),
    [`${dir}/resolvers.ts`]: resolversFile(t, targets),
    [`${dir}/module.ts`]: moduleFile(t, targets),
    [`${dir}/index.ts`]: indexFile(t),
    [`${dir}/mappers.json`]: mappersFile(t),
    [`schema/${t.module}.graphql`]: sdlFile(t),
  };
}

const recordFile = (t: TypeSpec) => `${MODULES}/${t.module}/scaffold.json`;
function recorded(t: TypeSpec, fields: string[], options: SpecOptions, files: Record<string, string>): string {
  const r: Recorded = { type: t.name, fields, options, files: Object.fromEntries(Object.entries(files).map(([f, text]) => [f, sha(text)])) };
  return `${JSON.stringify(r, null, 2)}\n`;
}

/** Writes new files (never over an existing one) and replaces or deletes the given ones, after every check passed. */
function commit(root: string, create: Record<string, string>, replace: Record<string, string>, remove: string[]): void {
  for (const [file, text] of Object.entries(create)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text, { flag: 'wx' }); // wx: fail rather than overwrite, even in a race
  }
  for (const [file, text] of Object.entries(replace)) writeFileSync(join(root, file), text);
  for (const file of remove) rmSync(join(root, file), { force: true });
}

export interface CreateOptions extends SpecOptions {
  readonly now?: Date;
}

/** `npm run scaffold`: the module of a new type, as new files. Raises ScaffoldError (nothing written). */
export function scaffold(root: string, typeName: string | undefined, fields: readonly string[], opts: CreateOptions = {}): ScaffoldResult {
  const { now, ...options } = opts;
  const t = parseSpec(typeName, fields, options);
  checkClashes(root, t);
  const targets = resolveTargets(root, t);
  const stamp = nextMigrationTimestamp(root, now ?? new Date());
  const files = moduleFiles(t, targets);
  const all = { ...files, [recordFile(t)]: recorded(t, [...fields], definedOptions(options), files), [`migrations/Migration${stamp}_${t.table}.ts`]: migrationFile(t, stamp, targets) };
  const existing = Object.keys(all).filter((f) => existsSync(join(root, f)));
  if (existing.length) throw new ScaffoldError(`refusing to overwrite ${existing.join(', ')}`);
  commit(root, all, {}, []);
  return { created: Object.keys(all), changed: [], deleted: [] };
}

const definedOptions = (o: SpecOptions): SpecOptions => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as SpecOptions;

/** The scaffolded type named `typeName`, from its scaffold.json. Raises ScaffoldError. */
function load(root: string, typeName: string | undefined): { t: TypeSpec; record: Recorded; file: string } {
  if (!typeName) throw new ScaffoldError('name the type: npm run scaffold:field -- <Type> <field> | --drop <field>; npm run scaffold:remove -- <Type>');
  for (const module of existsSync(join(root, MODULES)) ? readdirSync(join(root, MODULES)) : []) {
    const file = `${MODULES}/${module}/scaffold.json`;
    if (!existsSync(join(root, file))) continue;
    const record = JSON.parse(readFileSync(join(root, file), 'utf8')) as Recorded;
    if (record.type === typeName) return { t: parseSpec(record.type, record.fields, record.options), record, file };
  }
  throw new ScaffoldError(`${typeName} was not written by the scaffold (no src/modules/*/scaffold.json names it): change its module by hand`);
}

/** Files of the module changed since the scaffold wrote them. */
function editedSince(root: string, record: Recorded): string[] {
  return Object.entries(record.files).filter(([file, hash]) => existsSync(join(root, file)) && sha(readFileSync(join(root, file), 'utf8')) !== hash).map(([file]) => file);
}

/** `--default` for a required field added to a table that may hold rows: the SQL literal its rows take. Raises ScaffoldError. */
function fillLiteral(f: FieldSpec, value: string | undefined): string | undefined {
  if (f.optional) {
    if (value !== undefined) throw new ScaffoldError(`--default is for a required field; ${f.name} is optional (existing rows get null)`);
    return undefined;
  }
  if (f.kind === 'ref') throw new ScaffoldError(`a reference added later must be optional (${f.name}:ref:${f.target}?): existing rows point at nothing yet`);
  if (f.unique) throw new ScaffoldError(`a unique field added later must be optional (${f.source}?): existing rows cannot share one value`);
  if (value === undefined) throw new ScaffoldError(`${f.name} is required: pass --default <value> for the rows that exist already, or add it as optional (${f.source}?)`);
  if (/[`\\$]/.test(value)) throw new ScaffoldError(`--default must not contain \`, \\ or $`);
  const bad = () => new ScaffoldError(`--default ${value} is not a valid ${f.kind === 'enum' ? `value of ${f.values.join(', ')}` : f.type}`);
  if (f.kind === 'enum') {
    if (!f.values.includes(value)) throw bad();
    return `'${value}'`;
  }
  switch (f.type) {
    case 'int':
      if (!/^-?\d{1,9}$/.test(value)) throw bad();
      return value;
    case 'float':
      if (!Number.isFinite(Number(value)) || value.trim() === '') throw bad();
      return String(Number(value));
    case 'boolean':
      if (value !== 'true' && value !== 'false') throw bad();
      return value;
    case 'date':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) throw bad();
      return `'${value}'`;
    case 'datetime':
      if (Number.isNaN(Date.parse(value))) throw bad();
      return `'${new Date(value).toISOString()}'`;
    default: {
      const max = SCALARS[f.type].max ?? 200;
      if (value.trim().length === 0 || value.length > max || value.includes('\u0000')) throw bad();
      return `'${value.replaceAll("'", "''")}'`;
    }
  }
}

export interface FieldOptions {
  readonly drop?: string | undefined;
  readonly default?: string | undefined;
  /** Regenerate files changed since the scaffold wrote them (their changes are lost). */
  readonly force?: boolean;
  readonly now?: Date;
}

/**
 * `npm run scaffold:field`: adds `field` to (or, with `drop`, drops a field from) a scaffolded type.
 * Regenerates its module's files and SDL from scaffold.json and writes the migration. Raises ScaffoldError.
 */
export function scaffoldField(root: string, typeName: string | undefined, field: string | undefined, opts: FieldOptions = {}): ScaffoldResult {
  const { t: before, record, file } = load(root, typeName);
  let fields: string[];
  let migration: [string, string];
  const stamp = nextMigrationTimestamp(root, opts.now ?? new Date());
  if (opts.drop !== undefined) {
    if (field !== undefined) throw new ScaffoldError('give either a field to add or --drop <field>, not both');
    const gone = before.fields.find((f) => f.name === opts.drop);
    if (!gone) throw new ScaffoldError(`${before.name} has no field "${opts.drop}" (its fields: ${before.fields.map((f) => f.name).join(', ')})`);
    if (before.order.field === gone.name) throw new ScaffoldError(`${before.name} is ordered by ${gone.name}: it cannot be dropped`);
    if (before.fields.length === 1) throw new ScaffoldError(`${gone.name} is ${before.name}'s only field: remove the type instead (npm run scaffold:remove -- ${before.name})`);
    fields = record.fields.filter((s) => parseField(before.name, s).name !== gone.name);
    migration = [`migrations/Migration${stamp}_${before.table}_drop_${gone.column}.ts`, dropFieldMigrationFile(before, gone, stamp)];
  } else {
    if (!field) throw new ScaffoldError(`name the field to add: npm run scaffold:field -- ${before.name} <field> [--default <value>], or --drop <field>`);
    const added = parseField(before.name, field);
    if (before.fields.some((f) => f.name === added.name || f.column === added.column)) throw new ScaffoldError(`${before.name} has a field "${added.name}" already`);
    fields = [...record.fields, field];
    const after = parseSpec(before.name, fields, record.options);
    const fill = fillLiteral(added, opts.default);
    const taken = schemaNames(root, `${before.module}.graphql`);
    const clash = [...(added.kind === 'enum' ? [added.enumName] : []), ...(added.kind === 'ref' ? [`${added.target}.${listField(after, added, after.fields.filter((g) => g.kind === 'ref' && g.target === added.target).length)}`] : [])].filter((n) => taken.has(n));
    if (clash.length) throw new ScaffoldError(`${added.name} clashes with the existing schema: ${clash.join(', ')}`);
    migration = [`migrations/Migration${stamp}_${before.table}_add_${added.column}.ts`, addFieldMigrationFile(after, added, stamp, resolveTargets(root, after), fill)];
  }
  if (opts.default !== undefined && opts.drop !== undefined) throw new ScaffoldError('--default goes with a field to add');
  const after = parseSpec(before.name, fields, record.options);
  const edited = editedSince(root, record);
  if (edited.length && !opts.force) {
    throw new ScaffoldError(`changed since the scaffold wrote them: ${edited.join(', ')}. Make the change there by hand (and write the migration: ${migration[0]} is what the scaffold would write), or pass --force to regenerate them (your changes to them are lost)`);
  }
  const files = moduleFiles(after, resolveTargets(root, after));
  const previous = Object.keys(record.files);
  const create = Object.fromEntries(Object.entries(files).filter(([f]) => !existsSync(join(root, f))));
  const replace = Object.fromEntries(Object.entries(files).filter(([f, text]) => existsSync(join(root, f)) && readFileSync(join(root, f), 'utf8') !== text));
  const remove = previous.filter((f) => !(f in files));
  if (existsSync(join(root, migration[0]))) throw new ScaffoldError(`refusing to overwrite ${migration[0]}`);
  commit(root, { ...create, [migration[0]]: migration[1] }, { ...replace, [file]: recorded(after, fields, record.options, files) }, remove);
  return { created: [...Object.keys(create), migration[0]], changed: [...Object.keys(replace), file], deleted: remove };
}

/** `npm run scaffold:remove`: deletes a scaffolded type's module and SDL, and writes the migration dropping its table. Raises ScaffoldError. */
export function scaffoldRemove(root: string, typeName: string | undefined, opts: { now?: Date } = {}): ScaffoldResult {
  const { t, record, file } = load(root, typeName);
  const users = readdirSync(join(root, MODULES))
    .filter((m) => m !== t.module)
    .filter((m) => readdirSync(join(root, MODULES, m)).some((f) => f.endsWith('.ts') && readFileSync(join(root, MODULES, m, f), 'utf8').includes(`'../${t.module}/index.ts'`)));
  if (users.length) throw new ScaffoldError(`${t.name} is used by ${users.map((m) => `src/modules/${m}`).join(', ')}: remove or change those first`);
  const stamp = nextMigrationTimestamp(root, opts.now ?? new Date());
  const migration = `migrations/Migration${stamp}_drop_${t.table}.ts`;
  const dir = `${MODULES}/${t.module}`;
  const moduleFilesNow = readdirSync(join(root, dir)).map((f) => `${dir}/${f}`);
  const remove = [...new Set([...moduleFilesNow, ...Object.keys(record.files), file])];
  commit(root, { [migration]: dropTableMigrationFile(t, stamp) }, {}, remove);
  rmSync(join(root, dir), { recursive: true, force: true });
  return { created: [migration], changed: [], deleted: remove.filter((f) => !f.startsWith(`${dir}/`)).concat(`${dir}/`) };
}

interface Argv {
  root: string;
  positional: string[];
  options: Record<string, string | true>;
}

/** `argv` without node and the script: positional arguments and `--name value` / `--flag` options. Raises ScaffoldError. */
export function parseArgv(argv: readonly string[], valued: readonly string[], flags: readonly string[] = []): Argv {
  const positional: string[] = [];
  const options: Record<string, string | true> = {};
  let root = process.cwd();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const name = a.slice(2);
    if (name === 'root' || valued.includes(name)) {
      const v = argv[++i];
      if (v === undefined) throw new ScaffoldError(`${a} needs a value`);
      if (name === 'root') root = resolve(v);
      else options[name] = v;
    } else if (flags.includes(name)) options[name] = true;
    else throw new ScaffoldError(`unknown option ${a} (known: ${[...valued, ...flags, 'root'].map((o) => `--${o}`).join(', ')})`);
  }
  return { root, positional, options };
}

const USAGE = {
  scaffold: `usage: npm run scaffold -- <Type> <field>... [options]
  fields:  name:type (string, text, int, float, boolean, datetime, date), name:type? (optional),
           name:enum:A,B,C, name:string:unique (unique in the organization), name:ref:Type (a reference)
  options: --plural <Plural>  --read-role MEMBER|ADMIN|OWNER  --write-role MEMBER|ADMIN|OWNER
           --order <field> | --order -<field> (descending; default: createdAt)  --root <dir>
  e.g.     npm run scaffold -- Invoice amount:int dueDate:datetime number:string:unique status:enum:DRAFT,SENT,PAID project:ref:Project --write-role ADMIN --order -dueDate`,
  field: `usage: npm run scaffold:field -- <Type> <field> [--default <value>] [--force]
       npm run scaffold:field -- <Type> --drop <field> [--force]
  A required field added later needs --default (the value existing rows take); --force regenerates
  module files you changed since the scaffold wrote them.`,
  remove: `usage: npm run scaffold:remove -- <Type>
  Deletes the type's module and SDL and writes a migration that drops its table.`,
};

function report(r: ScaffoldResult, next: string): string {
  const list = (title: string, files: string[]) => (files.length ? [`${title}:`, ...files.map((f) => `  ${f}`)] : []);
  return [...list('created', r.created), ...list('changed', r.changed), ...list('deleted', r.deleted), `next: ${next}`].join('\n');
}

const NEXT = 'npm run codegen && npm run typecheck && npm test (README.md, "Add your own type")';

export function main(command: keyof typeof USAGE, argv: readonly string[]): number {
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(`${USAGE[command]}\n`);
      return 0;
    }
    let result: ScaffoldResult;
    if (command === 'scaffold') {
      const { root, positional, options } = parseArgv(argv, ['plural', 'read-role', 'write-role', 'order']);
      const [typeName, ...fields] = positional;
      if (!typeName) throw new ScaffoldError(USAGE.scaffold);
      result = scaffold(root, typeName, fields, { plural: str(options.plural), readRole: str(options['read-role']), writeRole: str(options['write-role']), order: str(options.order) });
    } else if (command === 'field') {
      const { root, positional, options } = parseArgv(argv, ['drop', 'default'], ['force']);
      const [typeName, field, ...rest] = positional;
      if (rest.length) throw new ScaffoldError(`one field at a time (got ${[field, ...rest].join(' ')})`);
      result = scaffoldField(root, typeName, field, { drop: str(options.drop), default: str(options.default), force: options.force === true });
    } else {
      const { root, positional } = parseArgv(argv, []);
      if (positional.length !== 1) throw new ScaffoldError(USAGE.remove);
      result = scaffoldRemove(root, positional[0]);
    }
    process.stdout.write(`${report(result, NEXT)}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ScaffoldError)) throw err;
    process.stderr.write(`scaffold: ${err.message}\n`);
    return 1;
  }
}

const str = (v: string | true | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const command = (process.argv[2] === 'field' || process.argv[2] === 'remove' ? process.argv[2] : 'scaffold') as keyof typeof USAGE;
  process.exitCode = main(command, command === 'scaffold' ? process.argv.slice(2) : process.argv.slice(3));
}
