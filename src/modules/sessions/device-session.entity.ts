import { EntitySchema } from '@mikro-orm/core';
import type { SessionPolicy } from '../../core/policy/session-policy.ts';
export { sessionEnd } from '../../core/policy/session-ends.ts';

import type { RevokeReason } from '../../core/vocabulary.ts';


/** One device's sign-in: the refresh-token family and the `sid` of its access tokens. */
export class DeviceSession {
  id!: string;
  userId!: string;
  deviceName!: string;
  createdAt!: Date;
  lastUsedAt!: Date;
  /** Absolute end of the session (its policy's absolute lifetime from creation). */
  expiresAt!: Date;
  /** Idle end: the current refresh token's expiry. Moves forward with each rotation, never past `expiresAt`. */
  idleExpiresAt!: Date;
  revokedAt?: Date | null;
  revokeReason?: RevokeReason | null;
  /** Session-per-org: set when the session was opened for one organization only. */
  boundOrgId?: string | null;
  /** The org that `refreshSession` mints access tokens for (the last one entered), or null. */
  activeOrgId?: string | null;
  /** Every org this session has entered: its policy is the strictest of theirs. */
  enteredOrgIds!: string[];
  /** The effective policy: only ever tightened for the life of the session. */
  policy!: SessionPolicy;
  /** When the user last authenticated (password) on this session: `auth_time`. */
  authTime!: Date;
  /** Authentication methods passed on this session (RFC 8176): `amr`. */
  amr!: string[];
  /** When this session last passed MFA, or null. */
  mfaAt?: Date | null;
}

export const DeviceSessionSchema = new EntitySchema<DeviceSession>({
  class: DeviceSession,
  tableName: 'device_sessions',
  properties: {
    id: { type: 'uuid', primary: true },
    userId: { type: 'uuid', fieldName: 'user_id' },
    deviceName: { type: 'string', fieldName: 'device_name' },
    createdAt: { type: 'Date', fieldName: 'created_at' },
    lastUsedAt: { type: 'Date', fieldName: 'last_used_at' },
    expiresAt: { type: 'Date', fieldName: 'expires_at' },
    idleExpiresAt: { type: 'Date', fieldName: 'idle_expires_at' },
    revokedAt: { type: 'Date', fieldName: 'revoked_at', nullable: true },
    revokeReason: { type: 'string', fieldName: 'revoke_reason', nullable: true },
    boundOrgId: { type: 'uuid', fieldName: 'bound_org_id', nullable: true },
    activeOrgId: { type: 'uuid', fieldName: 'active_org_id', nullable: true },
    enteredOrgIds: { type: 'uuid[]', fieldName: 'entered_org_ids' },
    policy: { type: 'json', fieldName: 'policy' },
    authTime: { type: 'Date', fieldName: 'auth_time' },
    amr: { type: 'string[]', fieldName: 'amr' },
    mfaAt: { type: 'Date', fieldName: 'mfa_at', nullable: true },
  },
});
