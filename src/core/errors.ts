import { GraphQLError } from 'graphql';

/** The contract's error codes (docs/API.md), surfaced as `errors[].extensions.code`. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  SESSION_REVOKED: 'SESSION_REVOKED',
  SESSION_EXPIRED: 'SESSION_EXPIRED',
  REFRESH_TOKEN_REUSED: 'REFRESH_TOKEN_REUSED',
  FORBIDDEN: 'FORBIDDEN',
  MFA_REQUIRED: 'MFA_REQUIRED',
  MFA_ENROLLMENT_REQUIRED: 'MFA_ENROLLMENT_REQUIRED',
  REAUTHENTICATION_REQUIRED: 'REAUTHENTICATION_REQUIRED',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  RATE_LIMITED: 'RATE_LIMITED',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  /** The database cannot be reached right now (down, restarting): nothing was done, retry later. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  SESSION_REVOKED: 401,
  SESSION_EXPIRED: 401,
  SERVICE_UNAVAILABLE: 503,
  // Refused before execution (the cost limit, src/api/graphql/query-limits.ts): a client error.
  QUERY_TOO_COMPLEX: 400,
};

/**
 * A domain error with a contract code. Services throw these; the GraphQL layer passes them through
 * unchanged (everything else is masked). Messages must never say whether another tenant's object exists.
 */
export class AppError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Why, for the log and the tests only (a token refusal's TokenRefusal): never in the response. */
    readonly reason?: string,
  ) {
    const status = HTTP_STATUS[code];
    super(message, { extensions: { code, ...(status ? { http: { status } } : {}) } });
    this.name = 'AppError';
  }
}

/** BAD_USER_INPUT raised before execution (operation variables): HTTP 400, as Apollo answers its own input errors. */
export function badRequestInput(message: string): AppError {
  const err = badInput(message);
  (err.extensions as Record<string, unknown>).http = { status: 400 };
  return err;
}

export const notFound = (what: string): AppError => new AppError(ErrorCode.NOT_FOUND, `${what} not found`);
export const badInput = (message: string): AppError => new AppError(ErrorCode.BAD_USER_INPUT, message);
export const forbidden = (message = 'Forbidden'): AppError => new AppError(ErrorCode.FORBIDDEN, message);
export const unauthenticated = (message = 'Not signed in'): AppError => new AppError(ErrorCode.UNAUTHENTICATED, message);
/** The one answer to a request the database could not serve (src/db/connection-errors.ts): says nothing more. */
export const serviceUnavailable = (): AppError => new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'Service unavailable');
