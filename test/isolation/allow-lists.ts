/**
 * Everything the isolation prover deliberately does not treat the default way, each with its reason.
 * Most entries belong to a module and are declared in its manifest (ModuleDefinition.isolation: a
 * module's exceptions travel with it, and a new module brings its own); what is left here belongs
 * to the platform below the modules. The prover fails when an entry names something that no longer
 * exists (test/isolation/checks.ts `staleEntries`), so nothing here can quietly outlive what it excuses.
 */
import type { IsolationHooks } from '../../src/platform/modules.ts';
import { modules } from '../support/modules.ts';

type Reasons = Readonly<Record<string, string>>;

/** One kind of entry of every module's hooks, merged (a key declared twice is a mistake). */
function fromModules(pick: (hooks: IsolationHooks) => Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const m of modules) {
    for (const [key, value] of Object.entries(pick(m.isolation ?? {}) ?? {})) {
      if (key in merged) throw new Error(`isolation hooks: ${key} is declared by two modules (one is ${m.name})`);
      merged[key] = value;
    }
  }
  return merged;
}

/** Tables with an `org_id` column that have no MikroORM entity (so no tenant filter): RLS alone guards them. */
export const ENTITYLESS_TENANT_TABLES: Reasons = {
  security_events:
    'append-only log written by raw SQL in src/platform/security-log (the runtime role has INSERT and SELECT only); ' +
    'org_id is nullable for events without an org; RLS event_read/event_insert is its guard',
};

/**
 * Columns that name an organization outside a tenant table's `org_id`: each lives in an identity or
 * infrastructure table that is deliberately not tenant-owned.
 */
export const ORG_REFERENCE_COLUMNS: Reasons = {
  'signing_keys.owner_org_id': "a dedicated key's org; keys are global infrastructure read by the key ring, never through GraphQL",
  ...(fromModules((h) => h.orgReferenceColumns) as Reasons),
};

/**
 * Root fields whose shield rule is `allow` (no sign-in): the credential is an argument the operation
 * checks itself. Any other root field ruled `allow` fails the prover.
 */
export const PUBLIC_ROOT_FIELDS = fromModules((h) => h.publicRootFields) as Reasons;

/**
 * Mutations that end the caller's session or change tenant A for good. The prover runs them after
 * everything else, each on a session opened for it: those marked `last` (they end the actor's main
 * session as well) after the others.
 */
const late = fromModules((h) => h.lateMutations) as Readonly<Record<string, { why: string; last?: boolean }>>;
export const LATE_MUTATIONS: Reasons = Object.fromEntries(
  Object.entries(late)
    .sort(([, a], [, b]) => Number(a.last ?? false) - Number(b.last ?? false))
    .map(([k, v]) => [k, v.why]),
);

/**
 * Root fields that no call of the prover is expected to complete, with why: every other field must
 * succeed at least once (A's own ids, valid arguments), or a wall of errors could pass for isolation.
 */
export const NO_SUCCESS_EXPECTED = fromModules((h) => h.noSuccessExpected) as Reasons;

/**
 * Kinds of A's ids that no response of the API contains, so the positive control (A's responses show
 * A's data) does not look for them.
 */
export const NOT_RETURNED_KINDS: Reasons = {
  'signing_keys.id': 'only rotateSigningKey returns a kid, and only the one it just created',
  ...(fromModules((h) => h.notReturnedKinds) as Reasons),
};

/**
 * Root fields the fuzz never picks (the prover calls each of them): they change tenant A in ways the
 * fuzz could not recover from within a run.
 */
export const FUZZ_EXCLUDED = fromModules((h) => h.fuzzExcluded) as Reasons;
