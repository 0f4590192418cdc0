/**
 * Operator key rotation: `npm run keys:rotate` rotates the global signing key,
 * `npm run keys:rotate -- --org <organization id>` an organization's dedicated key. The retired key
 * keeps verifying for one STANDARD access-token lifetime plus a minute, so no live token breaks.
 * Uses DATABASE_URL, or the embedded PostgreSQL of `npm start` when it is unset.
 * (`npm run orgbound -- rotate-key [--org <id>]` does the same.)
 */
import { parseArgs } from 'node:util';
import { RETIRED_KEY_VERIFY_SECONDS, rotateKeyAsOperator, UUID, withOwnerOrm } from './lib/operator.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { org: { type: 'string' } } });
  const orgId = values.org ?? null;
  if (orgId !== null && !UUID.test(orgId)) throw new Error(`--org must be an organization id (a UUID), got ${JSON.stringify(orgId)}`);
  await withOwnerOrm(async (orm, config) => {
    process.stdout.write(`rotating the ${orgId ? `signing key of organization ${orgId}` : 'global signing key'}...\n`);
    const result = await rotateKeyAsOperator(orm, config, orgId);
    process.stdout.write(`new kid ${result.active}; ${result.retired ? `${result.retired} retired, verifying for ${RETIRED_KEY_VERIFY_SECONDS} s` : 'no previous key'}\n`);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`keys:rotate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
