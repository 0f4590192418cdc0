import { LockMode } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { User } from '../identity/user.entity.ts';
import { hashToken, newOpaqueToken } from '../../platform/crypto/tokens.ts';
import { listMembershipsOfUser, withTenant } from '../../platform/tenancy/memberships.queries.ts';
import { ensureSigningKey, rotateSigningKey } from '../../platform/keys/key-ring.ts';
import { checkPolicyUpdate, resolvePolicy, TIER_FLOORS, type PolicyOverrides } from '../../core/policy/session-policy.ts';
import { badInput, forbidden, notFound } from '../../core/errors.ts';
import { endSessionsBoundTo } from '../sessions/session.service.ts';
import { tenantOf, type RequestContext } from '../../api/graphql/context.ts';
import { MAX_PAGE_SIZE, pageSize } from '../../core/relay.ts';
import { recordAndCountEvent } from '../../platform/security-log/record-event.ts';
import { requireSignedIn, requireTenant } from '../../platform/tenancy/require.ts';
import { storableText } from '../../core/validation.ts';
import { Invitation } from './invitation.entity.ts';
import { Membership, type Role } from './membership.entity.ts';
import { Organization, type Tier } from './organization.entity.ts';
import { canAssignRole, decideMemberRemoval } from '../../core/roles.ts';

const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;
const orgName = storableText(200);
const email = z.email().max(254).transform((e) => e.toLowerCase());

export interface InvitationView {
  readonly id: string;
  readonly token: string;
  readonly email: string;
  readonly role: Role;
  readonly expiresAt: Date;
}

/** The active organization, or null without one. */
export async function activeOrganization(ctx: RequestContext): Promise<Organization | null> {
  const orgId = ctx.scope?.orgId;
  return orgId ? ctx.loaders.organizationById.load(orgId) : null;
}

/** The first `first` members of `org`. Raises FORBIDDEN unless it is the active organization, BAD_USER_INPUT for a bad `first`. */
export async function listMembers(ctx: RequestContext, org: Organization, first: number | null | undefined): Promise<Membership[]> {
  const { orgId } = requireTenant(ctx.scope);
  if (org.id !== orgId) throw forbidden('Members are readable for the active organization only');
  return ctx.em.find(Membership, {}, { orderBy: { createdAt: 'asc', userId: 'asc' }, limit: pageSize(first, MAX_PAGE_SIZE) });
}

/** The viewer's first `first` memberships. Raises BAD_USER_INPUT for a bad `first`. */
export async function viewerMemberships(ctx: RequestContext, first: number | null | undefined): Promise<Membership[]> {
  return listMembershipsOfUser(ctx.em, requireSignedIn(ctx.scope).userId, pageSize(first, MAX_PAGE_SIZE));
}

/** Creates an organization with the caller as OWNER. Raises BAD_USER_INPUT for a bad name. */
export async function createOrganization(ctx: RequestContext, name: string, tier: Tier): Promise<Organization> {
  const scope = requireSignedIn(ctx.scope);
  const parsedName = orgName.safeParse(name);
  if (!parsedName.success) throw badInput('Invalid name');
  const now = ctx.app.now();
  const org = { id: randomUUID(), name: parsedName.data, tier, policyOverrides: {}, createdAt: now };
  await withTenant(ctx.tx, { orgId: org.id, userId: scope.userId }, tenantOf(scope), async () => {
    await ctx.em.persist(ctx.em.create(Organization, org)).flush(); // the membership's FK needs the org first
    ctx.em.persist(ctx.em.create(Membership, { orgId: org.id, userId: scope.userId, role: 'OWNER', createdAt: now }));
    // CONFIDENTIAL and REGULATED orgs sign with their own key from their first token on.
    if (resolvePolicy(tier).dedicatedSigningKey) await ensureSigningKey(ctx.em, ctx.app.config.kek, org.id, now);
  });
  return Object.assign(new Organization(), org);
}

/**
 * Invites `email` into the active org. Raises BAD_USER_INPUT (bad email, already a member) and
 * FORBIDDEN (an ADMIN granting OWNER). The token is `obi.<orgId>.<secret>`: the org id routes the
 * acceptance to its tenant, only the hash of the whole token is stored.
 */
