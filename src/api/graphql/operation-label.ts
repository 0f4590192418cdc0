import { Kind, type DocumentNode, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/** Introspection root fields: part of every schema, so as bounded as the schema's own. */
const META_FIELDS = new Set(['__schema', '__type', '__typename']);

/**
 * The metrics label of an operation: the root field it selects (aliases and `__typename` aside),
 * `multiple` when it selects several, `other` for a name the root type does not have (validation
 * refuses those first). Never the client's operation name: that is free text, and a label must
 * come from a bounded set.
 */
export function operationLabel(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): string {
  const names = rootFieldNames(document, operation);
  if (names.size > 1) names.delete('__typename');
  if (names.size === 0) return 'none';
  if (names.size > 1) return 'multiple';
  const name = [...names][0] as string;
  const root = schema.getRootType(operation.operation);
  return root?.getFields()[name] || META_FIELDS.has(name) ? name : 'other';
}

/** The names of the root fields an operation selects (through fragments too; aliases aside). */
export function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): Set<string> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const names = new Set<string>();
  collectRootFields(operation.selectionSet, fragments, names, new Set());
  return names;
}

function collectRootFields(set: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, into: Set<string>, seen: Set<string>): void {
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) into.add(sel.name.value);
    else if (sel.kind === Kind.INLINE_FRAGMENT) collectRootFields(sel.selectionSet, fragments, into, seen);
    else if (!seen.has(sel.name.value)) {
      seen.add(sel.name.value); // validation refuses fragment cycles; this guards the walk anyway
      const fragment = fragments.get(sel.name.value);
      if (fragment) collectRootFields(fragment.selectionSet, fragments, into, seen);
    }
  }
}
