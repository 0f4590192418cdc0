import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs. Credentials are redacted by path, whatever the log level. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'orgbound' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.refreshToken', '*.accessToken', '*.token'],
      censor: '[redacted]',
    },
  });
}

/**
 * What of an unexpected error goes to the log: its type, codes and stack frames, not its message
 * when that message quotes SQL (MikroORM inlines parameter values: hashes, emails, names).
 */
export function errorSummary(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const e = err as Error & { code?: string; constraint?: string; table?: string };
  const quotesSql = /\b(insert into|update|delete from|select)\b/i.test(e.message);
  return {
    type: e.name,
    ...(e.code ? { code: e.code } : {}),
    ...(e.constraint ? { constraint: e.constraint } : {}),
    ...(e.table ? { table: e.table } : {}),
    message: quotesSql ? '[SQL statement elided]' : e.message.slice(0, 500),
    stack: e.stack?.split('\n').slice(1, 8).join('\n'),
  };
}
