import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The device session `sessionId` passed MFA at `at`: `mfa_at` moves there and `amr` gains "otp"
 * (RFC 8176), for the tokens it issues from now on. Raw SQL in tenancy (device sessions are identity
 * data, read here by the live-state check too), so the mfa module can mark a session without
 * depending on the sessions module that owns the entity. In the request transaction.
 */
export async function markSessionMfaPassed(em: EntityManager, sessionId: string, at: Date): Promise<void> {
  await em.execute(
    `update device_sessions set mfa_at = ?, amr = case when 'otp' = any(amr) then amr else array_append(amr, 'otp') end where id = ?::uuid`,
    [at, sessionId],
  );
}
