import assert from 'node:assert/strict';

export interface GqlResult<T = any> {
  readonly status: number;
  readonly data?: T | null;
  readonly errors?: readonly { message: string; extensions?: { code?: string } }[];
  /** The response body as received, for the checks that look for other tenants' values in it. */
  readonly body: string;
}

/** POSTs one GraphQL operation to an instance. */
export async function gql<T = any>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GqlResult<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.text();
  const parsed = JSON.parse(body) as Omit<GqlResult<T>, 'status' | 'body'>;
  return { ...parsed, status: res.status, body };
}

/** The data of a result that must have succeeded. */
export function ok<T = any>(r: GqlResult<T>, what = ''): T {
  assert.ok(r.status < 500 && !r.errors && r.data, `${what} HTTP ${r.status}: ${r.body.slice(0, 500)}`);
  return r.data;
}

/** The contract code of the first error, or undefined. */
export function errorCode(r: GqlResult): string | undefined {
  return r.errors?.[0]?.extensions?.code;
}
