const late = new WeakSet<object>();

/**
 * Marks a mutation resolver that opens the request transaction itself (ctx.open) after waiting for
 * something in memory, so that the wait holds no database connection: refreshSession waits for the
 * other presentations of the same refresh token first. When every root field of an operation is
 * late-opening, nothing opens the request before execution (src/api/graphql/apollo.ts).
 */
export function opensLate<F extends object>(resolver: F): F {
  late.add(resolver);
  return resolver;
}

export function isLateOpening(resolver: unknown): boolean {
  return typeof resolver === 'function' && late.has(resolver);
}
