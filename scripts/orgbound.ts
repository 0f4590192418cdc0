/**
 * The operator CLI: `npm run orgbound -- <command>` (README "Operating orgbound"). Connects as the
 * database owner (DATABASE_URL, or the embedded PostgreSQL of `npm start`), so it sees every tenant:
 * keep it to operators. Results go to stdout, progress and errors to stderr; exit 1 on failure.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { countOrganizationEvents, exportEventBatch, findUserId, listOrganizationSummaries, organizationExists } from '../src/app/operations/operator.queries.ts';
import { recordSecurityEvent } from '../src/platform/security-log/security-events.queries.ts';
import { revokeSessions } from '../src/modules/sessions/sessions.queries.ts';
import { RETIRED_KEY_VERIFY_SECONDS, rotateKeyAsOperator, UUID, withOwnerOrm } from './lib/operator.ts';

const HELP = `usage: npm run orgbound -- <command> [options]

commands:
  orgs                                  list organizations: id, tier, member count, name (tab-separated)
  revoke-sessions --user <id|email>     revoke every live session of a user (records SESSIONS_REVOKED_ALL)
  rotate-key [--org <id>]               rotate the global signing key, or an organization's dedicated key
  export-audit --org <id> [--since ISO] an organization's security events as JSON lines, oldest first
  help                                  this text

Connects as the database owner: DATABASE_URL, or the embedded PostgreSQL of npm start when unset.
`;

const EXPORT_BATCH = 500;

class UsageError extends Error {}

function write(line: string): Promise<void> {
  // Respect back-pressure: an export of millions of rows never piles up in memory.
  return process.stdout.write(line) ? Promise.resolve() : once(process.stdout, 'drain').then(() => undefined);
}

async function listOrgs(orm: MikroORM): Promise<void> {
  const orgs = await listOrganizationSummaries(orm.em.fork());
  for (const o of orgs) await write(`${o.id}\t${o.tier}\t${o.members}\t${o.name}\n`);
  process.stderr.write(`${orgs.length} organization${orgs.length === 1 ? '' : 's'}\n`);
}

async function revokeUserSessions(orm: MikroORM, user: string | undefined): Promise<void> {
  if (!user) throw new UsageError('revoke-sessions needs --user <id|email>');
  const count = await orm.em.fork().transactional(async (tx) => {
    const userId = await findUserId(tx, user);
    if (!userId) throw new Error(`no user ${JSON.stringify(user)}`);
    const now = new Date();
    const n = await revokeSessions(tx, { userId }, 'REVOKED_BY_OPERATOR', now);
    await recordSecurityEvent(tx, { type: 'SESSIONS_REVOKED_ALL', userId, sessionId: null, orgId: null, detail: { count: n, by: 'operator' } }, now);
    return n;
  });
  await write(`revoked ${count} session${count === 1 ? '' : 's'}\n`);
}

async function rotateKey(orm: MikroORM, config: Parameters<typeof rotateKeyAsOperator>[1], org: string | undefined): Promise<void> {
  const orgId = org ?? null;
  if (orgId !== null && !UUID.test(orgId)) throw new UsageError(`--org must be an organization id (a UUID), got ${JSON.stringify(orgId)}`);
  process.stderr.write(`rotating the ${orgId ? `signing key of organization ${orgId}` : 'global signing key'}...\n`);
  const result = await rotateKeyAsOperator(orm, config, orgId);
  await write(`new kid ${result.active}; ${result.retired ? `${result.retired} retired, verifying for ${RETIRED_KEY_VERIFY_SECONDS} s` : 'no previous key'}\n`);
}

async function exportAudit(orm: MikroORM, org: string | undefined, sinceText: string | undefined): Promise<void> {
  if (!org || !UUID.test(org)) throw new UsageError('export-audit needs --org <organization id>');
  const since = sinceText === undefined ? null : new Date(sinceText);
  if (since && Number.isNaN(since.getTime())) throw new UsageError(`--since must be an ISO-8601 time, got ${JSON.stringify(sinceText)}`);
  const em = orm.em.fork();
  if (!(await organizationExists(em, org))) throw new Error(`no organization ${org}`);
  const total = await countOrganizationEvents(em, org, since);
  let done = 0;
  let after: { at: Date; id: string } | null = null;
  for (;;) {
    const rows = await exportEventBatch(em, org, { since, after, limit: EXPORT_BATCH });
    for (const r of rows) {
      const at = r.at instanceof Date ? r.at : new Date(r.at);
      await write(`${JSON.stringify({ id: r.id, at: at.toISOString(), type: r.type, actorId: r.userId, sessionId: r.sessionId, organizationId: r.orgId, detail: r.detail })}\n`);
    }
    done += rows.length;
    process.stderr.write(`exported ${done}/${total} events\n`);
    const last = rows.at(-1);
    if (!last || rows.length < EXPORT_BATCH) break;
    after = { at: last.at instanceof Date ? last.at : new Date(last.at), id: last.id };
  }
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { user: { type: 'string' }, org: { type: 'string' }, since: { type: 'string' } },
  });
  const [command = 'help', ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  if (command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const commands: Record<string, (orm: MikroORM, config: Parameters<typeof rotateKeyAsOperator>[1]) => Promise<void>> = {
    orgs: (orm) => listOrgs(orm),
    'revoke-sessions': (orm) => revokeUserSessions(orm, values.user),
    'rotate-key': (orm, config) => rotateKey(orm, config, values.org),
    'export-audit': (orm) => exportAudit(orm, values.org, values.since),
  };
  const run = commands[command];
  if (!run) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  await withOwnerOrm(run);
}

main().catch((err: unknown) => {
  process.stderr.write(`orgbound: ${err instanceof Error ? err.message : String(err)}\n`);
  if (err instanceof UsageError) process.stderr.write(HELP);
  process.exit(1);
});
