import { randomUUID } from 'node:crypto';
import { badInput, notFound } from '../../core/errors.ts';
import { MAX_PAGE_SIZE, pageSize } from '../../core/relay.ts';
import { storableText } from '../../core/validation.ts';
import { hashToken, newOpaqueToken } from '../../platform/crypto/tokens.ts';
import type { RequestScope } from '../../platform/request-scope.ts';
import { recordAndCountEvent } from '../../platform/security-log/record-event.ts';
import { noteLookupMiss } from '../../platform/tenancy/cross-tenant-attempts.ts';
import { requireTenant } from '../../platform/tenancy/require.ts';
import { ServiceAccount } from './service-account.entity.ts';

/**
 * How long the previous secret keeps working after rotateServiceAccountSecret: one hour, time to roll
 * the new secret out to every instance of the client. A second rotation ends the first grace at once.
 */
export const SECRET_ROTATION_GRACE_SECONDS = 60 * 60;

export interface ServiceAccountCredentials {
  readonly serviceAccount: ServiceAccount;
  readonly clientId: string;
  readonly clientSecret: string;
}

export const clientIdOf = (account: Pick<ServiceAccount, 'orgId' | 'id'>): string => `sa.${account.orgId}.${account.id}`;

const accountName = storableText(200);
function validName(name: string): string {
  const parsed = accountName.safeParse(name);
  if (!parsed.success) throw badInput('Invalid name');
  return parsed.data;
}

/** Declared scopes (every module's, ScopeRegistry), each once, at least one; anything else is BAD_USER_INPUT. */
export function checkScopes(ctx: RequestScope, scopes: readonly string[]): string[] {
  const unique = [...new Set(scopes)];
  if (unique.length === 0) throw badInput('At least one scope is required');
  const registry = ctx.app.scopes;
  if (unique.some((s) => !registry.has(s))) throw badInput(`Unknown scope: one of ${registry.names().join(', ')} expected`);
  return unique;
}

/** The first `first` service accounts of the active org. Raises BAD_USER_INPUT for a bad `first`. */
export async function listServiceAccounts(ctx: RequestScope, first: number | null | undefined): Promise<ServiceAccount[]> {
  const scope = requireTenant(ctx.scope);
  return ctx.em.find(ServiceAccount, { orgId: scope.orgId }, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: pageSize(first, MAX_PAGE_SIZE) });
}

/** ADMIN/OWNER: a new service account of the active org; its secret is returned here only. */
export async function createServiceAccount(ctx: RequestScope, name: string, scopes: readonly string[]): Promise<ServiceAccountCredentials> {
  const scope = requireTenant(ctx.scope);
  const granted = checkScopes(ctx, scopes);
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

async function liveAccount(ctx: RequestScope, id: string): Promise<ServiceAccount> {
  const scope = requireTenant(ctx.scope);
  const account = await ctx.em.findOne(ServiceAccount, { orgId: scope.orgId, id });
  if (!account) await noteLookupMiss(ctx, 'ServiceAccount', id);
  if (!account || account.revokedAt) throw notFound('ServiceAccount');
  return account;
}

/** A new secret; the current one keeps working for SECRET_ROTATION_GRACE_SECONDS. */
export async function rotateServiceAccountSecret(ctx: RequestScope, id: string): Promise<ServiceAccountCredentials> {
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
export async function revokeServiceAccount(ctx: RequestScope, id: string): Promise<boolean> {
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
