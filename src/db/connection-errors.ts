/**
 * SQLSTATEs that say the server went away or will not take connections now (PostgreSQL, Appendix A):
 * class 08 "connection exception", and of class 57 only the three that a restart produces. A query
 * cancelled by statement_timeout (57014) is not one: the server is up.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03']); // admin_shutdown, crash_shutdown, cannot_connect_now
const CONNECTION_EXCEPTION_CLASS = /^08[0-9A-Z]{3}$/;

/**
 * Socket errors (Node's `err.code`) of a server that is down, restarting or unreachable for now.
 * Not ENOTFOUND (a wrong host name stays wrong) nor any authentication or TLS failure.
 */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/**
 * Messages of the drivers' own errors, which carry no code: node-postgres (lib/client.js,
 * pg-pool) and knex's pool (client.js, KnexTimeoutError). Matched as substrings: MikroORM prefixes a
 * failed query's message with its SQL.
 */
const DRIVER_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'Client has encountered a connection error and is not queryable',
  'timeout exceeded when trying to connect',
  'Timeout acquiring a connection',
];

/** node-postgres's own connect timeout (a Client's connectionTimeoutMillis): too generic to match as a substring. */
const CONNECT_TIMEOUT_MESSAGE = 'timeout expired';

/** How deep `cause` / AggregateError chains are followed (a cycle must not loop). */
const MAX_DEPTH = 4;

/**
 * Whether `err` says the database cannot be reached right now (down, restarting, refusing
 * connections, the pool timed out waiting for one), as opposed to a failure of the query itself or
 * of the credentials. Callers answer the first with SERVICE_UNAVAILABLE (HTTP 503) and retry it at
 * start; anything else is a bug or a misconfiguration. Pure: looks at `code`, `message`, `cause`
 * and an AggregateError's `errors` (Node reports a refused dual-stack connect as one).
 */
export function isConnectionError(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > MAX_DEPTH) return false;
  const { code, message, cause, errors } = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || CONNECTION_EXCEPTION_CLASS.test(code) || SOCKET_CODES.has(code))) return true;
  if (typeof message === 'string' && (message === CONNECT_TIMEOUT_MESSAGE || DRIVER_MESSAGES.some((m) => message.includes(m)))) return true;
  if (Array.isArray(errors) && errors.some((e) => isConnectionError(e, depth + 1))) return true;
  return cause !== undefined && isConnectionError(cause, depth + 1);
}
