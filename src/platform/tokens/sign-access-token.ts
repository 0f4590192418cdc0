import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import type { ActiveSigningKey } from '../keys/key-ring.ts';
import { ACCESS_TOKEN_TYP } from './claims.ts';
import { type Role, type Tier } from '../../core/vocabulary.ts';

export interface AccessTokenRequest {
  readonly userId: string;
  readonly sessionId: string;
  readonly org?: { readonly id: string; readonly tier: Tier; readonly role: Role | null } | undefined;
  readonly authTime: Date;
  readonly amr: readonly string[];
  readonly ttlSeconds: number;
  readonly now: Date;
  /** Space-separated scopes (agent and service tokens). */
  readonly scope?: string | undefined;
  /** `act.sub` of a delegated token (RFC 8693 section 4.1). */
  readonly actor?: string | undefined;
  /** Overrides CLIENT_ID (service accounts: `sa.<org>.<id>`). */
  readonly clientId?: string | undefined;
  /** Service tokens carry no role: scopes govern them. */
  readonly omitRole?: boolean | undefined;
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly expiresAt: Date;
}

export const CLIENT_ID = 'orgbound';

/** Signs an RFC 9068 access token with `key` (`kid` always set): see activeSigningKeyId for which key. */
export async function signAccessToken(key: ActiveSigningKey, issuer: { iss: string; aud: string }, req: AccessTokenRequest): Promise<IssuedAccessToken> {
  const iat = Math.floor(req.now.getTime() / 1000);
  const exp = iat + req.ttlSeconds;
  const claims: Record<string, unknown> = {
    sid: req.sessionId,
    auth_time: Math.floor(req.authTime.getTime() / 1000),
    amr: [...req.amr],
    client_id: req.clientId ?? CLIENT_ID,
  };
  if (req.org) Object.assign(claims, { org_id: req.org.id, tier: req.org.tier }, req.omitRole ? {} : { role: req.org.role });
  if (req.scope !== undefined) claims.scope = req.scope;
  if (req.actor !== undefined) claims.act = { sub: req.actor };
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYP })
    .setIssuer(issuer.iss)
    .setAudience(issuer.aud)
    .setSubject(req.userId)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key.privateKey);
  return { token, expiresAt: new Date(exp * 1000) };
}
