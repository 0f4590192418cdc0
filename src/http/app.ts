import { expressMiddleware } from '@as-integrations/express5';
import type { ApolloServer } from '@apollo/server';
import cors from 'cors';
import express, { type ErrorRequestHandler } from 'express';
import type { AppServices } from '../app-services.ts';
import { databaseIsReady } from '../db/health.ts';
import { buildContext, type RequestContext } from '../graphql/context.ts';
import { addressSubject } from '../limits/client-address.ts';
import { errorSummary, type Logger } from '../logger.ts';

/** Largest GraphQL request body accepted. */
export const BODY_LIMIT = '100kb';

/**
 * The HTTP surface of ../shared/API.md. The Authorization header is the only request input the
 * GraphQL context takes identity or tenant from; the client address goes to the rate limits only.
 */
export function createHttpApp(services: AppServices, apollo: ApolloServer<RequestContext>, logger: Logger): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-For is believed only from the configured proxies (TRUST_PROXY); by default from none.
  const proxies = services.config.trustProxy;
  app.set('trust proxy', proxies.length > 0 ? [...proxies] : false);

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

  const origins = services.config.corsOrigins;
  app.use(
    '/graphql',
    cors({ origin: origins.length > 0 ? [...origins] : false, allowedHeaders: ['Authorization', 'Content-Type', 'Apollo-Require-Preflight'], maxAge: 600 }),
    express.json({ limit: BODY_LIMIT }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const ctx = await buildContext(services, req.headers.authorization, addressSubject(req.ip ?? req.socket.remoteAddress));
        // Safety net: if Apollo never reaches willSendResponse, the transaction still ends.
        res.once('close', () => void ctx.tx.finish(false).catch((err: unknown) => logger.error({ err: errorSummary(err) }, 'rollback failed')));
        return ctx;
      },
    }),
  );

  const bodyErrors: ErrorRequestHandler = (err: { type?: string; status?: number }, _req, res, next) => {
    if (err.type === 'entity.too.large') return void res.status(413).json({ errors: [{ message: 'Request body too large', extensions: { code: 'BAD_REQUEST' } }] });
    if (err.type === 'entity.parse.failed') return void res.status(400).json({ errors: [{ message: 'Malformed JSON body', extensions: { code: 'BAD_REQUEST' } }] });
    if (err.status && err.status < 500) return void res.status(err.status).json({ errors: [{ message: 'Bad request', extensions: { code: 'BAD_REQUEST' } }] });
    next(err);
  };
  const lastResort: ErrorRequestHandler = (err, _req, res, _next) => {
    logger.error({ err: errorSummary(err) }, 'unhandled HTTP error');
    res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
  };
  app.use(bodyErrors, lastResort);
  return app;
}
