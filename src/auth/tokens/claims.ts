import { z } from 'zod';
import { ROLES } from '../../organizations/membership.entity.ts';
import { TIERS } from '../../organizations/organization.entity.ts';

/** JOSE `typ` of access tokens (RFC 9068 section 2.1): other JWTs cannot pass as access tokens. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/**
 * Claims of a verified access token (../shared/API.md, Tokens). `org_id` is the only source of the
 * active tenant; it is absent for a user signed in without an organization.
 */
export const accessClaimsSchema = z.object({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  sub: z.uuid(),
  sid: z.uuid(),
  jti: z.string().min(16).max(64),
  iat: z.number().int(),
  exp: z.number().int(),
  auth_time: z.number().int(),
  amr: z.array(z.string().max(16)).max(8),
  client_id: z.string().max(64),
  org_id: z.uuid().optional(),
  tier: z.enum(TIERS).optional(),
  role: z.enum(ROLES).optional(),
});

export type AccessClaims = z.infer<typeof accessClaimsSchema>;
