import { EntitySchema } from '@mikro-orm/core';

/** One device's sign-in: the refresh-token family and the `sid` of its access tokens. */
export class DeviceSession {
  id!: string;
  userId!: string;
  deviceName!: string;
  createdAt!: Date;
  lastUsedAt!: Date;
  /** Absolute end of the session. */
  expiresAt!: Date;
  revokedAt?: Date | null;
  /** Session-per-org: set when the session was opened for one organization only. */
  boundOrgId?: string | null;
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
    revokedAt: { type: 'Date', fieldName: 'revoked_at', nullable: true },
    boundOrgId: { type: 'uuid', fieldName: 'bound_org_id', nullable: true },
  },
});
