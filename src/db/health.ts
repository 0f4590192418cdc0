import type { MikroORM } from '@mikro-orm/postgresql';
import { readdirSync } from 'node:fs';
import { MIGRATIONS_DIR } from './orm.ts';

/** Number of migration files this build ships. */
export const SHIPPED_MIGRATIONS = readdirSync(MIGRATIONS_DIR).filter((f) => /^Migration.*\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).length;

/** Readiness: the database answers and every shipped migration is applied. Touches no tenant table. */
export async function databaseIsReady(orm: MikroORM): Promise<boolean> {
  try {
    const rows = await orm.em.fork().execute<{ applied: number }[]>(`select count(*)::int as applied from mikro_orm_migrations`);
    return (rows[0]?.applied ?? 0) >= SHIPPED_MIGRATIONS;
  } catch {
    return false;
  }
}
