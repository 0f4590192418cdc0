/**
 * Operator key rotation: `npm run keys:rotate` rotates the global signing key,
 * `npm run keys:rotate -- --org <organization id>` an organization's dedicated key. The retired key
 * keeps verifying for one STANDARD access-token lifetime plus a minute, so no live token breaks.
 * Uses DATABASE_URL, or the embedded PostgreSQL of `npm start` when it is unset.
 */
import { parseArgs } from 'node:util';
import { rotateSigningKey } from '../src/auth/keys/key-ring.ts';
import { SigningKey } from '../src/auth/signing-key.entity.ts';
import { loadConfig } from '../src/config.ts';
import { startEmbeddedPostgres } from '../src/db/embedded.ts';
import { initORM } from '../src/db/orm.ts';
import { provisionDatabase } from '../src/db/provision.ts';
import { setTenant } from '../src/db/request-transaction.ts';
import { recordSecurityEvent } from '../src/db/security-events.ts';
import { TIER_FLOORS } from '../src/policy/session-policy.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { org: { type: 'string' } } });
  const orgId = values.org ?? null;
  if (orgId !== null && !UUID.test(orgId)) throw new Error(`--org must be an organization id (a UUID), got ${JSON.stringify(orgId)}`);
  const config = loadConfig();
  const db = config.databaseUrl ? { url: config.databaseUrl, stop: async () => undefined } : await startEmbeddedPostgres({ ...config.embedded, database: 'orgbound' });
  try {
    await provisionDatabase({ ownerUrl: db.url, appUrl: config.appDatabaseUrl, appPassword: config.appDbPassword });
    const orm = await initORM(db.url, 1);
    try {
      process.stdout.write(`rotating the ${orgId ? `signing key of organization ${orgId}` : 'global signing key'}...\n`);
      const result = await orm.em.fork().transactional(async (tx) => {
        await setTenant(tx, { orgId, userId: null });
        if (orgId && !(await tx.findOne(SigningKey, { ownerOrgId: orgId, retiredAt: null }))) {
          throw new Error(`organization ${orgId} has no dedicated signing key (unknown org, or one that signs with the global key)`);
        }
        const now = new Date();
        const rotated = await rotateSigningKey(tx, config.kek, orgId, TIER_FLOORS.STANDARD.accessTokenTtlSeconds + 60, now);
        await recordSecurityEvent(tx, { type: 'SIGNING_KEY_ROTATED', userId: null, sessionId: null, orgId, detail: { ...rotated, by: 'operator' } }, now);
        return rotated;
      });
      process.stdout.write(`new kid ${result.active}; ${result.retired ? `${result.retired} retired, verifying for ${TIER_FLOORS.STANDARD.accessTokenTtlSeconds + 60} s` : 'no previous key'}\n`);
    } finally {
      await orm.close(true);
    }
  } finally {
    await db.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`keys:rotate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
