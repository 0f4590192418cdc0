import type { SessionPolicy } from './session-policy.ts';

/** A session's ends: its absolute end, and its idle end (the current refresh token's expiry). */
export interface SessionEnds {
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly idleExpiresAt: Date;
}

/** The idle end of a session refreshed at `now`: the policy's idle timeout from now, never past its absolute end. Pure. */
export function idleEnd(now: Date, policy: Pick<SessionPolicy, 'idleTimeoutSeconds'>, absoluteEnd: Date): Date {
  return new Date(Math.min(now.getTime() + policy.idleTimeoutSeconds * 1000, absoluteEnd.getTime()));
}

/**
 * The ends of a session that takes on `policy` (already the strictest of every org it entered) at
 * `now`. Pure: table-tested in test/unit/decisions.test.ts. Strictest wins and keeps winning: the ends
 * only ever move earlier, the absolute end to at most the policy's lifetime from creation, the idle
 * end to at most its idle timeout from now.
 */
export function tightenedEnds(session: SessionEnds, policy: Pick<SessionPolicy, 'absoluteTimeoutSeconds' | 'idleTimeoutSeconds'>, now: Date): { readonly expiresAt: Date; readonly idleExpiresAt: Date } {
  const expiresAt = new Date(Math.min(session.expiresAt.getTime(), session.createdAt.getTime() + policy.absoluteTimeoutSeconds * 1000));
  const idleExpiresAt = new Date(Math.min(session.idleExpiresAt.getTime(), idleEnd(now, policy, expiresAt).getTime()));
  return { expiresAt, idleExpiresAt };
}

/** The end of a session as the client sees it: the earlier of the idle and the absolute end. Pure. */
export function sessionEnd(session: Pick<SessionEnds, 'expiresAt' | 'idleExpiresAt'>): Date {
  return session.idleExpiresAt < session.expiresAt ? session.idleExpiresAt : session.expiresAt;
}

/** `amr` after an MFA just passed (RFC 8176: "otp" once). Pure. */
export function withOtp(amr: readonly string[]): string[] {
  return amr.includes('otp') ? [...amr] : [...amr, 'otp'];
}
