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
  },
});
