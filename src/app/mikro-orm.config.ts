// Used by the MikroORM CLI (`npm run migration:create`): the owner connection, the same variables as `npm start`.
import { defineConfig } from '@mikro-orm/postgresql';
import { ormOptions } from '../db/orm.ts';
import { loadConfig } from './config.ts';
import { discoverModules, entitiesOf } from './modules.ts';

const config = loadConfig();
const url = config.databaseUrl ?? `postgres://postgres:postgres@127.0.0.1:${config.embedded.port}/orgbound`;

export default defineConfig(ormOptions(url, { entities: entitiesOf(await discoverModules()), poolMax: 1 }));
