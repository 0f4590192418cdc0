/**
 * Property-based fuzzing over the schema (issue 5): random root fields with random arguments (A's and
 * B's ids, random and hostile text) and random selections, sent as tenant A's OWNER and MEMBER. Every
 * response: no 5xx, no INTERNAL_SERVER_ERROR, no refused operation, nothing of B; no unhandled
 * rejection anywhere in the process (the API runs in it); B's rows unchanged at the end.
 *
 * FUZZ_RUNS (default 1000), FUZZ_SEED and FUZZ_PATH replay a run; `npm run fuzz -- --runs N --seed S`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { SIGN_IN_DEVICE } from '../support/sessions.ts';
import { FUZZ_EXCLUDED } from './allow-lists.ts';
import type { GenContext } from './arguments.ts';
import { codesOf, exchangeProblems, post, succeeded, type Exchange } from './client.ts';
import { fuzzCaseArbitrary, type FuzzPools } from './fuzz-arbitraries.ts';
import { rootFields } from './operations.ts';
import type { Actor } from './prover.ts';
import { startIsolationWorld, type IsolationWorld } from './setup.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) | 0;
const PATH = process.env.FUZZ_PATH || undefined;
assert.ok(Number.isInteger(RUNS) && RUNS > 0, `FUZZ_RUNS must be a positive integer, not ${process.env.FUZZ_RUNS}`);
assert.ok(Number.isInteger(SEED), `FUZZ_SEED must be an integer, not ${process.env.FUZZ_SEED}`);

const replay = `npm run fuzz -- --runs ${RUNS} --seed ${SEED}`;
process.stdout.write(`# fuzz: ${RUNS} runs, seed ${SEED} (replay: ${replay})\n`);

let world: IsolationWorld;
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);

before(async () => {
  process.on('unhandledRejection', onRejection);
  world = await startIsolationWorld();
});
after(async () => {
  process.off('unhandledRejection', onRejection);
  await world?.api.close();
});

/** Codes after which the actor's session may be gone (signOut, revokeAllSessions, a 60 s TTL...). */
const MAY_HAVE_ENDED = new Set(['UNAUTHENTICATED', 'SESSION_REVOKED', 'SESSION_EXPIRED', 'FORBIDDEN']);

/** Signs the actor into A again when its token no longer reaches A (not a failure: the fuzz ended it). */
async function keepAlive(actor: Actor, ex: Exchange): Promise<boolean> {
  if (!codesOf(ex).some((c) => MAY_HAVE_ENDED.has(c))) return false;
  const probe = await world.api.gql(`{ viewer { activeOrganization { id } } }`, {}, actor.principal.token);
  if (!probe.errors && probe.data?.viewer.activeOrganization?.id === world.a.orgId) return false;
  const p = actor.principal;
  const r = await world.api.gql(SIGN_IN_DEVICE, { e: p.email, p: p.password, d: `${world.a.marker} fuzz`, o: world.a.orgId });
  assert.equal(r.errors, undefined, `the fuzz's ${actor.name} cannot sign into A again (a generator let it lock itself out): ${JSON.stringify(r.errors)}`);
  p.token = r.data.signIn.accessToken;
  p.sessionId = r.data.signIn.session.id;
  return true;
}

function fuzzPools(): FuzzPools {
  const { a, aFacts, bFacts } = world;
  // The MEMBER actor's own user id stays out: removeMember would take the actor out of A for good.
  const aIds = [...aFacts.ids.values()].map((ids) => ids.filter((id) => id !== a.member.userId));
  return { bIds: [...bFacts.ids.values()], aIds, aTexts: [a.marker, `${a.marker} project 1`, a.owner.email] };
}

/** Every string in the variables, at any depth. */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  return value && typeof value === 'object' ? Object.values(value).flatMap(stringsOf) : [];
}