export async function inviteMember(ctx: RequestContext, rawEmail: string, role: Role): Promise<InvitationView> {
  const scope = requireTenant(ctx.scope);
  const parsed = email.safeParse(rawEmail);
  if (!parsed.success) throw badInput('Invalid email');
  if (!scope.role || !canAssignRole(scope.role, role)) throw forbidden(`${scope.role ?? 'A non-member'} cannot invite an ${role}`);
  const existing = await ctx.em.findOne(User, { email: parsed.data });
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
 * expired, used or someone else's invitation.
 */
export async function acceptInvitation(ctx: RequestContext, token: string): Promise<Membership> {
  const scope = requireSignedIn(ctx.scope);
  const orgId = /^obi\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.inv_[A-Za-z0-9_-]{43}$/.exec(token)?.[1];
  if (!orgId) throw notFound('Invitation');
  const user = await ctx.em.findOneOrFail(User, { id: scope.userId });
  const now = ctx.app.now();
  return withTenant(ctx.tx, { orgId, userId: scope.userId }, tenantOf(scope), async () => {
    const invitation = await ctx.em.findOne(Invitation, { tokenHash: hashToken(token) });
    if (!invitation || invitation.acceptedAt || invitation.expiresAt <= now || invitation.email !== user.email) throw notFound('Invitation');
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
async function lockMemberships(ctx: RequestContext, orgId: string, actorId: string, targetId: string) {
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
export async function removeMember(ctx: RequestContext, userId: string): Promise<boolean> {
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

/**
 * Tightens the active org's session policy (checkPolicyUpdate decides). Raises BAD_USER_INPUT for
 * anything looser than the tier's floor. Turning on a dedicated key creates it now.
 */
export async function updateSessionPolicy(ctx: RequestContext, input: PolicyOverrides): Promise<Organization> {
  const scope = requireTenant(ctx.scope);
  const org = await ctx.em.findOneOrFail(Organization, { id: scope.orgId });
  const result = checkPolicyUpdate(org.tier, org.policyOverrides, input);
  if (!result.ok) throw badInput(`${result.field} ${result.reason}`);
  const now = ctx.app.now();
  org.policyOverrides = result.overrides;
  if (result.policy.dedicatedSigningKey) await ensureSigningKey(ctx.em, ctx.app.config.kek, org.id, now);
  await recordAndCountEvent(ctx, { type: 'SESSION_POLICY_UPDATED', userId: scope.userId, sessionId: scope.sessionId, orgId: org.id, detail: { overrides: result.overrides } }, now, org.tier);
  await ctx.em.flush();
  return org;
}

const TIER_ORDER: Readonly<Record<Tier, number>> = { STANDARD: 0, CONFIDENTIAL: 1, REGULATED: 2 };

/** Raises the active org's tier. Raises BAD_USER_INPUT for the same or a lower tier (that would loosen). */
export async function raiseOrganizationTier(ctx: RequestContext, tier: Tier): Promise<Organization> {
  const scope = requireTenant(ctx.scope);
  const org = await ctx.em.findOneOrFail(Organization, { id: scope.orgId });
  if (TIER_ORDER[tier] <= TIER_ORDER[org.tier]) throw badInput(`The tier can only be raised (it is ${org.tier})`);
  const now = ctx.app.now();
  const from = org.tier;
  org.tier = tier;
  if (resolvePolicy(tier, org.policyOverrides).dedicatedSigningKey) await ensureSigningKey(ctx.em, ctx.app.config.kek, org.id, now);
  await recordAndCountEvent(ctx, { type: 'ORGANIZATION_TIER_RAISED', userId: scope.userId, sessionId: scope.sessionId, orgId: org.id, detail: { from, to: tier } }, now, tier);
  await ctx.em.flush();
  return org;
}

/** Slack for clock skew and the verifier's tolerance when a retired key stops verifying. */
const KEY_RETIREMENT_SLACK_SECONDS = 60;

/**
 * Rotates the active org's dedicated signing key. The retired key verifies for one more access-token
 * lifetime of the org's policy. Raises BAD_USER_INPUT for an org without a dedicated key.
 */
export async function rotateOrganizationSigningKey(ctx: RequestContext): Promise<string> {
  const scope = requireTenant(ctx.scope);
  const org = await ctx.em.findOneOrFail(Organization, { id: scope.orgId });
  const policy = resolvePolicy(org.tier, org.policyOverrides);
  if (!policy.dedicatedSigningKey) throw badInput('This organization signs with the global key: turn on dedicatedSigningKey first');
  const now = ctx.app.now();
  // Sessions of the org may carry the longest TTL of any policy they combined with; STANDARD's is the ceiling.
  const verifySeconds = TIER_FLOORS.STANDARD.accessTokenTtlSeconds + KEY_RETIREMENT_SLACK_SECONDS;
  const { retired, active } = await rotateSigningKey(ctx.em, ctx.app.config.kek, org.id, verifySeconds, now);
  const keys = ctx.app.keys;
  if (retired) ctx.tx.afterCommit(() => keys.noteRetired(retired, now, new Date(now.getTime() + verifySeconds * 1000)));
  await recordAndCountEvent(ctx, { type: 'SIGNING_KEY_ROTATED', userId: scope.userId, sessionId: scope.sessionId, orgId: org.id, detail: { retired, active } }, now, org.tier);
  return active;
}
