import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { unwrapResolverError as unwrapFieldError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Config } from '../../platform/config.ts';
import { isConnectionError } from '../../db/connection-errors.ts';
import { AppError, ErrorCode } from '../../core/errors.ts';
import { enforceOperationCost, queryLimits, queryTooComplexIn } from './query-limits.ts';
import { errorSummary, type Logger } from '../../platform/observability/logger.ts';
import { observationPlugin } from './observation-plugin.ts';
import type { Metrics } from '../../platform/observability/metrics.ts';
import { rootFieldNames } from './operation-label.ts';
import type { RequestContext } from './context.ts';

/** Codes of Apollo's own client-side errors, safe to show as they are. */
const CLIENT_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/** Apollo's own request errors that come without a code (e.g. a persisted-query hash mismatch). */
const UNCODED_CLIENT_ERRORS = [/provided sha does not match query/i];

/**
 * The error a resolver or a plugin hook threw: graphql-js wraps a resolver's error (with a path), and
 * Apollo wraps what a plugin hook throws before execution (didResolveOperation: opening the request).
 */
function unwrapResolverError(error: unknown): unknown {
  const unwrapped = unwrapFieldError(error);
  if (unwrapped !== error) return unwrapped;
  const original = error instanceof GraphQLError ? error.originalError : undefined;
  return original && !(original instanceof GraphQLError) ? original : error;
}

const INTERNAL: GraphQLFormattedError = { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
const UNAVAILABLE: GraphQLFormattedError = { message: 'Service unavailable', extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } };

/** The database could not be reached for this error: a driver's connection failure, or SERVICE_UNAVAILABLE already. */
function isUnavailable(error: unknown): boolean {
  const original = unwrapResolverError(error);
  return isConnectionError(original) || (original instanceof AppError && original.code === ErrorCode.SERVICE_UNAVAILABLE);
}

/**
 * An error the client may see as it is: a refused operation, a contract error (AppError) or one of
 * Apollo's own client errors. Anything else is masked as INTERNAL_SERVER_ERROR and logged.
 */
function isExpected(error: unknown): boolean {
  if (queryTooComplexIn(error, false) || unwrapResolverError(error) instanceof AppError || isUnavailable(error)) return true;
  const e = error as { extensions?: { code?: unknown }; message?: unknown };
  if (typeof e.extensions?.code === 'string' && CLIENT_ERROR_CODES.has(e.extensions.code)) return true;
  return typeof e.message === 'string' && UNCODED_CLIENT_ERRORS.some((re) => re.test(e.message as string));
}

/** Introspection root fields: they read the schema, never the database. */
const META_FIELDS = new Set(['__schema', '__type', '__typename']);

/**
 * The request transaction of each operation (README, "What a response promises"):
 *
 * - once the operation is known, its cost is checked (QUERY_TOO_COMPLEX, before anything runs),
 *   then the request is opened: READ ONLY for a query, so nothing a query does can write. An
 *   operation of late-opening mutation fields only (refreshSession) is opened by its field, after
 *   that field has waited without a connection;
 * - a mutation is all or nothing: it commits only when the operation produced no error at all, in
 *   any field, root or nested; otherwise it rolls back and the response carries `data: null`, so no
 *   token, id or value of an uncommitted write ever leaves the server. A query keeps its partial
 *   data (it wrote nothing). What must persist whatever the outcome (a failed sign-in, a wrong MFA
 *   code, reuse revocation, a cross-tenant attempt) is written apart (RequestTransaction.afterFinish);
 * - each unexpected error is logged with the request's id, scrubbed of everything the request sent
 *   (errorSummary).
 *
 * When the database could not be reached (an error of src/db/connection-errors.ts anywhere in the
 * operation, or a failed commit), the whole answer becomes HTTP 503 SERVICE_UNAVAILABLE with no
 * data: nothing was written (the transaction rolled back; a commit that failed on a lost connection
 * may, rarely, have committed, like any request whose response is lost), and the client retries.
 */
