/**
 * isConnectionError (src/db/connection-errors.ts): which failures mean "the database cannot be
 * reached right now" (answered 503 SERVICE_UNAVAILABLE, retried at start) and which are the query's
 * or the configuration's own (500, or a start that fails at once). The errors are built the way the
 * drivers build them: node-postgres's DatabaseError with its SQLSTATE, Node's socket errors with
 * their errno code, MikroORM's DriverException wrapping either (it copies `code` and prefixes the SQL).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DriverException } from '@mikro-orm/core';
import pg from 'pg';
import { isConnectionError } from '../../src/db/connection-errors.ts';
import { AppError, ErrorCode } from '../../src/core/errors.ts';

/** A server error as node-postgres raises it. */
function pgError(code: string, message: string): Error {
  const err = new pg.DatabaseError(message, message.length, 'error');
  err.code = code;
  return err;
}

/** A socket error as Node raises it (`connect ECONNREFUSED 127.0.0.1:5432`). */
function socketError(code: string, syscall = 'connect'): Error {
  return Object.assign(new Error(`${syscall} ${code} 127.0.0.1:5432`), { code, errno: -1, syscall });
}

/** What MikroORM throws for a failed query: the driver's error, its SQL prepended to the message. */
function viaMikroOrm(err: Error): Error {
  const wrapped = new DriverException(err);
  wrapped.message = `select 1 - ${err.message}`;
  return wrapped;
}

const cyclic = new Error('cause of itself');
(cyclic as { cause?: unknown }).cause = cyclic;

const CASES: readonly (readonly [string, unknown, boolean])[] = [
  // The server going away or not taking connections (PostgreSQL Appendix A).
  ['57P01 admin_shutdown (fast shutdown, pg_terminate_backend)', pgError('57P01', 'terminating connection due to administrator command'), true],
  ['57P02 crash_shutdown', pgError('57P02', 'terminating connection because of crash of another server process'), true],
  ['57P03 cannot_connect_now: shutting down', pgError('57P03', 'the database system is shutting down'), true],
  ['57P03 cannot_connect_now: starting up', pgError('57P03', 'the database system is starting up'), true],
  ['08006 connection_failure', pgError('08006', 'connection failure'), true],
  ['08001 sqlclient_unable_to_establish_sqlconnection', pgError('08001', 'could not connect'), true],
  ['08P01 protocol_violation', pgError('08P01', 'protocol violation'), true],
  ['57P01 wrapped by MikroORM', viaMikroOrm(pgError('57P01', 'terminating connection due to administrator command')), true],
  // Sockets.
  ['ECONNREFUSED (server down)', socketError('ECONNREFUSED'), true],
  ['ECONNRESET (connection cut)', socketError('ECONNRESET', 'read'), true],
  ['ETIMEDOUT', socketError('ETIMEDOUT'), true],
  ['EPIPE (write to a closed socket)', socketError('EPIPE', 'write'), true],
  ['EAI_AGAIN (DNS not answering yet)', socketError('EAI_AGAIN', 'getaddrinfo'), true],
  ['ECONNREFUSED wrapped by MikroORM', viaMikroOrm(socketError('ECONNREFUSED')), true],
  ['AggregateError of refused dual-stack attempts', new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')], ''), true],
  // The drivers' own errors, without a code.
  ['pg: Connection terminated unexpectedly', new Error('Connection terminated unexpectedly'), true],
  ['pg: not queryable after a connection error (via MikroORM)', viaMikroOrm(new Error('Client has encountered a connection error and is not queryable')), true],
  ['pg: connect timeout (connectionTimeoutMillis)', new Error('timeout expired'), true],
  ['pg-pool: connect timeout', new Error('Connection terminated due to connection timeout', { cause: new Error('timeout expired') }), true],
  ['pg-pool: no client within connectionTimeoutMillis', new Error('timeout exceeded when trying to connect'), true],
  [
    'knex: pool acquire timeout',
    Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?'), { name: 'KnexTimeoutError' }),
    true,
  ],
  ['a wrapper whose cause is 57P01', new Error('provisioning failed', { cause: pgError('57P01', 'terminating connection due to administrator command') }), true],

  // The query's, the credentials' or the configuration's own failure: never retried, never a 503.
  ['28P01 invalid_password', pgError('28P01', 'password authentication failed for user "orgbound_app"'), false],
  ['3D000 database does not exist', pgError('3D000', 'database "orgbound" does not exist'), false],
  ['42501 insufficient_privilege', pgError('42501', 'permission denied for table users'), false],
  ['57014 query_canceled (statement_timeout: the server is up)', pgError('57014', 'canceling statement due to statement timeout'), false],
  ['40001 serialization_failure', pgError('40001', 'could not serialize access'), false],
  ['23505 unique_violation via MikroORM', viaMikroOrm(pgError('23505', 'duplicate key value violates unique constraint')), false],
  ['53300 too_many_connections (capacity, not an outage)', pgError('53300', 'sorry, too many clients already'), false],
  ['ENOTFOUND (a wrong host name stays wrong)', socketError('ENOTFOUND', 'getaddrinfo'), false],
  ['pg: Connection terminated (ended by us)', new Error('Connection terminated'), false],
  ['knex: query on a finished transaction (a bug, or a failed BEGIN: see RequestTransaction.begin)', new Error('Transaction query already complete, run with DEBUG=knex:tx for more info'), false],
  ['a message that merely contains "timeout expired"', new Error('token timeout expired'), false],
  ['a contract error', new AppError(ErrorCode.UNAUTHENTICATED, 'Not signed in'), false],
  ['a plain error', new Error('boom'), false],
  ['a cause cycle', cyclic, false],
  ['a string', 'ECONNREFUSED', false],
  ['null', null, false],
  ['undefined', undefined, false],
];

describe('isConnectionError', () => {
  for (const [name, err, expected] of CASES) {
    test(`${expected ? 'unreachable' : 'not a connection error'}: ${name}`, () => {
      assert.equal(isConnectionError(err), expected);
    });
  }
});
