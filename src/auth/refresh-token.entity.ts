import { EntitySchema } from '@mikro-orm/core';

/** A member of a device session's refresh family. Only the SHA-256 of the opaque token is kept. */
export class RefreshToken {
  id!: string;
  sessionId!: string;
  tokenHash!: string;
  createdAt!: Date;
  expiresAt!: Date;
  /** Set when this token was exchanged for its successor. */
  rotatedAt?: Date | null;
}

export const RefreshTokenSchema = new EntitySchema<RefreshToken>({
  class: RefreshToken,
  tableName: 'refresh_tokens',
  properties: {
    id: { type: 'uuid', primary: true },
    sessionId: { type: 'uuid', fieldName: 'session_id' },
    tokenHash: { type: 'string', fieldName: 'token_hash', unique: true },
    createdAt: { type: 'Date', fieldName: 'created_at' },
    expiresAt: { type: 'Date', fieldName: 'expires_at' },
    rotatedAt: { type: 'Date', fieldName: 'rotated_at', nullable: true },
  },
});
