import { DeviceSessionSchema } from '../auth/device-session.entity.ts';
import { RefreshTokenSchema } from '../auth/refresh-token.entity.ts';
import { SigningKeySchema } from '../auth/signing-key.entity.ts';
import { UserSchema } from '../auth/user.entity.ts';
import { InvitationSchema } from '../organizations/invitation.entity.ts';
import { MembershipSchema } from '../organizations/membership.entity.ts';
import { OrganizationSchema } from '../organizations/organization.entity.ts';
import { ProjectSchema } from '../projects/project.entity.ts';
import { TaskSchema } from '../projects/task.entity.ts';
import { ServiceAccountSchema } from '../service-accounts/service-account.entity.ts';
import { TenantOwnedSchema } from './tenant-owned.ts';

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
