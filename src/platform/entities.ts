import { TenantOwnedSchema } from '../db/tenant-owned.ts';
import { SigningKeySchema } from './keys/signing-key.entity.ts';

/** The entities of the layers below the modules: the tenant-owned base, and the signing keys. */
export const PLATFORM_ENTITIES = [TenantOwnedSchema, SigningKeySchema] as const;
