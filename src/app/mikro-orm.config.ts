// Used by the MikroORM CLI (`npm run migration:create`): the owner connection.
import { defineConfig } from '@mikro-orm/postgresql';
import { ormOptions } from '../db/orm.ts';

export default defineConfig(ormOptions(process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:54329/orgbound'));
