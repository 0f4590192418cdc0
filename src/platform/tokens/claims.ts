import { z } from 'zod';
import { ROLES, TIERS } from '../../core/vocabulary.ts';

/** JOSE `typ` of access tokens (RFC 9068 section 2.1): other JWTs cannot pass as access tokens. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/**
 * Claims of a verified access token (docs/API.md, Tokens). `org_id` is the only source of the
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
  client_id: z.string().max(128),
  org_id: z.uuid().optional(),
  tier: z.enum(TIERS).optional(),
  role: z.enum(ROLES).optional(),
  /** Space-separated OAuth scopes (RFC 8693 section 4.2): service-account and agent tokens only. */
  scope: z.string().max(256).optional(),
  /** The acting party of a delegated (agent) token (RFC 8693 section 4.1): `agent:<name>`. */
  act: z.object({ sub: z.string().regex(/^agent:[A-Za-z0-9._-]{1,64}$/) }).optional(),
});

/** `client_id` of a service account's token: `sa.<org id>.<service account id>` (issue 7). */
export const SERVICE_CLIENT_ID = /^sa\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** A token of a service account (client credentials), told apart by its client_id. */
export function isServiceToken(claims: AccessClaims): boolean {
  return SERVICE_CLIENT_ID.test(claims.client_id);
}

export type AccessClaims = z.infer<typeof accessClaimsSchema>;
