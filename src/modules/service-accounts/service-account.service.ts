import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { AppServices } from '../../platform/services.ts';
import { DeviceSession, sessionEnd } from '../sessions/device-session.entity.ts';
import { activeSigningKeyId, ensureSigningKey } from '../../platform/keys/key-ring.ts';
import { SCOPES, SERVICE_CLIENT_ID, type Scope } from '../../platform/tokens/claims.ts';
import { signAccessToken } from '../../platform/tokens/sign-access-token.ts';
import { hashToken, newOpaqueToken } from '../../platform/crypto/tokens.ts';
import { RequestTransaction } from '../../db/request-transaction.ts';
import { recordSecurityEvent } from '../../platform/security-log/security-events.queries.ts';
import { badInput, forbidden, notFound } from '../../core/errors.ts';
import type { RequestContext } from '../../api/graphql/context.ts';
import { MAX_PAGE_SIZE, pageSize } from '../../core/relay.ts';
import { recordAndCountEvent } from '../../platform/security-log/record-event.ts';
import type { Role } from '../organizations/membership.entity.ts';
import { Organization } from '../organizations/organization.entity.ts';
import { hasAtLeast } from '../../core/roles.ts';
import { resolvePolicy } from '../../core/policy/session-policy.ts';
import { policyOf, signingKeyFor } from '../sessions/session.service.ts';
import { noteLookupMiss } from '../../platform/tenancy/cross-tenant-attempts.ts';
import { requireTenant } from '../../platform/tenancy/require.ts';
import { storableText } from '../../core/validation.ts';
import { ServiceAccount } from './service-account.entity.ts';

/**
 * How long the previous secret keeps working after rotateServiceAccountSecret: one hour, time to roll
 * the new secret out to every instance of the client. A second rotation ends the first grace at once.
 */
export const SECRET_ROTATION_GRACE_SECONDS = 60 * 60;
/** `obs_` + 43 base64url characters (256 random bits). */
const SECRET_PATTERN = /^obs_[A-Za-z0-9_-]{43}$/;
const AGENT_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** The scopes a person of `role` holds, and so the most an agent acting for them may get. */
export function scopesOfRole(role: Role | null): Scope[] {
  if (!role) return [];
  return hasAtLeast(role, 'ADMIN') ? [...SCOPES] : ['projects:read', 'projects:write'];
}

export interface ServiceAccountCredentials {
  readonly serviceAccount: ServiceAccount;
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface DelegatedToken {
  readonly accessToken: string;
  readonly expiresAt: Date;
}

export const clientIdOf = (account: Pick<ServiceAccount, 'orgId' | 'id'>): string => `sa.${account.orgId}.${account.id}`;

const accountName = storableText(200);
function validName(name: string): string {
  const parsed = accountName.safeParse(name);
  if (!parsed.success) throw badInput('Invalid name');
  return parsed.data;
}

/** Known scopes, each once, at least one; anything else is BAD_USER_INPUT. */
function checkScopes(scopes: readonly string[]): Scope[] {
  const unique = [...new Set(scopes)];
  if (unique.length === 0) throw badInput('At least one scope is required');
  const unknown = unique.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) throw badInput(`Unknown scope: one of ${SCOPES.join(', ')} expected`);
  return unique as Scope[];
}

/** The first `first` service accounts of the active org. Raises BAD_USER_INPUT for a bad `first`. */
export async function listServiceAccounts(ctx: RequestContext, first: number | null | undefined): Promise<ServiceAccount[]> {
  const scope = requireTenant(ctx.scope);
  return ctx.em.find(ServiceAccount, { orgId: scope.orgId }, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: pageSize(first, MAX_PAGE_SIZE) });
}

/** ADMIN/OWNER: a new service account of the active org; its secret is returned here only. */
export async function createServiceAccount(ctx: RequestContext, name: string, scopes: readonly string[]): Promise<ServiceAccountCredentials> {
  const scope = requireTenant(ctx.scope);
  const granted = checkScopes(scopes);
  const now = ctx.app.now();
  const secret = newOpaqueToken('obs');
  const account = ctx.em.create(ServiceAccount, {
    orgId: scope.orgId,
    id: randomUUID(),
    name: validName(name),
    scopes: granted,
    secretHash: hashToken(secret),
    previousSecretHash: null,
    previousSecretExpiresAt: null,
    createdBy: scope.userId,
    createdAt: now,
    revokedAt: null,
  });
  ctx.em.persist(account);
  await ctx.em.flush();
  await recordAndCountEvent(ctx, { type: 'SERVICE_ACCOUNT_CREATED', userId: scope.userId, sessionId: scope.sessionId, orgId: scope.orgId, detail: { service_account_id: account.id, scopes: granted } }, now, scope.tier);
  return { serviceAccount: account, clientId: clientIdOf(account), clientSecret: secret };
}

