/**
 * Posts one operation to the running API, as any client would (so the seed passes through every
 * rule, filter and RLS policy). Raises `DemoSeedError` with the first error's contract code.
 */
export type CallGraphql = <T = any>(query: string, variables?: Record<string, unknown>, token?: string) => Promise<T>;

export class DemoSeedError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'DemoSeedError';
  }
}

export function graphqlCaller(url: string): CallGraphql {
  return async (query, variables = {}, token) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
    const first = body.errors?.[0];
    if (first || !body.data) {
      const operation = /\{\s*(\w+)/.exec(query)?.[1] ?? 'operation';
      throw new DemoSeedError(`demo seed: ${operation} failed: ${first?.message ?? `HTTP ${res.status}`}`, first?.extensions?.code);
    }
    return body.data;
  };
}
