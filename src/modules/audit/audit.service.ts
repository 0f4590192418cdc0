import { SECURITY_EVENT_TYPES } from '../../core/vocabulary.ts';
import { listOrganizationEvents, listUserEvents, type EventPage, type SecurityEventRow } from './audit.queries.ts';
import { badInput } from '../../core/errors.ts';
import type { RequestScope } from '../../platform/request-scope.ts';
import { decodeCursor, pageSize, toConnection, type Connection } from '../../core/relay.ts';
import { requireSignedIn, requireTenant } from '../../platform/tenancy/require.ts';

/** What AuditEvent resolves to. `createdAt` is the event's time: the relay cursor's key. */
export interface AuditEventView {
  readonly id: string;
  readonly type: string;
  readonly at: Date;
  readonly createdAt: Date;
  readonly actorId: string | null;
  readonly sessionId: string | null;
  readonly organizationId: string | null;
  readonly detail: Record<string, unknown>;
}
export type AuditEventConnection = Connection<AuditEventView>;
export type AuditEventEdge = AuditEventConnection['edges'][number];

/**
 * The detail fields shown through GraphQL; everything else stays in the table (and the operator's
 * export). A detail may hold ids of other organizations (the org a switch came from, the orgs a
 * stolen session had entered, an org id someone typed into signIn): an admin of one org must never
 * learn those, and a user sees their own events through the same filter.
 */
const SHOWN_DETAIL_FIELDS: ReadonlySet<string> = new Set([
  'amr', 'reason', 'count', 'id', 'by', 'role', 'invitationId', 'boundSessionsEnded', 'sessionsRevoked',
  'allSessionsOfUserRevoked', 'mfa', 'enrollment', 'overrides', 'from', 'to', 'retired', 'active', 'object', 'objectId',
]);
/** Fields whose name is shown but whose value may name another org for some types. */
const HIDDEN_BY_TYPE: Readonly<Record<string, readonly string[]>> = {
  ORGANIZATION_SWITCHED: ['from'], // the org the session came from
};

function shownDetail(type: string, detail: Record<string, unknown>): Record<string, unknown> {
  const hidden = HIDDEN_BY_TYPE[type] ?? [];
  return Object.fromEntries(Object.entries(detail ?? {}).filter(([k]) => SHOWN_DETAIL_FIELDS.has(k) && !hidden.includes(k)));
}

function view(row: SecurityEventRow): AuditEventView {
  const at = row.at instanceof Date ? row.at : new Date(row.at);
  return { id: row.id, type: row.type, at, createdAt: at, actorId: row.userId, sessionId: row.sessionId, organizationId: row.orgId, detail: shownDetail(row.type, row.detail) };
}

/** Raises BAD_USER_INPUT for a bad `first`, `after` or `type`. */
function eventPage(first: number | null | undefined, after: string | null | undefined, type: string | null | undefined, fallback: number): EventPage {
  const limit = pageSize(first, fallback);
  if (type !== null && type !== undefined && !(SECURITY_EVENT_TYPES as readonly string[]).includes(type)) throw badInput('Unknown event type');
  const cursor = after ? decodeCursor(after) : null;
  return { limit: limit + 1, type: type ?? null, before: cursor ? { at: cursor.createdAt, id: cursor.id } : null };
}

/**
 * The active organization's security events, newest first (ADMIN/OWNER: the shield rule). Filtered
 * by org explicitly and by RLS `event_read`. Raises BAD_USER_INPUT (first, after, type) and FORBIDDEN
 * without an active organization.
 */
export async function listAuditEvents(ctx: RequestScope, first: number | null | undefined, after: string | null | undefined, type: string | null | undefined): Promise<AuditEventConnection> {
  const { orgId } = requireTenant(ctx.scope);
  const page = eventPage(first, after, type, 50);
  return toConnection((await listOrganizationEvents(ctx.em, orgId, page)).map(view), page.limit - 1);
}

/** The viewer's own events (without an org, or in the active org), newest first. Raises BAD_USER_INPUT. */
export async function listViewerEvents(ctx: RequestScope, first: number | null | undefined, after: string | null | undefined, type: string | null | undefined): Promise<AuditEventConnection> {
  const { userId } = requireSignedIn(ctx.scope);
  const page = eventPage(first, after, type, 20);
  return toConnection((await listUserEvents(ctx.em, userId, page)).map(view), page.limit - 1);
}