async function liveAccount(ctx: RequestContext, id: string): Promise<ServiceAccount> {
  const scope = requireTenant(ctx.scope);
  const account = await ctx.em.findOne(ServiceAccount, { orgId: scope.orgId, id });
  if (!account) await noteLookupMiss(ctx, 'ServiceAccount', id);
  if (!account || account.revokedAt) throw notFound('ServiceAccount');
  return account;
}

/** A new secret; the current one keeps working for SECRET_ROTATION_GRACE_SECONDS. */
export async function rotateServiceAccountSecret(ctx: RequestContext, id: string): Promise<ServiceAccountCredentials> {
  const scope = requireTenant(ctx.scope);
  const account = await liveAccount(ctx, id);
  const now = ctx.app.now();
  const secret = newOpaqueToken('obs');
  account.previousSecretHash = account.secretHash;
  account.previousSecretExpiresAt = new Date(now.getTime() + SECRET_ROTATION_GRACE_SECONDS * 1000);
  account.secretHash = hashToken(secret);
  await ctx.em.flush();
  await recordAndCountEvent(ctx, { type: 'SERVICE_ACCOUNT_SECRET_ROTATED', userId: scope.userId, sessionId: scope.sessionId, orgId: scope.orgId, detail: { service_account_id: account.id, grace_seconds: SECRET_ROTATION_GRACE_SECONDS } }, now, scope.tier);
  return { serviceAccount: account, clientId: clientIdOf(account), clientSecret: secret };
}

/** Ends the account: no new token, and its tokens fail at their next request (checked live by the context). */
export async function revokeServiceAccount(ctx: RequestContext, id: string): Promise<boolean> {
  const scope = requireTenant(ctx.scope);
  const account = await liveAccount(ctx, id);
  const now = ctx.app.now();
  account.revokedAt = now;
  account.previousSecretHash = null;
  account.previousSecretExpiresAt = null;
  await ctx.em.flush();
  await recordAndCountEvent(ctx, { type: 'SERVICE_ACCOUNT_REVOKED', userId: scope.userId, sessionId: scope.sessionId, orgId: scope.orgId, detail: { service_account_id: account.id } }, now, scope.tier);
  return true;
}

/** An RFC 6749 section 5.2 error. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

export interface ClientCredentialsGrant {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

const invalidClient = () => new OAuthError(401, 'invalid_client', 'Client authentication failed');

/**
 * The client credentials grant (RFC 6749 section 4.4). The client id names the org and the account
 * (`sa.<org>.<id>`), so the lookup runs with that org as the tenant (RLS and the tenant filter), and
 * only a matching secret (current, or previous within its grace) gets a token: an access token of the
 * owning org, signed with its key, `sub` = `sid` = the account, its scopes, the org's access-token TTL.
 */
