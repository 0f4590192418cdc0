/**
 * The engine of the isolation prover (prover.test.ts runs its phases in order): it sends generated
 * operations as tenant A's principals, checks every response (no 5xx, no internal error, no refused
 * operation, nothing of B), and keeps what the positive controls and the coverage report need.
 */
import type { GraphQLSchema } from 'graphql';
import type { TestApi } from '../support/harness.ts';
import { canonicalValue, type GenContext, MissingGenerator } from './arguments.ts';
import { exchangeProblems, post, succeeded, type Exchange } from './client.ts';
import { operationDocument, selectionSet, type RootField } from './operations.ts';
import type { TenantFacts } from './pools.ts';
import { secretsIn } from './scan.ts';
import type { Principal, TenantWorld } from './world.ts';

/** Object levels selected below each root field. */
export const SELECTION_DEPTH = 4;

export interface Actor {
  readonly name: string;
  readonly principal: Principal;
}

export interface ProverSetup {
  readonly api: TestApi;
  readonly schema: GraphQLSchema;
  readonly a: TenantWorld;
  readonly b: TenantWorld;
  readonly aFacts: TenantFacts;
  readonly bFacts: TenantFacts;
  readonly cursors: GenContext['cursors'];
}

export class Prover {
  /** Root fields called at least once, and those answered with data at least once. */
  readonly called = new Set<string>();
  readonly answered = new Set<string>();
  /** `Type.field` of every selected field. */
  readonly selected = new Set<string>();
  /** A's id kinds (and `marker`) found in responses to A: the positive control. */
  readonly aSeen = new Set<string>();
  /** The last error of each root field, for saying why one never answered. */
  readonly lastError = new Map<string, string>();
  calls = 0;
  private counter = 0;
  /** A's identifying strings → their kinds (a user id is `users.id` and `memberships.user_id`). */
  private readonly aSecretKinds = new Map<string, string[]>();

  constructor(readonly setup: ProverSetup) {
    for (const [kind, ids] of [...setup.aFacts.ids, ['marker', [setup.a.marker]] as const]) {
      for (const id of ids) this.aSecretKinds.set(id, [...(this.aSecretKinds.get(id) ?? []), kind]);
    }
  }

  context(actor: Actor): GenContext {
    const { a, b, cursors } = this.setup;
    return { actor: actor.principal, a, b, cursors, unique: () => `u${++this.counter}` };
  }

  /** The prover's arguments for `root`: the first valid value of every position. Raises MissingGenerator. */
  canonicalArgs(root: RootField, ctx: GenContext): Record<string, unknown> {
    return Object.fromEntries(root.field.args.map((arg) => [arg.name, canonicalValue(`${root.coordinate}.${arg.name}`, arg.type, ctx)]));
  }

  selection(root: RootField, ctx: GenContext): string {
    return selectionSet(root.field.type, {
      schema: this.setup.schema,
      maxDepth: SELECTION_DEPTH,
      argValue: (coordinate, type) => canonicalValue(coordinate, type, ctx),
      seen: this.selected,
    });
  }

  /**
   * Sends `root(args)` with the full selection as `actor` (or with `token`), and returns the response
   * with its problems (see exchangeProblems). A positions without a generator is a problem too.
   */
  async call(actor: Actor, root: RootField, args: (ctx: GenContext) => Record<string, unknown>, what: string, token?: string, sibling?: string): Promise<{ ex: Exchange | null; problems: string[] }> {
    const ctx = this.context(actor);
    const label = `${actor.name} ${root.coordinate}${what ? `(${what})` : ''}`;
    let operation;
    try {
      operation = operationDocument(root, args(ctx), this.selection(root, ctx), sibling);
    } catch (err) {
      if (err instanceof MissingGenerator) return { ex: null, problems: [`${label}: cannot cover: ${err.message}`] };
      throw err;
    }
    const ex = await post(this.setup.api.server.url, label, operation, token ?? actor.principal.token);
    this.calls++;
    this.called.add(root.coordinate);
    if (succeeded(ex, root.field.name)) this.answered.add(root.coordinate);
    else this.lastError.set(root.coordinate, `${label}: ${JSON.stringify(ex.body.errors ?? ex.body.data)}`);
    for (const secret of secretsIn(ex.text, [...this.aSecretKinds.keys()])) for (const kind of this.aSecretKinds.get(secret)!) this.aSeen.add(kind);
    return { ex, problems: exchangeProblems(ex, this.setup.bFacts.secrets) };
  }
}

/** A string of the same shape as `id` that names nothing: hex digits and letters replaced at random, case kept. */
export function lookalike(id: string): string {
  const from = (chars: string) => chars[Math.floor(Math.random() * chars.length)]!;
  return id.replace(/[0-9]/g, () => from('0123456789')).replace(/[a-f]/g, () => from('abcdef')).replace(/[A-F]/g, () => from('ABCDEF'));
}

/** The shape of an id (`hhhhhhhh-hhhh-...`), for sharing one baseline between ids of one form. */
export const shapeOf = (id: string): string => id.replace(/[0-9a-f]/g, 'h').replace(/[A-F]/g, 'H');
