import { EntitySchema } from '@mikro-orm/core';

import type { RetiredBy } from '../../core/vocabulary.ts';


/**
 * A member of a device session's refresh family. Only the SHA-256 of the opaque token is kept.
 * A retired token keeps its row: presenting it again is how reuse is detected.
 */
export class RefreshToken {
  id!: string;
  sessionId!: string;
  /** The token this one replaced, null for the first of the family. */
  parentId?: string | null;
  tokenHash!: string;
  createdAt!: Date;
  expiresAt!: Date;
  /** Set when this token was exchanged for its successor. */
  rotatedAt?: Date | null;
  /** How it was retired: by `refreshSession` (its successor is derived from it) or by a switch. */
  retiredBy?: RetiredBy | null;
}

export const RefreshTokenSchema = new EntitySchema<RefreshToken>({
  class: RefreshToken,
  tableName: 'refresh_tokens',
  properties: {
    id: { type: 'uuid', primary: true },
    sessionId: { type: 'uuid', fieldName: 'session_id' },
    parentId: { type: 'uuid', fieldName: 'parent_id', nullable: true },
    tokenHash: { type: 'string', fieldName: 'token_hash', unique: true },
    createdAt: { type: 'Date', fieldName: 'created_at' },
    expiresAt: { type: 'Date', fieldName: 'expires_at' },
    rotatedAt: { type: 'Date', fieldName: 'rotated_at', nullable: true },
    retiredBy: { type: 'string', fieldName: 'retired_by', nullable: true },
  },
});
