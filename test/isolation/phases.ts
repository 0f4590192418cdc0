/**
 * The prover's phases. Each returns the problems it met; prover.test.ts runs them in this order:
 * reads (B's ids, A's ids, hostile values), mutations with B's ids, mutations without ids, mutations
 * with A's own ids, reads again, and last the mutations that end sessions or change A for good.
 */
import { getNamedType, isInputObjectType } from 'graphql';
import { SIGN_IN_DEVICE } from '../support/sessions.ts';
import { LATE_MUTATIONS } from './allow-lists.ts';
import { idPositions, positionOf, withValueAt, type IdPosition } from './arguments.ts';
import { observable, succeeded } from './client.ts';
import type { RootField } from './operations.ts';
import { sampleIds, type TenantFacts } from './pools.ts';
import { lookalike, shapeOf, type Actor, type Prover } from './prover.ts';

/** Ids of each kind sent to every ID position: B's (the attack) and A's (the control). */
export const IDS_PER_KIND = 3;

export const isLate = (root: RootField) => root.coordinate in LATE_MUTATIONS;
export const positionsOf = (root: RootField): IdPosition[] => idPositions(root.coordinate, root.field.args);

/** B's ids to attack with: a few of every kind, and the first of each kind in upper case (parseId lowercases). */
export function attackIds(b: TenantFacts): { kind: string; id: string }[] {
  const sample = sampleIds(b.ids, IDS_PER_KIND);
  const upper = sampleIds(b.ids, 1).map(({ kind, id }) => ({ kind: `${kind} in upper case`, id: id.toUpperCase() }));
  return [...sample, ...upper];
}

/**
 * Every ID position of `roots` with each of B's ids, as each actor. Besides the scan, an attack must
 * not succeed (a `deleteTask` that answers `true` leaks no text but found B's task), and must answer
 * exactly as the same call with an id of the same form that names nothing: anything else tells the
 * caller that B's object exists.
 */
export async function attackWithIdsOfB(prover: Prover, actors: readonly Actor[], roots: readonly RootField[], token?: (actor: Actor) => Promise<string>): Promise<string[]> {
  const problems: string[] = [];
  const ids = attackIds(prover.setup.bFacts);
  for (const root of roots) {
    for (const actor of actors) {
      for (const position of positionsOf(root)) {
        const baselines = new Map<string, string>();
        for (const { kind, id } of ids) {
          const shape = shapeOf(id);
          if (!baselines.has(shape)) {
            const base = await prover.call(actor, root, (c) => withValueAt(prover.canonicalArgs(root, c), position, lookalike(id)), `${position.path.join('.')}=<an id of nothing>`, await token?.(actor));
            problems.push(...base.problems);
            baselines.set(shape, base.ex ? observable(base.ex) : '');
          }
          const r = await prover.call(actor, root, (c) => withValueAt(prover.canonicalArgs(root, c), position, id), `${position.path.join('.')}=<${kind} of B>`, await token?.(actor));
          problems.push(...r.problems);
          if (r.ex && succeeded(r.ex, root.field.name)) problems.push(`${r.ex.label}: SUCCEEDED with B's id (it found B's object): ${r.ex.text.slice(0, 400)}`);
          if (r.ex && observable(r.ex) !== baselines.get(shape)) {
            problems.push(`${r.ex.label}: answers differently than for an id that exists nowhere (an existence oracle):\n  B:       ${observable(r.ex)}\n  nothing: ${baselines.get(shape)}`);
          }
        }
      }
    }
  }
  return problems;
}

/**
 * A's ids an actor may use as a control: never an acting principal's own user or current session.
 * A few of each kind for queries (each is called with all of them); every one for mutations, which
 * stop at the first success (the one that works may be any: the owner's own other session, say).
 */
function controlIds(prover: Prover, actors: readonly Actor[], root: RootField): { kind: string; id: string }[] {
  const protectedIds = new Set(actors.flatMap((a) => [a.principal.userId, a.principal.sessionId]));
  const perKind = root.operation === 'query' ? IDS_PER_KIND : Infinity;
  return sampleIds(prover.setup.aFacts.ids, perKind).filter(({ id }) => !protectedIds.has(id));
}