export async function clientCredentialsGrant(app: AppServices, clientId: string, secret: string, requestedScope: string | undefined): Promise<ClientCredentialsGrant> {
  const match = SERVICE_CLIENT_ID.exec(clientId);
  await app.rateLimiter.consume('tokenPerClient', clientId);
  if (!match || !SECRET_PATTERN.test(secret)) throw invalidClient();
  const [, orgId, accountId] = match as unknown as [string, string, string];
  const tx = new RequestTransaction(app.orm);
  let ok = false;
  try {
    await tx.begin({ orgId, userId: null });
    const em = tx.em;
    const account = await em.findOne(ServiceAccount, { orgId, id: accountId });
    const now = app.now();
    const presented = hashToken(secret);
    const matches =
      account !== null &&
      !account.revokedAt &&
      (sameHash(presented, account.secretHash) ||
        (account.previousSecretHash !== null && account.previousSecretExpiresAt !== null && account.previousSecretExpiresAt > now && sameHash(presented, account.previousSecretHash)));
    if (!matches || !account) throw invalidClient();
    let scopes: string[] = [...account.scopes];
    if (requestedScope !== undefined) {
      const asked = [...new Set(requestedScope.split(' ').filter(Boolean))];
      if (asked.length === 0 || asked.some((s) => !account.scopes.includes(s))) throw new OAuthError(400, 'invalid_scope', 'The requested scope exceeds the scopes of this client');
      scopes = asked;
    }
    const org = await em.findOne(Organization, { id: orgId });
    if (!org) throw invalidClient();
    const policy = resolvePolicy(org.tier, org.policyOverrides);
    let { kid, ownerOrgId } = await activeSigningKeyId(em, orgId);
    if (ownerOrgId !== orgId && policy.dedicatedSigningKey) kid = await ensureSigningKey(em, app.config.kek, orgId, now);
    const key = await app.keys.signingKey(kid, em);
    const ttlSeconds = policy.accessTokenTtlSeconds;
    const scope = scopes.join(' ');
    const issued = await signAccessToken(key, { iss: app.config.jwt.issuer, aud: app.config.jwt.audience }, {
      userId: account.id,
      sessionId: account.id,
      org: { id: orgId, tier: org.tier, role: null },
      omitRole: true,
      clientId: clientIdOf(account),
      scope,
      authTime: now,
      amr: [],
      ttlSeconds,
      now,
    });
    const event = { type: 'SERVICE_TOKEN_ISSUED' as const, userId: null, sessionId: null, orgId, detail: { service_account_id: account.id, scopes } };
    await recordSecurityEvent(em, event, now);
    tx.afterCommit(() => app.metrics.countSecurityEvent(event, org.tier));
    ok = true;
    return { access_token: issued.token, token_type: 'Bearer', expires_in: ttlSeconds, scope };
  } finally {
    await tx.finish(ok);
  }
}

/**
 * delegateToAgent (RFC 8693 section 4.1): a token for `agent:<name>` acting for the signed-in user in
 * the active org, bound to the user's device session (it dies with it), with scopes within what the
 * user's role allows and a lifetime within the session's and the org's access-token TTL.
 */
export async function delegateToAgent(ctx: RequestContext, agentName: string, scopes: readonly string[], ttlSeconds: number): Promise<DelegatedToken> {
  const scope = requireTenant(ctx.scope);
  if (scope.principal !== 'user') throw forbidden('Only a person may delegate');
  if (!AGENT_NAME.test(agentName)) throw badInput('agentName: 1 to 64 of A-Z a-z 0-9 . _ -');
  const granted = checkScopes(scopes);
  const allowed = scopesOfRole(scope.role);
  if (granted.some((s) => !allowed.includes(s))) throw forbidden('A delegated token cannot exceed your own role');
  const session = await ctx.em.findOne(DeviceSession, { id: scope.sessionId });
  const org = await ctx.em.findOne(Organization, { id: scope.orgId });
  if (!session || !org || !scope.role) throw forbidden();
  const now = ctx.app.now();
  const remaining = Math.floor((sessionEnd(session).getTime() - now.getTime()) / 1000);
  const maxTtl = Math.min(session.policy.accessTokenTtlSeconds, policyOf(org).accessTokenTtlSeconds, remaining);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > maxTtl) throw badInput(`ttlSeconds must be between 1 and ${Math.max(1, maxTtl)} (the session policy's access-token TTL)`);
  const actor = `agent:${agentName}`;
  const key = await signingKeyFor(ctx, { org, role: scope.role }, now);
  const issued = await signAccessToken(key, { iss: ctx.app.config.jwt.issuer, aud: ctx.app.config.jwt.audience }, {
    userId: scope.userId,
    sessionId: scope.sessionId,
    org: { id: org.id, tier: org.tier, role: scope.role },
    authTime: session.authTime,
    amr: session.amr,
    scope: granted.join(' '),
    actor,
    ttlSeconds,
    now,
  });
  await recordAndCountEvent(ctx, { type: 'AGENT_DELEGATED', userId: scope.userId, sessionId: scope.sessionId, orgId: scope.orgId, detail: { agent: actor, scopes: granted, ttl_seconds: ttlSeconds } }, now, scope.tier);
  return { accessToken: issued.token, expiresAt: issued.expiresAt };
}

