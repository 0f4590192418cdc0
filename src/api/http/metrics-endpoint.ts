import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Config } from '../../platform/config.ts';
import type { Metrics } from '../../platform/observability/metrics.ts';

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * GET /metrics (Prometheus text format). With METRICS_TOKEN set it needs `Authorization: Bearer
 * <METRICS_TOKEN>` (401 otherwise). Without one it is open outside production, and not served in
 * production (404): metrics describe the service's traffic and must not be public by accident.
 */
export function metricsEndpoint(metrics: Metrics, config: Config): RequestHandler {
  const expected = config.metricsToken ? sha256(config.metricsToken) : null;
  return async (req, res) => {
    if (!expected && config.production) return void res.status(404).json({ error: 'not found' });
    if (expected) {
      const given = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      // Hashing first gives equal lengths, so the comparison takes the same time whatever was sent.
      if (!given || !timingSafeEqual(sha256(given), expected)) {
        return void res.status(401).set('WWW-Authenticate', 'Bearer realm="metrics"').json({ error: 'unauthorized' });
      }
    }
    const { contentType, body } = await metrics.scrape();
    res.set('Content-Type', contentType).set('Cache-Control', 'no-store').send(body);
  };
}
