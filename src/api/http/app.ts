import { expressMiddleware } from '@as-integrations/express5';
import type { ApolloServer } from '@apollo/server';
import cors from 'cors';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { AppServices } from '../../platform/services.ts';
import { isConnectionError } from '../../db/connection-errors.ts';
import { databaseIsReady } from '../../platform/health.queries.ts';
import { AppError, ErrorCode, serviceUnavailable } from '../../core/errors.ts';
import { buildContext, type RequestContext } from '../graphql/context.ts';
import { addressSubject } from './client-address.ts';
import { errorSummary, type Logger } from '../../platform/observability/logger.ts';
import { assignRequestId, observeGraphqlRequests, requestRecordOf, RequestRecord } from './request-log.ts';
import { metricsEndpoint } from './metrics-endpoint.ts';
import { oauthTokenEndpoint } from './oauth-token.ts';

/** Largest GraphQL request body accepted. */
export const BODY_LIMIT = '100kb';

/**
 * The HTTP surface of docs/API.md. The Authorization header is the only request input the
 * GraphQL context takes identity or tenant from; the client address goes to the rate limits only.
 * Every response carries an `X-Request-Id`; every /graphql request writes one log line.
 */
export function createHttpApp(services: AppServices, apollo: ApolloServer<RequestContext>, logger: Logger): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-For is believed only from the configured proxies (TRUST_PROXY); by default from none.
  const proxies = services.config.trustProxy;
  app.set('trust proxy', proxies.length > 0 ? [...proxies] : false);
  app.use(assignRequestId());

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = await databaseIsReady(services.orm);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
  });
  app.get('/.well-known/jwks.json', async (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(await services.keys.jwks());
  });
  app.get('/metrics', metricsEndpoint(services.metrics, services.config));
  app.post('/oauth/token', ...oauthTokenEndpoint(services, logger));

  const origins = services.config.corsOrigins;
  app.use(
    '/graphql',
    cors({ origin: origins.length > 0 ? [...origins] : false, allowedHeaders: ['Authorization', 'Content-Type', 'Apollo-Require-Preflight', 'X-Request-Id'], exposedHeaders: ['X-Request-Id'], maxAge: 600 }),
    observeGraphqlRequests(logger, services.metrics),
    express.json({ limit: BODY_LIMIT }),
    endingItsTransaction(logger, expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const record = requestRecordOf(res) ?? new RequestRecord(String(res.locals.requestId));
        const body = req.body as { variables?: unknown; operationName?: unknown } | undefined;
        const authorization = req.headers.authorization;
        record.noteInputs([authorization, authorization?.replace(/^Bearer\s+/i, ''), body?.variables, body?.operationName]);
        let ctx: RequestContext;
        try {
          ctx = await buildContext(services, req.headers.authorization, addressSubject(req.ip ?? req.socket.remoteAddress), record);
        } catch (err) {
          // The database unreachable (down, restarting): 503 SERVICE_UNAVAILABLE, not Apollo's 500 for a failed context.
          if (isConnectionError(err)) {
            logger.warn({ request_id: record.id, err: errorSummary(err, record.inputs) }, 'database unavailable: answered 503');
            record.noteFailure([ErrorCode.SERVICE_UNAVAILABLE]);
            throw serviceUnavailable();
          }
          if (err instanceof AppError) {
            record.noteFailure([err.code]);
            record.refusal = err.reason ?? null;
          }
          else {
            record.noteFailure(['INTERNAL_SERVER_ERROR']);
            logger.error({ request_id: record.id, err: errorSummary(err, record.inputs) }, 'request context failed');
          }
          throw err;
        }
        contexts.set(res, ctx);
        return ctx;
      },
    })),
  );

  const bodyErrors: ErrorRequestHandler = (err: { type?: string; status?: number }, _req, res, next) => {
    const refuse = (status: number, message: string) => {
      requestRecordOf(res)?.noteFailure(['BAD_REQUEST']);
      res.status(status).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
    };
    if (err.type === 'entity.too.large') return void refuse(413, 'Request body too large');
    if (err.type === 'entity.parse.failed') return void refuse(400, 'Malformed JSON body');
    if (err.status && err.status < 500) return void refuse(err.status, 'Bad request');
    next(err);
  };
  const lastResort: ErrorRequestHandler = (err, _req, res, _next) => {
    const record = requestRecordOf(res);
    if (isConnectionError(err)) {
      record?.noteFailure([ErrorCode.SERVICE_UNAVAILABLE]);
      logger.warn({ request_id: res.locals.requestId, err: errorSummary(err, record?.inputs) }, 'database unavailable: answered 503');
      return void res.status(503).json({ errors: [{ message: 'Service unavailable', extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } }] });
    }
    record?.noteFailure(['INTERNAL_SERVER_ERROR']);
    logger.error({ request_id: res.locals.requestId, err: errorSummary(err, record?.inputs) }, 'unhandled HTTP error');
    res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
  };
  app.use(bodyErrors, lastResort);
  return app;
}

/** The request context Apollo built for a response (set by the context function). */
const contexts = new WeakMap<object, RequestContext>();

/**
 * Safety net: once Apollo is done with a request (willSendResponse has normally finished its
 * transaction), a transaction it left open is rolled back. Never earlier: a client that hangs up
 * mid-operation does not end the transaction under resolvers that are still running (their next
 * statement would otherwise go to a connection already back in the pool, perhaps another request's).
 */
function endingItsTransaction(logger: Logger, graphql: RequestHandler): RequestHandler {
  return async (req, res, next) => {
    try {
      await graphql(req, res, next);
    } finally {
      const ctx = contexts.get(res);
      if (ctx) await ctx.tx.finish(false).catch((err: unknown) => logger.error({ request_id: ctx.request.id, err: errorSummary(err, ctx.request.inputs) }, 'rollback failed'));
    }
  };
}