function transactionPlugin(logger: Logger, maxCost: number, production: boolean, lateFields: ReadonlySet<string>): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      let unavailable: unknown = null;
      let mutation = false;
      return {
        async didResolveOperation({ contextValue, schema, document, operation, operationName, request }) {
          if (!operation) return; // Apollo refuses an operation it cannot resolve before this hook
          mutation = operation.operation === 'mutation';
          enforceOperationCost(schema as GraphQLSchema, document, request.variables ?? {}, operationName ?? undefined, maxCost, production);
          const roots = [...rootFieldNames(document, operation)];
          if (roots.every((name) => META_FIELDS.has(name))) return;
          if (mutation && roots.every((name) => lateFields.has(name) || name === '__typename')) return;
          await contextValue.open({ readOnly: !mutation });
        },
        async didEncounterErrors({ contextValue, errors }) {
          unavailable ??= errors.find(isUnavailable) ?? null;
          for (const err of errors.filter((e) => !isExpected(e))) {
            const request = contextValue?.request;
            logger.error({ request_id: request?.id, err: errorSummary(unwrapResolverError(err), request?.inputs) }, 'unexpected error in a GraphQL operation');
          }
        },
        async willSendResponse({ contextValue, response }) {
          const body = response.body;
          const single = body.kind === 'single' ? body.singleResult : null;
          const ok = unavailable === null && single !== null && !single.errors?.length;
          const request = contextValue.request;
          let commitFailed = false;
          try {
            await contextValue.tx.finish(ok);
          } catch (err) {
            commitFailed = true;
            if (isConnectionError(err)) unavailable ??= err;
            else logger.error({ request_id: request.id, err: errorSummary(err, request.inputs) }, 'request transaction failed to commit');
          }
          if (unavailable === null && !commitFailed) {
            // All or nothing: a mutation that did not commit answers no data (the errors say why).
            if (!ok && mutation && single && single.data !== undefined) single.data = null;
            return;
          }
          if (unavailable !== null) logger.warn({ request_id: request.id, err: errorSummary(unwrapResolverError(unavailable), request.inputs) }, 'database unavailable: answered 503');
          if (single) {
            // Mutated in place: the request's log record holds this object (src/api/http/request-log.ts).
            delete single.data;
            single.errors = [UNAVAILABLE];
          }
          response.http.status = 503;
        },
      };
    },
  };
}

export function createApollo(schema: GraphQLSchema, config: Config, logger: Logger, metrics: Metrics, lateFields: ReadonlySet<string> = new Set()): ApolloServer<RequestContext> {
  const development = config.env === 'development';
  const limits = queryLimits(config.queryLimits, config.production);
  return new ApolloServer<RequestContext>({
    schema,
    introspection: !config.production,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.production,
    // One operation per HTTP request: a JSON array of operations is refused (400), so a batch cannot
    // multiply what one request may do (Apollo's default, stated here because the limits rely on it).
    allowBatchedHttpRequests: false,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    formatError: (formatted, error) => {
      const tooComplex = queryTooComplexIn(error, config.production);
      if (tooComplex) return { message: tooComplex.message, extensions: { code: tooComplex.code } };
      const original = unwrapResolverError(error);
      if (isUnavailable(original)) return UNAVAILABLE;
      if (original instanceof AppError) return { message: formatted.message, path: formatted.path, locations: formatted.locations, extensions: { code: original.code } };
      const code = formatted.extensions?.code;
      if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) return { ...formatted, extensions: { code } };
      if (UNCODED_CLIENT_ERRORS.some((re) => re.test(formatted.message))) return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
      // Unexpected: logged by the transaction plugin (with the request id), masked here.
      return development ? { ...INTERNAL, message: `Internal server error: ${String(errorSummary(original).message)}`, path: formatted.path } : { ...INTERNAL, path: formatted.path };
    },
    plugins: [
      // No cache hints are used (every answer is private and no-store); the default plugin would add a hook to every field.
      ApolloServerPluginCacheControlDisabled(),
      transactionPlugin(logger, config.queryLimits.cost, config.production, lateFields),
      observationPlugin(metrics, config.production),
      config.production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
  });
}
