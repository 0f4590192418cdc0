import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { errorCode, type GqlResult, type TestApi } from './harness.ts';
import { PASSWORD, signUp } from './tenants.ts';

export const REFRESH = `mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt session { id } activeOrganization { id } } }`;
export const SIGN_IN_DEVICE = `mutation($e: String!, $p: String!, $d: String!, $o: ID) {
  signIn(email: $e, password: $p, deviceName: $d, organizationId: $o) {
    accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt session { id } activeOrganization { id }
  }
}`;

/** The data of a result that must have succeeded (and never a 5xx). */
export function ok<T = any>(r: GqlResult<T>): T {
  assert.ok(r.status < 500, `HTTP ${r.status}: ${JSON.stringify(r.errors)}`);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data as T;
}

/** A result that must have failed with `code`, with no data and never a 5xx. */
export function fails(r: GqlResult, code: string, what = ''): void {
  assert.ok(r.status < 500, `${what} HTTP ${r.status}`);
  assert.equal(errorCode(r), code, `${what} ${JSON.stringify(r.errors)}`);
  assert.ok(r.data == null || Object.values(r.data).every((v) => v == null), `${what} ${JSON.stringify(r.data)}`);
}

export interface DeviceTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly sessionId: string;
  readonly accessTokenExpiresAt: string;
  readonly refreshTokenExpiresAt: string;
}

/** Signs `email` in on a new device session named `deviceName` (optionally entering `orgId`). */
export async function signInDevice(api: TestApi, email: string, deviceName = 'test', orgId?: string): Promise<DeviceTokens> {
  const r = ok(await api.gql(SIGN_IN_DEVICE, { e: email, p: PASSWORD, d: deviceName, o: orgId ?? null }));
  return { ...r.signIn, sessionId: r.signIn.session.id };
}

/** Presents a refresh token. */
export function refreshWith(api: TestApi, refreshToken: string): Promise<GqlResult> {
  return api.gql(REFRESH, { t: refreshToken });
}

/** A new account with a unique email. */
export async function newAccount(api: TestApi, label: string): Promise<{ email: string; userId: string }> {
  const email = `${label}-${randomUUID()}@example.test`;
  return { email, userId: await signUp(api, email) };
}

/** Live (unrotated) refresh tokens of a session: never more than one. */
export async function liveRefreshTokens(api: TestApi, sessionId: string): Promise<number> {
  const rows = await api.db.sql(`select count(*)::int as n from refresh_tokens where session_id = $1 and rotated_at is null`, [sessionId]);
  return rows[0].n;
}

/** Makes a session's reuse leeway 0 s (the REGULATED floor) in its policy snapshot, as the owner. */
export async function setReuseLeewayToZero(api: TestApi, sessionId: string): Promise<void> {
  await api.db.sql(`update device_sessions set policy = jsonb_set(policy, '{refreshReuseLeewaySeconds}', '0') where id = $1`, [sessionId]);
}
