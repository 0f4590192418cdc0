/**
 * What the operator scripts share: the owner connection (DATABASE_URL, or the embedded PostgreSQL of
 * `npm start` when it is unset) and the operator's key rotation.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { rotateSigningKey } from '../../src/platform/keys/key-ring.ts';
import { SigningKey } from '../../src/platform/keys/signing-key.entity.ts';
import { loadConfig, type Config } from '../../src/app/config.ts';
import { startEmbeddedPostgres } from '../../src/app/operations/embedded.ts';
import { initModulesORM } from '../../src/app/modules.ts';
import { provisionDatabase } from '../../src/app/operations/provision.ts';
import { runApart } from '../../src/db/request-transaction.ts';
import { recordSecurityEvent } from '../../src/platform/security-log/security-events.queries.ts';
import { TIER_FLOORS } from '../../src/core/policy/session-policy.ts';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Seconds a retired key keeps verifying: one STANDARD access-token lifetime plus a minute. */
export const RETIRED_KEY_VERIFY_SECONDS = TIER_FLOORS.STANDARD.accessTokenTtlSeconds + 60;

/** Runs `work` with an ORM on the owner connection (migrated and provisioned), then closes everything. */
export async function withOwnerOrm<T>(work: (orm: MikroORM, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = config.databaseUrl ? { url: config.databaseUrl, stop: async () => undefined } : await startEmbeddedPostgres({ ...config.embedded, database: 'orgbound' });
  try {
    await provisionDatabase({ ownerUrl: db.url, appUrl: config.appDatabaseUrl, appPassword: config.appDbPassword });
    const orm = await initModulesORM(db.url, 1);
    try {
      return await work(orm, config);
    } finally {
      await orm.close(true);
    }
  } finally {
    await db.stop();
  }
}

/**
 * Rotates the global signing key (orgId null) or an org's dedicated key, and records
 * SIGNING_KEY_ROTATED (by: operator) in the same transaction. Raises Error for an org without a
 * dedicated key.
 */
export async function rotateKeyAsOperator(orm: MikroORM, config: Config, orgId: string | null): Promise<{ active: string; retired: string | null }> {
  return runApart(orm, { orgId, userId: null }, async ({ em: tx }) => {
    if (orgId && !(await tx.findOne(SigningKey, { ownerOrgId: orgId, retiredAt: null }))) {
      throw new Error(`organization ${orgId} has no dedicated signing key (unknown org, or one that signs with the global key)`);
    }
    const now = new Date();
    const rotated = await rotateSigningKey(tx, config.kek, orgId, RETIRED_KEY_VERIFY_SECONDS, now);
    await recordSecurityEvent(tx, { type: 'SIGNING_KEY_ROTATED', userId: null, sessionId: null, orgId, detail: { ...rotated, by: 'operator' } }, now);
    return rotated;
  });
}
