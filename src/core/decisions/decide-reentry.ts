export type Reentry =
  /** The session goes on in its active org. */
  | { readonly kind: 'enter' }
  /** The session had no active org: it goes on without one. */
  | { readonly kind: 'no_org' }
  /** The membership ended, or the org now isolates its sessions: an unbound session goes on without an org. */
  | { readonly kind: 'leave_org' }
  /** A session bound to that org (session-per-org) has nothing left to serve: it ends. */
  | { readonly kind: 'revoke_bound' };

export interface ReentryInput {
  /** The org the session was serving (device_sessions.active_org_id), or null. */
  readonly activeOrgId: string | null;
  /** The org a session-per-org session was opened for, or null. */
  readonly boundOrgId: string | null;
  /** The user's live membership of the active org, with whether that org isolates its sessions; null when gone. */
  readonly membership: { readonly isolatedSession: boolean } | null;
}

/**
 * What a refresh does with the org its session was serving. Pure: table-tested in
 * test/unit/decisions.test.ts. An org that isolates its sessions (it may have turned that on since
 * the session entered it) is never served to a session that is not bound to it.
 */
export function decideReentry(input: ReentryInput): Reentry {
  if (!input.activeOrgId) return { kind: 'no_org' };
  if (input.membership && (!input.membership.isolatedSession || input.boundOrgId === input.activeOrgId)) return { kind: 'enter' };
  return input.boundOrgId ? { kind: 'revoke_bound' } : { kind: 'leave_org' };
}
