import type { EntitySchema } from '@mikro-orm/core';
import type { IRules } from 'graphql-shield';
import type { Role } from '../core/vocabulary.ts';
import type { Resolvers } from '../generated/resolvers-types.ts';

/**
 * What a module is, for the core that discovers it (src/app/modules.ts reads every
 * src/modules/<name>/module.ts; there is no central list to edit). A module is that folder, plus its
 * SDL in schema/<name>.graphql and its migrations in migrations/.
 */
export interface ModuleDefinition {
  /** The folder name, and the name of its SDL file in schema/. */
  readonly name: string;
  /** Its MikroORM entity schemas (tenant-owned ones extend TenantOwnedSchema). */
  readonly entities?: readonly EntitySchema<any, any>[];
  /** Its resolver map: its own types, and fields it adds to other modules' types. */
  readonly resolvers?: Resolvers;
  /**
   * Its graphql-shield rules, keyed `Type.field` (a root field it declares, a field that crosses a
   * boundary) or `Type` (every field of an object type it owns). Assembled with deny as the fallback
   * (src/api/graphql/shield.ts); two modules ruling the same key is an error at start.
   */
  readonly rules?: ModuleRules;
  /** The OAuth scopes it defines, with the least role a person needs for each (hasScope). */
  readonly scopes?: readonly ScopeDefinition[];
  /**
   * Its tenant-owned GraphQL types looked up by id, with their table: the cross-tenant existence
   * check (platform/tenancy/cross-tenant-attempts.ts) records attempts on them. Its migration
   * registers the same pairs in `cross_tenant_kinds`; the prover checks both agree.
   */
  readonly crossTenant?: Readonly<Record<string, string>>;
  /** Mutation fields that open the request themselves, after waiting without a connection (refreshSession). */
  readonly lateOpening?: readonly string[];
  /** What the isolation prover needs to call its fields (test/isolation). */
  readonly isolation?: IsolationHooks;
}

/** A graphql-shield rule (a rule, or and/or/not of rules): what the package's IRules maps a field to. */
export type ShieldRule = Extract<IRules, { resolve(...args: never[]): unknown }>;
export type ModuleRules = Readonly<Record<string, ShieldRule>>;

export interface ScopeDefinition {
  /** `resource:verb`, e.g. `invoices:read`. */
  readonly name: string;
  /** The least role a person (or an agent acting for one) needs for it. */
  readonly minimumRole: Role;
  readonly description: string;
}

/** The tenant of the prover's world that an argument generator may draw on (test/isolation/world.ts). */
export interface ProverTenant {
  readonly orgId: string;
  /** A string that appears in this tenant's data only: text a generator writes carries it. */
  readonly marker: string;
  /** Secrets and values the world seeded for this tenant, by name (`spareRefreshToken`, `invitationTokens`, `projectCursors`). */
  samples(name: string): readonly string[];
}

export interface ProverContext {
  /** The principal of tenant A making the call. */
  readonly actor: { readonly email: string; readonly password: string };
  readonly a: ProverTenant;
  readonly b: ProverTenant;
  /** A string no other call has used (fresh emails and names). */
  unique(): string;
}

/** Values for one argument or input field. */
export interface ProverArgument {
  /** Values meant to pass validation for the actor. The prover sends the first (undefined: leave it out). */
  readonly valid: (ctx: ProverContext) => readonly unknown[];
  /** Values aimed at tenant B that store nothing of B when used (B's cursors, B's invitation secrets). */
  readonly hostile?: (ctx: ProverContext) => readonly unknown[];
  /** Any value of the type is a valid call (free text, any integer): the fuzz adds random ones. */
  readonly anyValue?: boolean;
}

export interface IsolationHooks {
  /**
   * Generators by coordinate (`Mutation.createInvoice.amount`, `InvoiceInput.note`) or by argument
   * name (`refreshToken`): positions the prover cannot fill by type alone.
   */
  readonly arguments?: Readonly<Record<string, ProverArgument>>;
  /** Root fields the prover never expects to succeed, with why (a secret only a mail or an app has). */
  readonly noSuccessExpected?: Readonly<Record<string, string>>;
  /**
   * Mutations that end the caller's session or change tenant A for good: the prover runs them after
   * everything else, each on a session of its own; those marked `last` (they end the actor's main
   * session as well) after those.
   */
  readonly lateMutations?: Readonly<Record<string, { readonly why: string; readonly last?: boolean }>>;
  /** Root fields ruled `allow` (no sign-in), with why the operation checks its credential itself. */
  readonly publicRootFields?: Readonly<Record<string, string>>;
  /** Root fields the fuzz never picks, with why. */
  readonly fuzzExcluded?: Readonly<Record<string, string>>;
  /** Columns of its tables that name an organization outside a tenant table's `org_id`, with why they are not tenant data. */
  readonly orgReferenceColumns?: Readonly<Record<string, string>>;
  /** Kinds of ids (`table.column`) of its that no response contains, so the prover's positive control does not look for them. */
  readonly notReturnedKinds?: Readonly<Record<string, string>>;
}

/** Declares a module (identity function: the type is the point). */
export function defineModule(definition: ModuleDefinition): ModuleDefinition {
  return definition;
}
