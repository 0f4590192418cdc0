import type { GraphQLFormattedError } from 'graphql';
import type { RequestHandler, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../platform/observability/logger.ts';
import type { TenantScope } from '../../core/decisions/decide-scope.ts';
import type { Metrics } from '../../platform/observability/metrics.ts';
import { redactSecrets, stringsIn } from '../../platform/observability/redact.ts';

/**
 * An incoming `X-Request-Id` is kept only when it is a UUID or 16-64 hex digits (a trace id); any
 * other value is replaced by a fresh UUID. Nothing else a client chooses reaches every log line
 * through it, and none of orgbound's tokens, codes or secrets has that shape.
 */
export const REQUEST_ID_PATTERN = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,64})$/i;

export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID_PATTERN.test(header) ? header : randomUUID();
}

/** Gives every request an id (res.locals.requestId) and echoes it in the `X-Request-Id` response header. */
export function assignRequestId(): RequestHandler {
  return (req, res, next) => {
    const id = requestIdFrom(req.headers['x-request-id']);
    res.locals.requestId = id;
    res.set('X-Request-Id', id);
    next();
  };
}

/**
 * What one GraphQL request's log line and metrics are made of, filled in as the request goes:
 * the scope by the context (from the verified token, never from the request), the operation by
 * the Apollo plugin, the errors from the response Apollo sends.
 */
export class RequestRecord {
  readonly started = performance.now();
  /** Every string the request sent (Authorization, variables, literals): scrubbed from any error it causes. */
  readonly inputs = new Set<string>();
  scope: TenantScope | null = null;
  /** Why the request's token was refused (TokenRefusal), when it was: for this log line, never the client. */
  refusal: string | null = null;
  /** A bounded label: a root field of the schema, `multiple`, or `none` (no operation resolved). */
  operation = 'none';
  /** The client's name for the operation, when it is a GraphQL name and no input of the request. */
  operationName: string | null = null;
  private result: { readonly errors?: readonly GraphQLFormattedError[] | undefined } | null = null;
  private failure: readonly string[] | null = null;

  constructor(readonly id: string) {}

  noteInputs(value: unknown): void {
    stringsIn(value, this.inputs);
  }

  /**
   * Keeps a GraphQL name unless it holds a secret of the request: an input of 10 or more characters
   * (passwords, tokens) or a 6-digit run (a TOTP code). Shorter inputs are names and labels
   * (`mutation CreateLaunch { createProject(name: "Launch") }` keeps its name).
   */
  noteOperationName(name: string | null | undefined): void {
    const secrets = [...this.inputs].filter((s) => s.length >= 10);
    this.operationName = name && /^[_A-Za-z][_0-9A-Za-z]{0,99}$/.test(name) && redactSecrets(name, secrets) === name ? name : null;
  }

  /** The body Apollo will send: read when the response ends, after the transaction plugin's last word. */
  noteResult(result: { readonly errors?: readonly GraphQLFormattedError[] | undefined }): void {
    this.result = result;
  }

  /** Codes of a response Apollo did not build from an operation's result (failed context, bad body). */
  noteFailure(codes: readonly string[]): void {
    this.failure = codes;
  }

  /** The error codes the client got, in order; empty when none. */
  codes(): string[] {
    if (this.failure) return [...this.failure];
    return (this.result?.errors ?? []).map((e) => (typeof e.extensions?.code === 'string' ? e.extensions.code : 'INTERNAL_SERVER_ERROR'));
  }
}

export function requestRecordOf(res: Response): RequestRecord | undefined {
  const record: unknown = res.locals.graphqlRequest;
  return record instanceof RequestRecord ? record : undefined;
}

/** The one log line of a GraphQL request (README "Operating orgbound"). */
export function requestLogLine(record: RequestRecord, status: number, finished: boolean, durationMs: number): Record<string, unknown> {
  const codes = record.codes();
  const scope = record.scope;
  return {
    request_id: record.id,
    operation: record.operation,
    ...(record.operationName ? { operation_name: record.operationName } : {}),
    org_id: scope?.orgId ?? null,
    sub: scope?.userId ?? null,
    sid: scope?.sessionId ?? null,
    ...(scope?.tier ? { tier: scope.tier } : {}),
    outcome: !finished ? 'aborted' : codes.length === 0 ? 'ok' : 'error',
    ...(codes.length > 0 ? { errors: codes } : {}),
    ...(record.refusal ? { refusal: record.refusal } : {}),
    status,
    duration_ms: Math.round(durationMs * 10) / 10,
  };
}

/**
 * Starts a RequestRecord for a /graphql request, and when the response has ended (or the connection
 * dropped) writes its log line and its metrics.
 */
export function observeGraphqlRequests(logger: Logger, metrics: Metrics): RequestHandler {
  return (_req, res, next) => {
    const record = new RequestRecord(String(res.locals.requestId ?? randomUUID()));
    res.locals.graphqlRequest = record;
    res.once('close', () => {
      const durationMs = performance.now() - record.started;
      const finished = res.writableFinished;
      logger.info(requestLogLine(record, res.statusCode, finished, durationMs), 'graphql request');
      metrics.observeRequest(record.operation, record.codes(), durationMs / 1000, finished);
    });
    next();
  };
}
