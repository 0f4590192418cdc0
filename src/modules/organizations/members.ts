import { LockMode } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { decideInvitation } from '../../core/decisions/decide-invitation.ts';
import { badInput, forbidden, notFound } from '../../core/errors.ts';
import { MAX_PAGE_SIZE, pageSize } from '../../core/relay.ts';
import { canAssignRole, decideMemberRemoval } from '../../core/roles.ts';
import type { Role } from '../../core/vocabulary.ts';
import { hashToken, newOpaqueToken } from '../../platform/crypto/tokens.ts';
import { tenantOf, type RequestScope } from '../../platform/request-scope.ts';
import { recordAndCountEvent } from '../../platform/security-log/record-event.ts';
import { requireSignedIn, requireTenant } from '../../platform/tenancy/require.ts';
import { withTenant } from '../../platform/tenancy/with-tenant.ts';
import { email, findUser, findUserByEmail } from '../identity/index.ts';
import { endSessionsBoundTo } from '../sessions/index.ts';
import { Invitation } from './invitation.entity.ts';
import { Membership } from './membership.entity.ts';
import { listMembershipsOfUser } from './membership.queries.ts';
import { Organization } from './organization.entity.ts';

const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;
/** `obi.<org id>.inv_<256 bits>`: the org id routes an acceptance to its tenant. */
const INVITATION_TOKEN = /^obi\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.inv_[A-Za-z0-9_-]{43}$/;

export interface InvitationView {
  readonly id: string;
  readonly token: string;
  readonly email: string;
  readonly role: Role;
  readonly expiresAt: Date;
}

/** The first `first` members of `org`. Raises FORBIDDEN unless it is the active organization, BAD_USER_INPUT for a bad `first`. */
export async function listMembers(ctx: RequestScope, org: { readonly id: string }, first: number | null | undefined): Promise<Membership[]> {
  const { orgId } = requireTenant(ctx.scope);
  if (org.id !== orgId) throw forbidden('Members are readable for the active organization only');
  return ctx.em.find(Membership, {}, { orderBy: { createdAt: 'asc', userId: 'asc' }, limit: pageSize(first, MAX_PAGE_SIZE) });
}

/** The viewer's first `first` memberships. Raises BAD_USER_INPUT for a bad `first`. */
export async function viewerMemberships(ctx: RequestScope, first: number | null | undefined): Promise<Membership[]> {
  return listMembershipsOfUser(ctx.em, requireSignedIn(ctx.scope).userId, pageSize(first, MAX_PAGE_SIZE));
}

/**
 * Invites `email` into the active org. Raises BAD_USER_INPUT (bad email, already a member) and
 * FORBIDDEN (an ADMIN granting OWNER). The token is `obi.<orgId>.<secret>`: the org id routes the
 * acceptance to its tenant, only the hash of the whole token is stored.
 */
export async function inviteMember(ctx: RequestScope, rawEmail: string, role: Role): Promise<InvitationView> {
  const scope = requireTenant(ctx.scope);
  const parsed = email.safeParse(rawEmail);
  if (!parsed.success) throw badInput('Invalid email');
  if (!scope.role || !canAssignRole(scope.role, role)) throw forbidden(`${scope.role ?? 'A non-member'} cannot invite an ${role}`);
  const existing = await findUserByEmail(ctx, parsed.data);
  if (existing && (await ctx.em.findOne(Membership, { userId: existing.id }))) throw badInput('Already a member');
  const token = `obi.${scope.orgId}.${newOpaqueToken('inv')}`;
  const now = ctx.app.now();
  const invitation = ctx.em.create(Invitation, {
    orgId: scope.orgId,
    id: randomUUID(),
    email: parsed.data,
    role,
    tokenHash: hashToken(token),
    invitedBy: scope.userId,
    createdAt: now,
    expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
    acceptedAt: null,
  });
  await ctx.em.persist(invitation).flush();
  // The invitee's email stays out of the event: only the invitation's id and role.
  const detail = { invitationId: invitation.id, role };
  await recordAndCountEvent(ctx, { type: 'MEMBER_INVITED', userId: scope.userId, sessionId: scope.sessionId, orgId: scope.orgId, detail }, now, scope.tier);
  return { id: invitation.id, token, email: invitation.email, role, expiresAt: invitation.expiresAt };
}

