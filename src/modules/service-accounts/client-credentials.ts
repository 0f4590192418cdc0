import { timingSafeEqual } from 'node:crypto';
import { decideClientSecret, narrowScopes } from '../../core/decisions/decide-client-credentials.ts';
import { RequestTransaction } from '../../db/request-transaction.ts';
import { hashToken } from '../../platform/crypto/tokens.ts';
import { signingKeyFor } from '../../platform/keys/signing.ts';
import { recordSecurityEvent } from '../../platform/security-log/security-events.queries.ts';
import type { AppServices } from '../../platform/services.ts';
import { findOrganization } from '../../platform/tenancy/memberships.queries.ts';
import { policyOf } from '../../platform/tenancy/organization-view.ts';
import { SERVICE_CLIENT_ID } from '../../platform/tokens/claims.ts';
import { signAccessToken } from '../../platform/tokens/sign-access-token.ts';
import { clientIdOf } from './accounts.ts';
import { ServiceAccount } from './service-account.entity.ts';

/** `obs_` + 43 base64url characters (256 random bits). */
const SECRET_PATTERN = /^obs_[A-Za-z0-9_-]{43}$/;

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

function sameHash(a: string, b: string | null): boolean {
  if (b === null) return false;
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

const invalidClient = () => new OAuthError(401, 'invalid_client', 'Client authentication failed');

/**
 * The client credentials grant (RFC 6749 section 4.4). The client id names the org and the account
 * (`sa.<org>.<id>`, both UUIDs), so the lookup runs with that org as the tenant (RLS and the tenant
 * filter), and only a matching secret (current, or previous within its grace: decideClientSecret)
 * gets a token: an access token of the owning org, signed with its key, `sub` = `sid` = the account,
 * its scopes (narrowScopes), the org's access-token TTL.
 */
export async function clientCredentialsGrant(app: AppServices, clientId: string, secret: string, requestedScope: string | undefined): Promise<ClientCredentialsGrant> {
  const match = SERVICE_CLIENT_ID.exec(clientId);
  await app.rateLimiter.consume('tokenPerClient', clientId);
  if (!match || !SECRET_PATTERN.test(secret)) throw invalidClient();
  const [, orgId, accountId] = match as unknown as [string, string, string];
  const tx = new RequestTransaction(app.orm);
  let ok = false;
  try {
    // tenant: the org the client id names; nothing is done in it unless the secret matches.
    await tx.begin({ orgId, userId: null });
    const em = tx.em;
    const account = await em.findOne(ServiceAccount, { orgId, id: accountId });
    const now = app.now();
    const presented = hashToken(secret);
    const decision = decideClientSecret(
      account && { revokedAt: account.revokedAt ?? null, previousSecretExpiresAt: account.previousSecretExpiresAt ?? null, hasPreviousSecret: account.previousSecretHash != null },
      { current: !!account && sameHash(presented, account.secretHash), previous: !!account && sameHash(presented, account.previousSecretHash ?? null) },
      now,
    );
    if (decision.kind === 'invalid_client' || !account) throw invalidClient();
    const narrowed = narrowScopes(account.scopes, requestedScope);
    if (narrowed.kind === 'invalid_scope') throw new OAuthError(400, 'invalid_scope', 'The requested scope exceeds the scopes of this client');
    const org = await findOrganization(em, orgId);
    if (!org) throw invalidClient();
    const ttlSeconds = policyOf(org).accessTokenTtlSeconds;
    const scope = narrowed.scopes.join(' ');
    const issued = await signAccessToken(await signingKeyFor(em, app, org, now), { iss: app.config.jwt.issuer, aud: app.config.jwt.audience }, {
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
    const event = { type: 'SERVICE_TOKEN_ISSUED' as const, userId: null, sessionId: null, orgId, detail: { service_account_id: account.id, scopes: narrowed.scopes } };
    await recordSecurityEvent(em, event, now);
    tx.afterCommit(() => app.metrics.countSecurityEvent(event, org.tier));
    ok = true;
    return { access_token: issued.token, token_type: 'Bearer', expires_in: ttlSeconds, scope };
  } finally {
    await tx.finish(ok);
  }
}
