import { ErrorCode } from '../errors.ts';
import type { SessionPolicy } from '../policy/session-policy.ts';

/** The outcome of checking the TOTP code sent with the request (I/O done by the caller). */
export type CodeCheck = 'absent' | 'valid' | 'invalid';

export interface EntryInput {
  /** `signIn` opens a new session; `switch` moves an existing one. */
  readonly via: 'signIn' | 'switch';
  readonly targetOrgId: string;
  /** The target org's effective policy. */
  readonly policy: SessionPolicy;
  /** The user's membership of the target org is live. */
  readonly member: boolean;
  /** The switching session, null for a sign-in. */
  readonly session: { readonly boundOrgId: string | null; readonly mfaAt: Date | null } | null;
  readonly hasTotp: boolean;
  readonly code: CodeCheck;
}

export type EntryDecision =
  | { readonly kind: 'enter'; readonly mfaAt: Date | null; readonly bind: boolean }
  | {
      readonly kind: 'deny';
      readonly code:
        | typeof ErrorCode.FORBIDDEN
        | typeof ErrorCode.REAUTHENTICATION_REQUIRED
        | typeof ErrorCode.MFA_REQUIRED
        | typeof ErrorCode.MFA_ENROLLMENT_REQUIRED;
      readonly message: string;
    };

/**
 * May this user enter the target org now (docs/ARCHITECTURE.md, Sessions)? Pure: table-tested in
 * test/unit/decide-entry.test.ts. In order: live membership; a bound session serves its own org only,
 * and an isolated (session-per-org) org is never entered by a switch; then MFA: a valid code now, or
 * (switch only) an earlier MFA of this session within the policy's mfaMaxAgeSeconds. An MFA age of 0
 * means "at that very sign-in", so an earlier MFA never counts for it.
 */
export function decideEntry(input: EntryInput, now: Date): EntryDecision {
  if (!input.member) return deny(ErrorCode.FORBIDDEN, 'Not a member of that organization');
  const bound = input.session?.boundOrgId ?? null;
  if (input.via === 'switch' && bound !== null && bound !== input.targetOrgId) {
    return deny(ErrorCode.REAUTHENTICATION_REQUIRED, 'This session is bound to another organization: sign in to that organization');
  }
  if (input.via === 'switch' && input.policy.isolatedSession && bound !== input.targetOrgId) {
    return deny(ErrorCode.REAUTHENTICATION_REQUIRED, 'This organization requires its own sign-in (signIn with organizationId)');
  }
  const earlier = input.via === 'switch' ? (input.session?.mfaAt ?? null) : null;
  const bind = input.via === 'signIn' && input.policy.isolatedSession;
  if (input.code === 'valid') return { kind: 'enter', mfaAt: now, bind };
  if (!input.policy.mfaRequired) {
    if (input.code === 'invalid') return deny(ErrorCode.MFA_REQUIRED, 'Invalid or already used MFA code');
    return { kind: 'enter', mfaAt: earlier, bind };
  }
  if (input.code === 'invalid') return deny(ErrorCode.MFA_REQUIRED, 'Invalid or already used MFA code');
  if (input.policy.mfaMaxAgeSeconds > 0 && mfaIsFresh(input.policy, earlier, now)) return { kind: 'enter', mfaAt: earlier, bind };
  if (!input.hasTotp) return deny(ErrorCode.MFA_ENROLLMENT_REQUIRED, 'This organization requires multi-factor authentication: enroll TOTP first');
  return deny(ErrorCode.MFA_REQUIRED, 'This organization requires a recent MFA code');
}

function deny(code: Extract<EntryDecision, { kind: 'deny' }>['code'], message: string): EntryDecision {
  return { kind: 'deny', code, message };
}

/**
 * Whether MFA passed at `mfaAt` satisfies `policy` at `now`. Pure. Without mfaRequired, always. An age
 * of 0 ("at that sign-in", session-per-org) is satisfied by the MFA of the sign-in that opened the
 * session, so for a session that is any MFA at all; an earlier session's MFA never reaches it
 * because decideEntry never carries one over for it.
 */
export function mfaIsFresh(policy: Pick<SessionPolicy, 'mfaRequired' | 'mfaMaxAgeSeconds'>, mfaAt: Date | null, now: Date): boolean {
  if (!policy.mfaRequired) return true;
  if (mfaAt === null) return false;
  if (policy.mfaMaxAgeSeconds === 0) return true;
  return now.getTime() - mfaAt.getTime() <= policy.mfaMaxAgeSeconds * 1000;
}

/**
 * A sign-in without an organization: nothing to enter, no policy to meet, but a code that was sent
 * must be right (a wrong or replayed one is MFA_REQUIRED, never silently ignored: the client asked
 * for an MFA'd session). Pure: table-tested in test/unit/decisions.test.ts.
 */
export function decideEntryWithoutOrg(code: CodeCheck, now: Date): EntryDecision {
  if (code === 'invalid') return deny(ErrorCode.MFA_REQUIRED, 'Invalid or already used MFA code');
  return { kind: 'enter', mfaAt: code === 'valid' ? now : null, bind: false };
}
