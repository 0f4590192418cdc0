/**
 * The words every layer shares: sensitivity tiers, roles, the security events the log knows, and how
 * a refresh token was retired. Pure data; the modules own the tables that store them.
 */

export const TIERS = ['STANDARD', 'CONFIDENTIAL', 'REGULATED'] as const;
export type Tier = (typeof TIERS)[number];

export const ROLES = ['OWNER', 'ADMIN', 'MEMBER'] as const;
export type Role = (typeof ROLES)[number];

/** Every type of security event, in the order the API documents them (schema/audit.graphql). */
export const SECURITY_EVENT_TYPES = [
  'SIGN_IN_SUCCEEDED',
  'SIGN_IN_FAILED',
  'REFRESH_TOKEN_REUSED',
  'SESSION_SIGNED_OUT',
  'SESSION_REVOKED',
  'SESSIONS_REVOKED_ALL',
  'MEMBER_SESSIONS_REVOKED',
  'MEMBER_INVITED',
  'MEMBER_JOINED',
  'MEMBER_REMOVED',
  'ORGANIZATION_SWITCHED',
  'MFA_ENROLLED',
  'MFA_PASSED',
  'MFA_FAILED',
  'SESSION_POLICY_UPDATED',
  'ORGANIZATION_TIER_RAISED',
  'SIGNING_KEY_ROTATED',
  'CROSS_TENANT_ACCESS_DENIED',
  'SERVICE_ACCOUNT_CREATED',
  'SERVICE_ACCOUNT_SECRET_ROTATED',
  'SERVICE_ACCOUNT_REVOKED',
  'SERVICE_TOKEN_ISSUED',
  'AGENT_DELEGATED',
] as const;
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/** How a refresh token was retired: by `refreshSession` (its successor is derived from it) or by a switch. */
export type RetiredBy = 'refresh' | 'switch';

/** Why a device session ended (device_sessions.revoke_reason). */
export type RevokeReason = 'SIGN_OUT' | 'REVOKED' | 'REVOKED_ALL' | 'REVOKED_BY_ADMIN' | 'REVOKED_BY_OPERATOR' | 'REFRESH_TOKEN_REUSED' | 'MEMBER_REMOVED';
