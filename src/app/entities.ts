import { DeviceSessionSchema } from '../modules/sessions/device-session.entity.ts';
import { RefreshTokenSchema } from '../modules/sessions/refresh-token.entity.ts';
import { SigningKeySchema } from '../platform/keys/signing-key.entity.ts';
import { UserSchema } from '../modules/identity/user.entity.ts';
import { InvitationSchema } from '../modules/organizations/invitation.entity.ts';
import { MembershipSchema } from '../modules/organizations/membership.entity.ts';
import { OrganizationSchema } from '../modules/organizations/organization.entity.ts';
import { ProjectSchema } from '../modules/projects/project.entity.ts';
import { TaskSchema } from '../modules/projects/task.entity.ts';
import { ServiceAccountSchema } from '../modules/service-accounts/service-account.entity.ts';
import { TenantOwnedSchema } from '../db/tenant-owned.ts';

/**
 * Every entity the ORM knows. Explicit rather than discovered by glob so that tsx (no decorator
 * metadata) and the CLI see the same list; the isolation tests iterate the resulting metadata.
 */
export const entities = [
  TenantOwnedSchema,
  UserSchema,
  DeviceSessionSchema,
  RefreshTokenSchema,
  SigningKeySchema,
  OrganizationSchema,
  MembershipSchema,
  InvitationSchema,
  ProjectSchema,
  TaskSchema,
  ServiceAccountSchema,
];