/**
 * The positive control: every ID position with A's own ids. A query is called with all of them and
 * must answer with data at least once for each actor; a mutation stops at its first success.
 */
export async function callWithIdsOfA(prover: Prover, actors: readonly Actor[], roots: readonly RootField[]): Promise<string[]> {
  const problems: string[] = [];
  for (const root of roots) {
    const ids = controlIds(prover, actors, root);
    for (const actor of actors) {
      let answered = false;
      for (const position of positionsOf(root)) {
        for (const { kind, id } of ids) {
          if (answered && root.operation === 'mutation') break;
          const r = await prover.call(actor, root, (c) => withValueAt(prover.canonicalArgs(root, c), position, id), `${position.path.join('.')}=<${kind} of A>`);
          problems.push(...r.problems);
          answered ||= r.ex !== null && succeeded(r.ex, root.field.name);
        }
      }
      if (!answered && root.operation === 'query') problems.push(`${actor.name} ${root.coordinate}: no call with A's own ids answered with data (positive control)`);
    }
  }
  return problems;
}

/** Each top-level argument's hostile values (B's cursors, B's invitation secrets), one call each. */
function hostileVariants(prover: Prover, actor: Actor, root: RootField): { what: string; value: unknown; arg: string }[] {
  const ctx = prover.context(actor);
  return root.field.args.flatMap((arg) => {
    if (isInputObjectType(getNamedType(arg.type))) return [];
    const position = positionOf(`${root.coordinate}.${arg.name}`, arg.type);
    const hostile = position.kind === 'generated' ? (position.generator.hostile?.(ctx) ?? []) : [];
    return hostile.map((value, i) => ({ what: `${arg.name}=<B's value ${i + 1}>`, value, arg: arg.name }));
  });
}

/** Each root field with its canonical arguments, then with each hostile value, as each actor. */
export async function callPlainAndHostile(prover: Prover, actors: readonly Actor[], roots: readonly RootField[]): Promise<string[]> {
  const problems: string[] = [];
  for (const root of roots) {
    for (const actor of actors) {
      problems.push(...(await prover.call(actor, root, (c) => prover.canonicalArgs(root, c), '')).problems);
      for (const { what, value, arg } of hostileVariants(prover, actor, root)) {
        problems.push(...(await prover.call(actor, root, (c) => ({ ...prover.canonicalArgs(root, c), [arg]: value }), what)).problems);
      }
    }
  }
  return problems;
}

/** A new session of the actor in A's org: for calls that end the session they are made on. */
async function freshSession(prover: Prover, actor: Actor): Promise<string> {
  const { api, a } = prover.setup;
  const r = await api.gql(SIGN_IN_DEVICE, { e: actor.principal.email, p: actor.principal.password, d: `${a.marker} throwaway`, o: a.orgId });
  if (r.errors) throw new Error(`signIn for a throwaway session of ${actor.name}: ${JSON.stringify(r.errors)}`);
  return r.data.signIn.accessToken;
}

/**
 * LATE_MUTATIONS in their order, each call on a session of its own (B's ids too, when they take any).
 * The sessions are all opened first: once A's tier is raised, entering A needs MFA.
 */
export async function callLate(prover: Prover, actors: readonly Actor[], roots: readonly RootField[]): Promise<string[]> {
  const problems: string[] = [];
  const order = Object.keys(LATE_MUTATIONS);
  const late = [...roots].sort((x, y) => order.indexOf(x.coordinate) - order.indexOf(y.coordinate));
  const sessions = new Map<string, string>();
  for (const root of late) {
    for (const actor of actors) for (const use of ['attack', 'plain']) sessions.set(`${root.coordinate} ${actor.name} ${use}`, await freshSession(prover, actor));
  }
  const session = (root: RootField, actor: Actor, use: string) => sessions.get(`${root.coordinate} ${actor.name} ${use}`)!;
  for (const root of late) {
    problems.push(...(await attackWithIdsOfB(prover, actors, [root], async (actor) => session(root, actor, 'attack'))));
    for (const actor of actors) {
      problems.push(...(await prover.call(actor, root, (c) => prover.canonicalArgs(root, c), 'on a session of its own', session(root, actor, 'plain'))).problems);
    }
  }
  return problems;
}

