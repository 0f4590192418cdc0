/** One GraphQL error as orgbound sends it: the contract code is in `extensions.code`. */
export interface GraphqlError {
  readonly message: string;
  readonly extensions?: { readonly code?: string };
}

/**
 * The session is over and no refresh can bring it back: sign in again. `code` says why.
 * - `REFRESH_TOKEN_REUSED`: a refresh token was presented twice. The server revoked every session of
 *   the user (RFC 9700 section 4.14.2); someone else may hold a copy of a token: find out where.
 * - `SESSION_REVOKED`: signed out, revoked by an admin, or (a service account) the account was revoked.
 * - `SESSION_EXPIRED`: the idle or absolute end of the session passed.
 * - `UNAUTHENTICATED` (from a refresh only): the refresh token is unknown or was superseded by a switch.
 */
export const SESSION_ENDED_CODES = ['REFRESH_TOKEN_REUSED', 'SESSION_REVOKED', 'SESSION_EXPIRED'] as const;

/** An operation failed; `code` is the first error's contract code (README "HTTP surface"). */
export class OrgboundError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly errors: readonly GraphqlError[] = [],
  ) {
    super(message);
    this.name = 'OrgboundError';
  }
}

/** See SESSION_ENDED_CODES. The client refuses every later call with this error until it signs in again. */
export class SessionEndedError extends OrgboundError {
  constructor(code: string, errors: readonly GraphqlError[] = []) {
    super(`orgbound: the session has ended (${code}): ${ENDED_BECAUSE[code] ?? 'sign in again'}`, code, errors);
    this.name = 'SessionEndedError';
  }
}

const ENDED_BECAUSE: Record<string, string> = {
  REFRESH_TOKEN_REUSED: 'a refresh token was used twice, so the server revoked every session of this user; sign in again and find out where the token was copied',
  SESSION_REVOKED: 'it was signed out or revoked (or the service account was revoked)',
  SESSION_EXPIRED: 'it passed its idle or absolute end; sign in again',
  UNAUTHENTICATED: 'the refresh token is unknown or was superseded; sign in again',
};

/** The error for a GraphQL answer that carries errors. */
export function errorFromResponse(errors: readonly GraphqlError[], status: number): OrgboundError {
  const code = errors[0]?.extensions?.code;
  if (code && (SESSION_ENDED_CODES as readonly string[]).includes(code)) return new SessionEndedError(code, errors);
  return new OrgboundError(`orgbound: ${errors[0]?.message ?? `HTTP ${status}`}${code ? ` (${code})` : ''}`, code, errors);
}
