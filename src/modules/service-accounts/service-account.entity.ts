import { EntitySchema } from '@mikro-orm/core';
import { TenantOwned, TenantOwnedSchema } from '../../db/tenant-owned.ts';

/** A machine identity owned by one org (issue 7). Its secret is stored only as a SHA-256 hash. */
export class ServiceAccount extends TenantOwned {
  id!: string;
  name!: string;
  scopes!: string[];
  secretHash!: string;
  previousSecretHash!: string | null;
  previousSecretExpiresAt!: Date | null;
  createdBy!: string;
  createdAt!: Date;
  revokedAt!: Date | null;
}

export const ServiceAccountSchema = new EntitySchema<ServiceAccount, TenantOwned>({
  class: ServiceAccount,
  extends: TenantOwnedSchema,
  tableName: 'service_accounts',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'string' },
    scopes: { type: 'string[]', columnType: 'text[]' },
    secretHash: { type: 'string', fieldName: 'secret_hash', hidden: true },
    previousSecretHash: { type: 'string', fieldName: 'previous_secret_hash', nullable: true, hidden: true },
    previousSecretExpiresAt: { type: 'Date', fieldName: 'previous_secret_expires_at', nullable: true },
    createdBy: { type: 'uuid', fieldName: 'created_by' },
    createdAt: { type: 'Date', fieldName: 'created_at' },
    revokedAt: { type: 'Date', fieldName: 'revoked_at', nullable: true },
  },
});
