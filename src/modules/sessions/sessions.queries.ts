import type { EntityManager } from '@mikro-orm/postgresql';
import { DeviceSession } from './device-session.entity.ts';
import { type RevokeReason } from '../../core/vocabulary.ts';

/**
 * Revokes the live device sessions matching `where` in one statement; returns how many. Here in
 * src/db because it is a bulk `nativeUpdate`: device sessions are identity data (no tenant filter),
 * and every caller names the user explicitly in `where`.
 */
export function revokeSessions(em: EntityManager, where: { userId: string } & Record<string, unknown>, reason: RevokeReason, now: Date): Promise<number> {
  return em.nativeUpdate(DeviceSession, { ...where, revokedAt: null }, { revokedAt: now, revokeReason: reason });
}
