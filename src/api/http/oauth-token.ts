import express, { type RequestHandler } from 'express';
import type { AppServices } from '../../platform/services.ts';
import { isConnectionError } from '../../db/connection-errors.ts';
import { AppError, ErrorCode } from '../../core/errors.ts';
import { errorSummary, type Logger } from '../../platform/observability/logger.ts';
import { clientCredentialsGrant, OAuthError } from '../../modules/service-accounts/index.ts';

/**
 * POST /oauth/token: the client credentials grant (RFC 6749 section 4.4) for service accounts.
 * Form-encoded body; the client authenticates with HTTP Basic (section 2.3.1, the preferred way) or
 * with client_id/client_secret in the body, never both. Errors are OAuth's JSON (section 5.2):
 * invalid_request, invalid_client (401, with WWW-Authenticate when Basic was used),
 * unsupported_grant_type, invalid_scope; too many attempts per client id answer 429 slow_down; a
 * database that cannot be reached answers 503 temporarily_unavailable (section 4.1.2.1's code, which
 * clients of the token endpoint also know). Every answer carries Cache-Control: no-store (section 5.1).
 */
export function oauthTokenEndpoint(services: AppServices, logger: Logger): RequestHandler[] {
  const handler: RequestHandler = async (req, res) => {
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    const fail = (err: OAuthError, basic = false) => {
      if (err.status === 401 && basic) res.set('WWW-Authenticate', 'Basic realm="orgbound", charset="UTF-8"');
      res.status(err.status).json({ error: err.error, error_description: err.description });
    };
    if (!req.is('application/x-www-form-urlencoded')) return fail(new OAuthError(400, 'invalid_request', 'The body must be application/x-www-form-urlencoded'));
    const body = (req.body ?? {}) as Record<string, unknown>;
    // A parameter sent twice arrives as an array: refused (section 3.2, "MUST NOT be included more than once").
    const param = (name: string): string | undefined | null => {
      const v = body[name];
      if (v === undefined) return undefined;
      return typeof v === 'string' ? v : null;
    };
    const names = ['grant_type', 'client_id', 'client_secret', 'scope'] as const;
    if (names.some((n) => param(n) === null)) return fail(new OAuthError(400, 'invalid_request', 'A parameter was sent more than once'));
    const grantType = param('grant_type');
    if (!grantType) return fail(new OAuthError(400, 'invalid_request', 'grant_type is required'));
    if (grantType !== 'client_credentials') return fail(new OAuthError(400, 'unsupported_grant_type', 'Only client_credentials is supported'));

    const authorization = req.headers.authorization;
    let clientId: string | undefined;
    let secret: string | undefined;
    const basic = authorization !== undefined;
    if (basic) {
      const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(authorization);
      const decoded = m?.[1] ? Buffer.from(m[1], 'base64').toString('utf8') : '';
      const colon = decoded.indexOf(':');
      if (colon < 0) return fail(new OAuthError(401, 'invalid_client', 'Malformed HTTP Basic credentials'), true);
      if (param('client_secret') !== undefined) return fail(new OAuthError(400, 'invalid_request', 'Use one client authentication method only'));
      try {
        clientId = decodeURIComponent(decoded.slice(0, colon));
        secret = decodeURIComponent(decoded.slice(colon + 1));
      } catch {
        return fail(new OAuthError(401, 'invalid_client', 'Malformed HTTP Basic credentials'), true);
      }
      const bodyId = param('client_id');
      if (bodyId !== undefined && bodyId !== clientId) return fail(new OAuthError(400, 'invalid_request', 'client_id does not match the authenticated client'));
    } else {
      clientId = param('client_id') ?? undefined;
      secret = param('client_secret') ?? undefined;
      if (!clientId || !secret) return fail(new OAuthError(401, 'invalid_client', 'Client authentication is required'));
    }
    if (clientId.length > 128 || secret.length > 128) return fail(new OAuthError(401, 'invalid_client', 'Client authentication failed'), basic);
    const scope = param('scope') ?? undefined;
    try {
      res.status(200).json(await clientCredentialsGrant(services, clientId, secret, scope));
    } catch (err) {
      if (err instanceof OAuthError) return fail(err, basic);
      if (err instanceof AppError && err.code === ErrorCode.RATE_LIMITED) {
        res.set('Retry-After', '60');
        return void res.status(429).json({ error: 'slow_down', error_description: 'Too many token requests for this client: try again later' });
      }
      if (isConnectionError(err) || (err instanceof AppError && err.code === ErrorCode.SERVICE_UNAVAILABLE)) {
        logger.warn({ request_id: res.locals.requestId, err: errorSummary(err) }, 'database unavailable: answered 503');
        return void res.status(503).json({ error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable: try again later' });
      }
      logger.error({ request_id: res.locals.requestId, err: errorSummary(err) }, 'token endpoint failed');
      res.status(500).json({ error: 'server_error', error_description: 'Internal server error' });
    }
  };
  return [express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 }), handler];
}
