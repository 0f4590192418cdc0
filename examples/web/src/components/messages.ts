import { errorCode } from '../api/errors';

const MESSAGES: Readonly<Record<string, string>> = {
  UNAUTHENTICATED: 'Wrong email or password.',
  MFA_REQUIRED: 'That code was not accepted: enter the current code from your authenticator app.',
  RATE_LIMITED: 'Too many attempts: wait a few minutes and try again.',
  REFRESH_TOKEN_REUSED: 'Your refresh token was used twice, so every session of your account was signed out.',
  SESSION_REVOKED: 'This session was signed out.',
  SESSION_EXPIRED: 'Your session expired.',
  NETWORK_ERROR: 'The connection was lost while renewing your session.',
};

/** A sentence for the user; the contract code decides it, never the server's message. */
export function describeCode(code: string): string {
  return MESSAGES[code] ?? `The API refused this (${code}).`;
}

export function describeError(err: unknown): string {
  const code = errorCode(err);
  if (code) return describeCode(code);
  return err instanceof TypeError ? 'The API cannot be reached.' : 'Something went wrong.';
}
