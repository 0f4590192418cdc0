import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { fileURLToPath } from 'node:url';
import { entities } from './entities.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

/** ORM options shared by the runtime (app role), the migrator (owner) and the CLI. */
export function ormOptions(clientUrl: string, poolMax = 10): Options {
  return {
    clientUrl,
    entities,
    extensions: [Migrator],
    // One EM fork per request, never the global one: the identity map is not tenant-aware (MikroORM #7084).
    allowGlobalContext: false,
    forceUtcTimezone: true,
    pool: { min: 0, max: poolMax },
    // Entities say their types explicitly (tsx emits no decorator metadata).
    discovery: { warnWhenNoEntities: true, requireEntitiesArray: true },
    migrations: {
      path: MIGRATIONS_DIR,
      pathTs: MIGRATIONS_DIR,
      glob: '!(*.d).{js,ts}',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
      silent: true,
    },
    preferTs: import.meta.url.endsWith('.ts'),
    debug: process.env.ORGBOUND_SQL_DEBUG === '1',
  };
}

export async function initORM(clientUrl: string, poolMax?: number): Promise<MikroORM> {
  return MikroORM.init(ormOptions(clientUrl, poolMax));
}
