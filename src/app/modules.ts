import type { MikroORM } from '@mikro-orm/postgresql';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { initORM } from '../db/orm.ts';
import { PLATFORM_ENTITIES } from '../platform/entities.ts';
import type { ModuleDefinition } from '../platform/modules.ts';

export const MODULES_DIR = fileURLToPath(new URL('../modules', import.meta.url));
/** `.ts` when run from source (tsx), `.js` from the production build (dist/). */
const EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

let discovered: Promise<readonly ModuleDefinition[]> | undefined;

/**
 * Every module of the installation, in folder-name order: each folder of src/modules/ with a
 * module.ts whose default export is its definition, named like its folder. There is no central list:
 * a new module is found by its folder. Raises Error for a folder without a manifest or one that
 * names another module. Loaded once per process.
 */
export function discoverModules(): Promise<readonly ModuleDefinition[]> {
  return (discovered ??= load());
}

async function load(): Promise<readonly ModuleDefinition[]> {
  const names = readdirSync(MODULES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const modules: ModuleDefinition[] = [];
  for (const name of names) {
    const file = join(MODULES_DIR, name, `module${EXTENSION}`);
    if (!existsSync(file)) throw new Error(`orgbound: src/modules/${name} has no module${EXTENSION} (every folder of src/modules is a module)`);
    const definition = ((await import(pathToFileURL(file).href)) as { default?: ModuleDefinition }).default;
    if (!definition || definition.name !== name) throw new Error(`orgbound: src/modules/${name}/module${EXTENSION} must export default defineModule({ name: '${name}', ... })`);
    modules.push(definition);
  }
  return Object.freeze(modules);
}

/** Every entity schema: the platform's, then each module's. */
export function entitiesOf(modules: readonly ModuleDefinition[]) {
  return [...PLATFORM_ENTITIES, ...modules.flatMap((m) => m.entities ?? [])];
}

/** An ORM over every entity the discovered modules declare. */
export async function initModulesORM(clientUrl: string, poolMax?: number): Promise<MikroORM> {
  return initORM(clientUrl, { entities: entitiesOf(await discoverModules()), ...(poolMax !== undefined ? { poolMax } : {}) });
}