/**
 * Joins the invitation's organization. Raises NOT_FOUND, with one message, for an unknown, malformed,
 * expired, used or someone else's invitation (decideInvitation).
 */
export async function acceptInvitation(ctx: RequestScope, token: string): Promise<Membership> {
  const scope = requireSignedIn(ctx.scope);
  const orgId = INVITATION_TOKEN.exec(token)?.[1];
  if (!orgId) throw notFound('Invitation');
  const user = await findUser(ctx, scope.userId);
  const now = ctx.app.now();
  // tenant: the org the secret token names; its hash is looked up in that tenant only, and nothing is done unless it is found.
  return withTenant(ctx.tx, { orgId, userId: scope.userId }, tenantOf(scope), async () => {
    const invitation = await ctx.em.findOne(Invitation, { tokenHash: hashToken(token) });
    if (decideInvitation(invitation && { expiresAt: invitation.expiresAt, acceptedAt: invitation.acceptedAt ?? null, email: invitation.email }, user.email, now).kind !== 'accept' || !invitation) {
      throw notFound('Invitation');
    }
    invitation.acceptedAt = now;
    const existing = await ctx.em.findOne(Membership, { userId: scope.userId });
    if (existing) return existing;
    const membership = ctx.em.create(Membership, { orgId, userId: scope.userId, role: invitation.role, createdAt: now });
    ctx.em.persist(membership);
    const org = await ctx.em.findOne(Organization, { id: orgId });
    const detail = { invitationId: invitation.id, role: invitation.role };
    await recordAndCountEvent(ctx, { type: 'MEMBER_JOINED', userId: scope.userId, sessionId: scope.sessionId, orgId, detail }, now, org?.tier ?? null);
    return membership;
  });
}

/**
 * Locks the active org's memberships for the rest of the transaction (its organizations row, FOR
 * UPDATE) and reads the actor's and the target's memberships and the owner count live: every change
 * of an org's members decides on these, one after the other. Raises NOT_FOUND when the org is gone.
 */
export async function lockMemberships(ctx: RequestScope, orgId: string, actorId: string, targetId: string) {
  await ctx.em.findOneOrFail(Organization, { id: orgId }, { lockMode: LockMode.PESSIMISTIC_WRITE, failHandler: () => notFound('Organization') });
  const rows = await ctx.em.find(Membership, { userId: { $in: [actorId, targetId] } }, { refresh: true });
  const owners = await ctx.em.count(Membership, { role: 'OWNER' });
  return { actor: rows.find((m) => m.userId === actorId) ?? null, target: rows.find((m) => m.userId === targetId) ?? null, owners };
}

/**
 * Raises NOT_FOUND (not a member here), FORBIDDEN (ADMIN removing an OWNER, or an actor removed
 * meanwhile), BAD_USER_INPUT (last owner). Decided by decideMemberRemoval under the org's lock, so it
 * holds under concurrency.
 */
export async function removeMember(ctx: RequestScope, userId: string): Promise<boolean> {
  const scope = requireTenant(ctx.scope);
  const { actor, target, owners } = await lockMemberships(ctx, scope.orgId, scope.userId, userId);
  const decision = decideMemberRemoval({ actorRole: actor?.role ?? null, targetRole: target?.role ?? null, owners });
  if (decision.kind === 'not_member') throw notFound('Member');
  if (decision.kind === 'forbidden') throw forbidden(`${actor?.role ?? 'A non-member'} cannot remove an ${target?.role ?? 'unknown member'}`);
  if (decision.kind === 'last_owner') throw badInput('Cannot remove the last owner');
  if (!target) throw notFound('Member'); // decideMemberRemoval already said so; for the type checker
  await ctx.em.remove(target).flush();
  const ended = await endSessionsBoundTo(ctx, scope.orgId, userId);
  const detail = { by: scope.userId, role: target.role, boundSessionsEnded: ended };
  await recordAndCountEvent(ctx, { type: 'MEMBER_REMOVED', userId, sessionId: null, orgId: scope.orgId, detail }, ctx.app.now(), scope.tier);
  return true;
}
