import autocannon from 'autocannon';
import { loadavg } from 'node:os';

/** One measurement of one request body against one server. */
export interface Sample {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly failures: number;
  /** The first failed answer, for the log. */
  readonly firstFailure?: string | undefined;
  /** 1-minute load average of the machine when the sample ended: a noisy neighbour shows here. */
  readonly loadAverage: number;
}

/**
 * Sends `body` to `url` for `seconds` over `tokens.length` connections, connection i always with
 * `tokens[i]` (one device session each), one request in flight per connection. Every response is
 * checked: non-2xx or a GraphQL error is a failure.
 *
 * Percentiles come from the raw response times (float milliseconds), not autocannon's histogram,
 * which records whole milliseconds: at p50 of a few ms that rounding alone would move a ratio by 20%.
 */
/**
 * An autocannon `setupClient` that pins connection i to slot `i % count` for the whole run; read it in
 * setupRequest/onResponse with `slotOf(context)`. A slot set in setupRequest would not stay: autocannon
 * rebuilds a connection's context from its initial context each time it loops over `requests` (with
 * one request: before every request), and builds the first request before setupClient runs (slot 0),
 * which is why the request is rebuilt here.
 */
export function pinConnectionSlots(count: number): (client: unknown) => void {
  let next = 0;
  return (client) => {
    const iterator = (client as { requestIterator: { initialContext: object; resetContext(): void; rebuildRequest(): void } }).requestIterator;
    iterator.initialContext = { slot: next++ % count };
    iterator.resetContext();
    iterator.rebuildRequest();
  };
}

/** The slot pinConnectionSlots gave this connection (0 while the first request is prebuilt). */
export const slotOf = (context: object): number => (context as { slot?: number }).slot ?? 0;

export async function measureRequest(url: string, body: string, tokens: readonly string[], seconds: number): Promise<Sample> {
  let failures = 0;
  let firstFailure: string | undefined;
  const timesMs: number[] = [];
  const request: autocannon.Request = {
    method: 'POST',
    path: new URL(url).pathname,
    setupRequest: (req, context) => ({ ...req, headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[slotOf(context)]}` }, body }),
    onResponse: (status, responseBody) => {
      if (status !== 200 || responseBody.includes('"errors"')) {
        failures++;
        firstFailure ??= `${status} ${responseBody.slice(0, 200)}`;
      }
    },
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url, connections: tokens.length, pipelining: 1, duration: seconds, requests: [request], setupClient: pinConnectionSlots(tokens.length) as never }, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      if (statusCode === 200) timesMs.push(responseTimeMs);
    });
  });
  const errors = result.errors + result.timeouts;
  return {
    rps: round2(result.requests.average),
    p50Ms: round2(percentile(timesMs, 0.5)),
    p99Ms: round2(percentile(timesMs, 0.99)),
    requests: result.requests.total,
    failures: failures + errors,
    firstFailure: firstFailure ?? (errors > 0 ? `${result.errors} connection errors, ${result.timeouts} timeouts` : undefined),
    loadAverage: round2(loadavg()[0]!),
  };
}

/** Nearest-rank percentile; NaN for no values. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const round2 = (n: number) => Math.round(n * 100) / 100;
