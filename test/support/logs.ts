import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/platform/observability/logger.ts';

export interface LogCapture {
  /** A logger (the server's own createLogger) writing into this capture. */
  readonly logger: Logger;
  /** Everything written so far, as it was written. */
  text(): string;
  /** Every line parsed as JSON. */
  lines(): Record<string, unknown>[];
}

/** A pino logger at `level` whose output stays in memory. */
export function captureLogs(level = 'trace'): LogCapture {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const text = () => chunks.join('');
  return {
    logger: createLogger(level, stream),
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
