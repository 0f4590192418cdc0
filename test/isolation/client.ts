/**
 * POST /graphql keeping the whole body text, and the verdicts every response of the prover and the
 * fuzz must pass: no 5xx, no INTERNAL_SERVER_ERROR, an operation the server accepted as well formed,
 * and nothing of tenant B anywhere in it.
 */
import { fetchAnswer } from '../support/harness.ts';
import type { Operation } from './operations.ts';
import { secretsIn } from './scan.ts';

export interface ResponseError {
  readonly message: string;
  readonly path?: readonly (string | number)[];
  readonly extensions?: { readonly code?: string };
}

export interface Exchange {
  /** What was sent, for messages: `OWNER Mutation.updateTask(id=<projects.id of B>)`. */
  readonly label: string;
  readonly operation: Operation;
  readonly status: number;
  readonly text: string;
  readonly body: { readonly data?: Record<string, unknown> | null; readonly errors?: readonly ResponseError[] };
}

export async function post(url: string, label: string, operation: Operation, token?: string): Promise<Exchange> {
  const res = await fetchAnswer(
    url,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(operation),
    },
    `${label}: ${JSON.stringify(operation)}`,
  );
  const text = await res.text();
  let body: Exchange['body'] = {};
  try {
    body = JSON.parse(text) as Exchange['body'];
  } catch {
    // Reported by exchangeProblems (a GraphQL response is always JSON).
  }
  return { label, operation, status: res.status, text, body };
}

export const codesOf = (ex: Exchange): string[] => (ex.body.errors ?? []).map((e) => e.extensions?.code ?? '(no code)');

/** Codes that say the generated operation itself was refused: the call covered nothing. */
const NOT_EXECUTED = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'QUERY_TOO_COMPLEX', 'OPERATION_RESOLUTION_FAILURE']);

const excerpt = (ex: Exchange) => (ex.text.length > 600 ? `${ex.text.slice(0, 600)}...` : ex.text);

/** Everything wrong with one response; `secrets` are tenant B's. */
export function exchangeProblems(ex: Exchange, secrets: readonly string[]): string[] {
  const problems: string[] = [];
  if (ex.status >= 500) problems.push(`${ex.label}: HTTP ${ex.status}: ${excerpt(ex)}`);
  if (!ex.text.startsWith('{')) problems.push(`${ex.label}: not a JSON response: ${excerpt(ex)}`);
  const codes = codesOf(ex);
  if (codes.includes('INTERNAL_SERVER_ERROR')) problems.push(`${ex.label}: INTERNAL_SERVER_ERROR: ${excerpt(ex)}`);
  const refused = codes.filter((c) => NOT_EXECUTED.has(c));
  if (refused.length) problems.push(`${ex.label}: the generated operation was refused (${refused.join(', ')}), so it covered nothing: ${excerpt(ex)}\n  ${ex.operation.query}`);
  const leaked = secretsIn(ex.text, secrets);
  if (leaked.length) problems.push(`${ex.label}: LEAK of tenant B's ${leaked.join(', ')} in: ${excerpt(ex)}`);
  return problems;
}

/**
 * The root field's resolver completed: data and no error, or errors only below the root field (a
 * nested field refused, such as `createOrganization { members }` of an org that is not the active one,
 * which nulls the result and rolls the operation back, but only after the root field did its work).
 */
export function succeeded(ex: Exchange, fieldName: string): boolean {
  const errors = ex.body.errors ?? [];
  if (errors.length === 0) return ex.body.data?.[fieldName] !== null && ex.body.data?.[fieldName] !== undefined;
  return ex.status < 400 && errors.every((e) => (e.path?.length ?? 0) > 1 && e.path?.[0] === fieldName);
}

/** What a caller can tell apart between two responses: status, data, and each error's message, code and path. */
export function observable(ex: Exchange): string {
  const errors = (ex.body.errors ?? []).map((e) => ({ message: e.message, code: e.extensions?.code, path: e.path }));
  return JSON.stringify({ status: ex.status, data: ex.body.data ?? null, errors });
}