/**
 * A sibling that succeeds at its root and fails below it, in a nullable position, so that GraphQL
 * would keep every root field's data: a switch into another org of the actor, whose payload's
 * `members` is not readable (it is not the bearer's active org: FORBIDDEN). `otherOrgId` is an org
 * the actor belongs to besides A.
 */
export const failingSibling = (otherOrgId: string) => `probe_fails: switchOrganization(organizationId: "${otherOrgId}") { accessToken activeOrganization { id members { role } } }`;

/** An org of the actor's own besides A, for failingSibling. */
async function otherOrgOf(prover: Prover, actor: Actor): Promise<string> {
  const r = await prover.setup.api.gql(`mutation($n: String!) { createOrganization(name: $n) { id } }`, { n: `${prover.setup.a.marker} other org of ${actor.name}` }, actor.principal.token);
  if (r.errors) throw new Error(`createOrganization for ${actor.name}: ${JSON.stringify(r.errors)}`);
  return r.data.createOrganization.id;
}

/**
 * What a rolled-back operation may still have written, by design, apart from the request
 * (src/api/graphql/apollo.ts): security events of failures, and sessions revoked by reuse detection or
 * because a bound session lost its org. Everything else of the caller must be byte-identical.
 */
const WRITTEN_APART = /,(SIGN_IN_FAILED|MFA_FAILED|REFRESH_TOKEN_REUSED|CROSS_TENANT_ACCESS_DENIED),|,(REFRESH_TOKEN_REUSED|MEMBER_REMOVED),/;

/** The rows of `after` that differ from `before`, table by table, except what may be written apart. */
export function stateChanges(before: Record<string, string[]>, after: Record<string, string[]>): string[] {
  const changes: string[] = [];
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const was = new Set(before[table] ?? []);
    const now = new Set(after[table] ?? []);
    for (const row of now) if (!was.has(row) && !WRITTEN_APART.test(row)) changes.push(`${table}: + ${row.slice(0, 300)}`);
    for (const row of was) if (!now.has(row) && ![...now].some((r) => WRITTEN_APART.test(r) && r.split(',')[0] === row.split(',')[0])) changes.push(`${table}: - ${row.slice(0, 300)}`);
  }
  return changes;
}

/**
 * Issue 15, the class: every mutation of the schema, with its valid arguments and followed by a
 * sibling field that fails, as each actor. The chosen semantics is all or nothing: the response
 * carries `data: null` (so nothing in it depends on a write that did not commit), and the caller's
 * rows, accounts, sessions and refresh tokens, like B's, are exactly as before. A mutation added
 * later is covered without touching this file.
 */
export async function callWithFailingSibling(prover: Prover, actors: readonly Actor[], roots: readonly RootField[], snapshotA: () => Promise<Record<string, string[]>>): Promise<string[]> {
  const problems: string[] = [];
  const siblings = new Map<Actor, string>();
  for (const actor of actors) siblings.set(actor, failingSibling(await otherOrgOf(prover, actor)));
  for (const root of roots) {
    for (const actor of actors) {
      const before = await snapshotA();
      const r = await prover.call(actor, root, (c) => prover.canonicalArgs(root, c), 'followed by a field that fails', undefined, siblings.get(actor));
      problems.push(...r.problems);
      if (r.ex) {
        if (!r.ex.body.errors?.length) problems.push(`${r.ex.label}: no error although a field failed: ${r.ex.text.slice(0, 300)}`);
        if (r.ex.body.data !== null) problems.push(`${r.ex.label}: answered data of an operation that did not commit: ${r.ex.text.slice(0, 400)}`);
      }
      for (const change of stateChanges(before, await snapshotA())) problems.push(`${actor.name} ${root.coordinate} followed by a failing field changed the caller's state: ${change}`);
    }
  }
  return problems;
}
