import { pino, type DestinationStream, type Logger } from 'pino';
import { redactSecrets } from './redact.ts';

export type { Logger };

/** Fields redacted at the top level of a log object and one level down, whatever the level. */
const SECRET_FIELDS = ['password', 'token', 'accessToken', 'refreshToken', 'mfaCode', 'secret', 'otpauthUri'];

/**
 * Structured JSON logs, one object per line, to stdout (or `destination`: tests capture it).
 * Credentials are redacted by path whatever the level; nothing logs request bodies or variables.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'orgbound' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', ...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`)],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * What of an unexpected error goes to the log: its type, codes, a scrubbed message and its stack
 * frames. The message is dropped when it quotes SQL (MikroORM inlines parameter values: hashes,
 * emails, names); otherwise every string of the request that caused it (`inputs`: its password,
 * codes, tokens, variables) and anything shaped like an orgbound secret is replaced by [redacted]
 * (src/platform/observability/redact.ts). The stack keeps only its `at` lines: its first line repeats the
 * message.
 */
export function errorSummary(err: unknown, inputs: Iterable<string> = []): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const e = err as Error & { code?: unknown; constraint?: unknown; table?: unknown };
  const message = String(e.message);
  const quotesSql = /\b(insert into|update|delete from|select)\b/i.test(message);
  const safe = (v: unknown) => (typeof v === 'string' ? redactSecrets(v, inputs).slice(0, 100) : undefined);
  return {
    type: e.name,
    ...(safe(e.code) ? { code: safe(e.code) } : {}),
    ...(safe(e.constraint) ? { constraint: safe(e.constraint) } : {}),
    ...(safe(e.table) ? { table: safe(e.table) } : {}),
    message: quotesSql ? '[SQL statement elided]' : redactSecrets(message.slice(0, 2000), inputs).slice(0, 500),
    stack: e.stack
      ?.split('\n')
      .filter((line) => /^\s+at /.test(line))
      .slice(0, 7)
      .join('\n'),
  };
}