test(`${RUNS} random operations as A leak nothing of B, never fail with 5xx or an internal error`, async (t) => {
  const roots = rootFields(world.schema).filter((r) => !(r.coordinate in FUZZ_EXCLUDED));
  let counter = 0;
  const contextOf = (actor: Actor): GenContext => ({ actor: actor.principal, a: world.a, b: world.b, cursors: world.cursors, unique: () => `f${++counter}` });
  const stats = { runs: 0, combined: 0, answered: 0, reauthenticated: 0, withIdsOfB: 0, fields: new Set<string>() };
  const idsOfB = new Set([...world.bFacts.ids.values()].flat().map((id) => id.toLowerCase()));
  const started = performance.now();
  const property = fc.asyncProperty(fuzzCaseArbitrary(world.schema, roots, world.actors, contextOf, fuzzPools()), async (c) => {
    const label = `${c.actor.name} ${c.roots.map((r) => r.coordinate).join(' + ')}`;
    const ex = await post(world.api.server.url, label, c.operation, c.actor.principal.token);
    stats.runs++;
    for (const r of c.roots) stats.fields.add(r.coordinate);
    if (c.roots.length > 1) stats.combined++;
    const problems = exchangeProblems(ex, world.bFacts.secrets);
    const variables = Object.entries(c.operation.variables);
    c.roots.forEach((root, i) => {
      // The variables of this root field: all of them alone, those prefixed p<i>_ when combined.
      const own = c.roots.length === 1 ? variables : variables.filter(([name]) => name.startsWith(`p${i}_`));
      const touchesB = stringsOf(own.map(([, v]) => v)).some((v) => idsOfB.has(v.toLowerCase()));
      if (touchesB) stats.withIdsOfB++;
      if (succeeded(ex, c.keys[i]!)) {
        stats.answered++;
        // No operation has any business succeeding with B's id: it found B's object (even if its answer shows nothing of it).
        if (touchesB) problems.push(`${label}: ${root.coordinate} SUCCEEDED with one of B's ids: ${ex.text.slice(0, 400)}`);
      }
    });
    // All or nothing (issue 15): a mutation with any error answers no data.
    if (c.root.operation === 'mutation' && ex.body.errors?.length && ex.body.data != null) problems.push(`${label}: a mutation with errors answered data: ${ex.text.slice(0, 400)}`);
    if (rejections.length) problems.push(`unhandled rejection: ${rejections.map(String).join('; ')}`);
    if (await keepAlive(c.actor, ex)) stats.reauthenticated++;
    if (problems.length) throw new Error(`${problems.join('\n')}\n  query: ${c.operation.query}\n  variables: ${JSON.stringify(c.operation.variables)}`);
  });
  const details = await fc.check(property, { numRuns: RUNS, seed: SEED, ...(PATH ? { path: PATH } : {}) });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const summary = `fuzz: ${stats.runs} operations (${details.numRuns} runs, ${stats.combined} with several root fields) over ${stats.fields.size}/${roots.length} root fields in ${seconds} s, seed ${SEED}; ${stats.withIdsOfB} root fields carried B's ids, ${stats.answered} answered with data, ${stats.reauthenticated} re-sign-ins`;
  t.diagnostic(summary);
  process.stdout.write(`# ${summary}\n`);
  if (details.failed) {
    const path = details.counterexamplePath ? ` --path "${details.counterexamplePath}"` : '';
    assert.fail(`fuzz failed after ${details.numRuns} runs; replay: npm run fuzz -- --runs ${RUNS} --seed ${details.seed}${path}\n${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`);
  }
  if (RUNS >= 500) assert.equal(stats.fields.size, roots.length, 'every root field the fuzz may pick was picked at least once');
  // A positive control: a fuzz whose every call failed (a dead token, a broken generator) would prove nothing.
  assert.ok(stats.answered >= stats.runs / 10, `only ${stats.answered} of ${stats.runs} operations answered with data`);
  if (RUNS >= 500) assert.ok(stats.combined >= stats.runs / 10, `only ${stats.combined} of ${stats.runs} operations combined several root fields`);
});

test('no unhandled rejection during the fuzz', () => {
  assert.deepEqual(rejections.map(String), []);
});

test("B's rows, accounts and sessions are byte-identical after the fuzz", async () => {
  assert.deepEqual(await world.snapshotB(), world.bBefore);
});
