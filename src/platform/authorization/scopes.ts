import { hasAtLeast } from '../../core/roles.ts';
import type { Role } from '../../core/vocabulary.ts';
import type { ScopeDefinition } from '../modules.ts';

/**
 * The OAuth scopes every module declared (ModuleDefinition.scopes), with the least role a person needs
 * for each. Service accounts are granted scopes from here, agents are bounded by their user's role
 * through it, and hasScope decides with it. Built once at start from the discovered modules.
 */
export class ScopeRegistry {
  private readonly byName: ReadonlyMap<string, ScopeDefinition>;

  constructor(definitions: readonly ScopeDefinition[]) {
    const byName = new Map<string, ScopeDefinition>();
    for (const d of definitions) {
      if (!/^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*$/.test(d.name)) throw new Error(`orgbound: scope "${d.name}" must be resource:verb in lower case`);
      if (byName.has(d.name)) throw new Error(`orgbound: scope "${d.name}" is declared by two modules`);
      byName.set(d.name, d);
    }
    this.byName = byName;
  }

  /** Every scope, in declaration order. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The least role a person needs for `name`; undefined for a scope nobody declared. */
  minimumRole(name: string): Role | undefined {
    return this.byName.get(name)?.minimumRole;
  }

  /** The scopes a person of `role` holds, so the most an agent acting for them may get. */
  ofRole(role: Role | null): string[] {
    if (!role) return [];
    return [...this.byName.values()].filter((d) => hasAtLeast(role, d.minimumRole)).map((d) => d.name);
  }
}
