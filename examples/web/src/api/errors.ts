/** A GraphQL error answered by the API, with its contract code (`errors[0].extensions.code`). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The session is over: sign in again (README "Device sessions"). */
export class SessionEndedError extends Error {
  constructor(readonly code: string) {
    super(`The session has ended (${code}): sign in again`);
    this.name = 'SessionEndedError';
  }
}

/** Refresh outcomes after which the refresh token can never work again. */
export const SESSION_ENDED_CODES: ReadonlySet<string> = new Set(['REFRESH_TOKEN_REUSED', 'SESSION_REVOKED', 'SESSION_EXPIRED', 'UNAUTHENTICATED']);

/** The contract code of an error, or undefined for anything that is not an API answer. */
export function errorCode(err: unknown): string | undefined {
  return err instanceof ApiError || err instanceof SessionEndedError ? err.code : undefined;
}
