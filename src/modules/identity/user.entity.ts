import { EntitySchema } from '@mikro-orm/core';

/** Identity data: not tenant-owned, reached only through the auth and organization services. */
export class User {
  id!: string;
  /** Stored lower-cased; unique across the installation. */
  email!: string;
  /** argon2id PHC string. */
  passwordHash!: string;
  displayName?: string | null;
  createdAt!: Date;
  /** The confirmed TOTP secret, envelope-encrypted (context `totp:<user id>`). */
  totpSecretSealed?: string | null;
  /** A secret from beginTotpEnrollment awaiting its first code. */
  totpPendingSealed?: string | null;
  totpEnabledAt?: Date | null;
  /** The last accepted TOTP time step: a code for this step or an earlier one is a replay. */
  totpLastStep?: number | null;
}

export const UserSchema = new EntitySchema<User>({
  class: User,
  tableName: 'users',
  properties: {
    id: { type: 'uuid', primary: true },
    email: { type: 'string', unique: true },
    passwordHash: { type: 'string', fieldName: 'password_hash', hidden: true },
    displayName: { type: 'string', fieldName: 'display_name', nullable: true },
    createdAt: { type: 'Date', fieldName: 'created_at' },
    totpSecretSealed: { type: 'text', fieldName: 'totp_secret_sealed', nullable: true, hidden: true },
    totpPendingSealed: { type: 'text', fieldName: 'totp_pending_sealed', nullable: true, hidden: true },
    totpEnabledAt: { type: 'Date', fieldName: 'totp_enabled_at', nullable: true },
    totpLastStep: { type: 'bigint', fieldName: 'totp_last_step', nullable: true, runtimeType: 'number' },
  },
});
