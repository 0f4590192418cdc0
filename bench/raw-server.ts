/**
 * `npm run bench` mode (c), the practical limit of this machine: node:http and a pg.Pool running the
 * SQL the full server runs for each benchmarked operation (captured from it), statement for statement
 * and in the same order, in one transaction per request on one pooled connection, as the confined
 * role with the same set_config calls (RLS applies). No GraphQL, ORM, shield, logging or metrics:
 * requests are dispatched on `operationName` and answered with the JSON the GraphQL query returns,
 * byte for byte. Token verification and signing, refresh-token hashing and successor derivation,
 * rate limits and every security decision are src's own functions; so is the raw SQL src/db runs
 * through `em.execute` (live state, advisory lock, security event), called here unchanged.
 *
 * Only the paths the benchmark takes are reproduced beyond the decisions themselves: refresh-token
 * reuse is refused without revoking the user's sessions, a switch with an MFA code, a dedicated
 * signing key not yet created and the like answer NOT_REPRODUCED (`notReproduced`), and a lookup
 * miss answers without the full server's cross-tenant probe (`object_exists_elsewhere`).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { KeyRing, type ActiveSigningKey } from '../src/platform/keys/key-ring.ts';
import { SigningKey } from '../src/platform/keys/signing-key.entity.ts';
import { SERVICE_CLIENT_ID } from '../src/platform/tokens/claims.ts';
import { signAccessToken } from '../src/platform/tokens/sign-access-token.ts';
import { verifyAccessToken } from '../src/platform/tokens/verify-access-token.ts';
import { loadConfig } from '../src/app/config.ts';
import { hashToken, newOpaqueToken, REFRESH_TOKEN_PATTERN, successorToken } from '../src/platform/crypto/tokens.ts';
import { loadLiveState, loadServiceLiveState } from '../src/platform/tenancy/live-state.queries.ts';
import { advisoryXactLock } from '../src/db/locks.ts';
import { RateLimitBuckets } from '../src/platform/limits/rate-limit-buckets.queries.ts';
import { SidePool } from '../src/db/side-pool.ts';
import { recordSecurityEvent } from '../src/platform/security-log/security-events.queries.ts';
import { AppError, badInput, ErrorCode, forbidden, notFound } from '../src/core/errors.ts';
import { parseBearer } from '../src/api/graphql/context.ts';
import { parseId } from '../src/core/ids.ts';
import { addressSubject } from '../src/api/http/client-address.ts';
import type { RateLimit, RateLimitRule } from '../src/core/decisions/decide-rate-limit.ts';
import { RateLimiter } from '../src/platform/limits/rate-limiter.ts';
import { createLogger } from '../src/platform/observability/logger.ts';
import { idleEnd, sessionEnd } from '../src/core/policy/session-ends.ts';
import type { Metrics } from '../src/platform/observability/metrics.ts';
import { strictestPolicy } from '../src/core/policy/session-policy.ts';
import { decideRefresh } from '../src/core/decisions/decide-refresh.ts';
import { decideReentry } from '../src/core/decisions/decide-reentry.ts';
import { decideSigningKey } from '../src/core/decisions/decide-signing-key.ts';
import { requireSignedIn, requireTenant } from '../src/platform/tenancy/require.ts';
import { decideScope, decideServiceScope, type TenantScope } from '../src/core/decisions/decide-scope.ts';
import { storableText } from '../src/core/validation.ts';
import type { RequestTransaction } from '../src/db/request-transaction.ts';
import type { ActiveKey } from '../src/core/decisions/decide-signing-key.ts';
import type { DeviceSession } from '../src/modules/sessions/device-session.entity.ts';
import { takePolicy } from '../src/modules/sessions/refresh.ts';
import { decideSwitch } from '../src/modules/sessions/switch.ts';
import { commitRotation, commitSwitch, lockForSwitch, retireIfLive, rotationContext } from '../src/modules/sessions/rotation.queries.ts';
import { policyOf, type Entered } from '../src/platform/tenancy/organization-view.ts';
import { OPERATIONS } from './lib/operations.ts';
import { BENCH_RATE_LIMITS } from './lib/rate-limits.ts';

export interface RawServerOptions {
  /** The confined runtime role (`orgbound_app`): RLS applies. */
  readonly databaseUrl: string;
  readonly kek: Buffer;
  readonly issuer: string;
  readonly audience: string;
  readonly poolMax: number;
  /** Defaults to BENCH_RATE_LIMITS, what bench/api-server.ts gives the full server. */
  readonly rateLimits?: Readonly<Record<RateLimitRule, RateLimit>>;
}

interface RawApp {
  readonly pool: pg.Pool;
  readonly keys: KeyRing;
  readonly rateLimiter: RateLimiter;
  readonly options: RawServerOptions;
}

/** Listens on 127.0.0.1, port 0. The database must hold the global signing key (the full server creates it). */
export async function startRawServer(options: RawServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolMax });
  pool.on('error', () => undefined); // an idle client losing its connection must not crash the process
  const side = new SidePool(options.databaseUrl); // a small pool of its own, as the full server's
  const buckets = new RateLimitBuckets(side);
  try {
    const keys = new KeyRing(() => loadSigningKeys(pool), options.kek);
    await keys.reload();
    // RateLimiter reports refusals to metrics; the raw server keeps none (the bench's limits never refuse).
    const noMetrics = { countRateLimited: () => undefined } as unknown as Metrics;
    const rules = options.rateLimits ?? loadConfig({ ...BENCH_RATE_LIMITS }).rateLimits;
    const rateLimiter = new RateLimiter(buckets, rules, options.kek, () => new Date(), createLogger('warn'), noMetrics);
    const app: RawApp = { pool, keys, rateLimiter, options };
    const server = createServer((req, res) => void handle(app, req, res).catch((err: unknown) => answerError(res, err, null)));
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    const close = async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await rateLimiter.idle();
      await side.close();
      await pool.end();
    };
    return { port: (server.address() as AddressInfo).port, close };
  } catch (err) {
    await side.close();
    await pool.end();
    throw err;
  }
}

interface SigningKeyRow {
  id: string;
  alg: string;
  public_jwk: Record<string, unknown>;
  private_jwk_sealed: string;
  created_at: Date;
  retired_at: Date | null;
  verify_until: Date | null;
  owner_org_id: string | null;
}

/** `select * from signing_keys` as KeyRing's loader wants it (SigningKey's property names). */
async function loadSigningKeys(pool: pg.Pool): Promise<SigningKey[]> {
  const { rows } = await pool.query<SigningKeyRow>('select * from signing_keys order by created_at asc');
  if (rows.length === 0) throw new Error('raw server: signing_keys is empty: start the full server on this database first');
  return rows.map((r) =>
    Object.assign(new SigningKey(), {
      id: r.id,
      alg: r.alg,
      publicJwk: r.public_jwk,
      privateJwkSealed: r.private_jwk_sealed,
      createdAt: r.created_at,
      retiredAt: r.retired_at,
      verifyUntil: r.verify_until,
      ownerOrgId: r.owner_org_id,
    }),
  );
}

// ---- HTTP ---------------------------------------------------------------------------------------

interface Operation {
  /** The root field the GraphQL query selects. */
  readonly field: string;
  /** A nullable field errs as `{ field: null }`, a non-null one as `data: null` (GraphQL null propagation). */
  readonly nullable: boolean;
  run(req: OperationRequest): Promise<unknown>;
}

interface OperationRequest {
  readonly app: RawApp;
  readonly tx: RequestTx;
  readonly scope: TenantScope | null;
  readonly variables: Record<string, unknown>;
  readonly clientAddress: string;
}

/** The benchmark's operations (bench/lib/operations.ts), by operationName. */
const DISPATCH = new Map<string, Operation>([
  [OPERATIONS.projectsWithTasks.operationName, { field: 'projects', nullable: false, run: projectsWithTasks }],
  [OPERATIONS.projectById.operationName, { field: 'project', nullable: true, run: projectById }],
  [OPERATIONS.createTask.operationName, { field: 'createTask', nullable: false, run: createTask }],
  [OPERATIONS.refreshSession.operationName, { field: 'refreshSession', nullable: false, run: refreshSession }],
  [OPERATIONS.switchOrganization.operationName, { field: 'switchOrganization', nullable: false, run: switchOrganization }],
]);

const BODY_LIMIT_BYTES = 100 * 1024; // src/api/http/app.ts BODY_LIMIT

async function handle(app: RawApp, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST' || req.url !== '/graphql') return answer(res, 404, badRequest('Not found'));
  const body = await readJson(req);
  if (body === 'too large') return answer(res, 413, badRequest('Request body too large'));
  if (body === 'malformed') return answer(res, 400, badRequest('Malformed JSON body'));
  const op = typeof body.operationName === 'string' ? DISPATCH.get(body.operationName) : undefined;
  if (!op) return answer(res, 400, badRequest('raw bench server: unknown operationName'));
  const variables = (typeof body.variables === 'object' && body.variables !== null ? body.variables : {}) as Record<string, unknown>;
  let opened: Awaited<ReturnType<typeof openRequest>>;
  try {
    opened = await openRequest(app, req.headers.authorization);
  } catch (err) {
    return answerError(res, err, null);
  }
  const { tx, scope } = opened;
  try {
    const data = { [op.field]: await op.run({ app, tx, scope, variables, clientAddress: addressSubject(req.socket.remoteAddress) }) };
    await tx.end(true);
    answer(res, 200, { data });
  } catch (err) {
    await tx.end(false);
    answerError(res, err, op);
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | 'too large' | 'malformed'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT_BYTES) return 'too large';
    chunks.push(chunk);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : 'malformed';
  } catch {
    return 'malformed';
  }
}

/** Apollo's serialisation: JSON.stringify and a newline (bench/run.ts compares the reads' bodies as strings). */
function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const badRequest = (message: string) => ({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });

/** A path of the full server that the benchmark never takes: refused rather than reimplemented. */
class NotReproduced extends Error {}
const notReproduced = (what: string) => new NotReproduced(`raw bench server: ${what} is not reproduced`);
let internalErrorsReported = 0;

/** As Apollo answers: a contract error keeps its code and HTTP status (401 for the session codes); `op` null: raised building the context. */
function answerError(res: ServerResponse, err: unknown, op: Operation | null): void {
  if (!(err instanceof AppError)) {
    const code = err instanceof NotReproduced ? 'NOT_REPRODUCED' : 'INTERNAL_SERVER_ERROR';
    if (internalErrorsReported++ < 10) console.error('raw server:', err);
    if (!res.headersSent) answer(res, 500, { errors: [{ message: err instanceof NotReproduced ? err.message : 'Internal server error', extensions: { code } }] });
    return;
  }
  const status = (err.extensions.http as { status?: number } | undefined)?.status ?? 200;
  const error = { message: err.message, ...(op ? { path: [op.field] } : {}), extensions: { code: err.code } };
  answer(res, status, op ? { errors: [error], data: op.nullable ? { [op.field]: null } : null } : { errors: [error] });
}


// ---- The request transaction --------------------------------------------------------------------

const SET_TENANT = `select set_config('app.org_id', $1, true), set_config('app.user_id', $2, true)`; // src/db/request-transaction.ts setTenant
const dollarForms = new Map<string, string>();
const RAW_CONFIG = {};
const statementNames = new Map<string, string>();
const statementName = (sql: string) => statementNames.get(sql) ?? (statementNames.set(sql, `raw_${statementNames.size}`), `raw_${statementNames.size - 1}`);

/** One request's transaction on one pooled connection. */
class RequestTx {
  private ended = false;

  constructor(private readonly client: pg.PoolClient) {}

  /** A prepared (named) statement, as src/db/sql.ts sends the hot path's. */
  async rows<R>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.client.query({ name: statementName(sql), text: sql, values: params })).rows as R[];
  }

  async first<R>(sql: string, params: unknown[]): Promise<R | null> {
    return (await this.rows<R>(sql, params))[0] ?? null;
  }

  async setTenant(orgId: string | null, userId: string | null): Promise<void> {
    await this.rows(SET_TENANT, [orgId ?? '', userId ?? '']);
  }

  /** MikroORM's `em.execute` as src/db's raw SQL calls it: `?` placeholders, rows back. */
  execute(sql: string, params: unknown[] = []): Promise<unknown[]> {
    let numbered = dollarForms.get(sql);
    if (numbered === undefined) {
      let n = 0;
      numbered = sql.replace(/\?/g, () => `$${++n}`);
      dollarForms.set(sql, numbered);
    }
    return this.rows(numbered, params);
  }

  /** src/db/sql.ts's view of an EntityManager in a transaction: its connection. */
  getTransactionContext(): { client: { acquireConnection(): Promise<pg.PoolClient> } } {
    return { client: { acquireConnection: () => Promise.resolve(this.client) } };
  }

  /** The ORM configuration src/db/sql.ts keys its settings on (named statements on). */
  readonly config = RAW_CONFIG;

  /** For loadLiveState, advisoryXactLock and recordSecurityEvent, which use nothing of the EntityManager but `execute` and the transaction's connection. */
  get em(): EntityManager {
    return this as unknown as EntityManager;
  }

  /** rotation.queries.ts's view of the request transaction: the EntityManager, and a tenant entered by the write itself (no ORM filter here). */
  get transaction(): RequestTransaction {
    const view = { em: this.em, enterTenantWith: (_tenant: unknown, write: () => Promise<boolean>) => write() };
    return view as unknown as RequestTransaction;
  }

  /** COMMIT or ROLLBACK, once; a connection that failed either is destroyed rather than pooled. A failed COMMIT raises. */
  async end(commit: boolean): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    try {
      await this.client.query(commit ? 'commit' : 'rollback');
      this.client.release();
    } catch (err) {
      this.client.release(err as Error);
      if (commit) throw err;
    }
  }
}

/** src/api/graphql/context.ts buildContext: verify the token, BEGIN with the claimed tenant, check session and membership live. */
async function openRequest(app: RawApp, authorization: string | undefined): Promise<{ tx: RequestTx; scope: TenantScope | null }> {
  const token = parseBearer(authorization);
  const { issuer, audience } = app.options;
  const verified = token === null ? null : await verifyAccessToken(token, app.keys, { issuer, audience, now: new Date() });
  const tx = new RequestTx(await app.pool.connect());
  try {
    await tx.rows('begin');
    if (!verified) {
      await tx.setTenant(null, null);
      return { tx, scope: null };
    }
    const { claims } = verified;
    const claimedOrg = claims.org_id ?? null;
    await tx.setTenant(claimedOrg, claims.sub);
    const service = SERVICE_CLIENT_ID.exec(claims.client_id);
    const decision = service
      ? claimedOrg === service[1] && claims.sid === service[2]
        ? decideServiceScope(verified, { orgId: service[1]!, accountId: service[2]! }, await loadServiceLiveState(tx.em, service[2]!, service[1]!))
        : ({ kind: 'deny', code: ErrorCode.UNAUTHENTICATED, message: 'Invalid access token' } as const)
      : decideScope(verified, await loadLiveState(tx.em, claims.sid, claimedOrg), new Date());
    if (decision.kind === 'deny') throw new AppError(decision.code, decision.message);
    if (decision.scope.orgId !== claimedOrg) await tx.setTenant(decision.scope.orgId, decision.scope.userId);
    return { tx, scope: decision.scope };
  } catch (err) {
    await tx.end(false);
    throw err;
  }
}

// ---- Projects -----------------------------------------------------------------------------------

interface ProjectRow {
  id: string;
  name: string;
}
interface TaskRow {
  id: string;
  projectId: string;
  title: string;
  done: boolean;
}


const PAGE_SIZE = 20; // projects(first: 20)
const SELECT_PROJECT = `select "org_id" as "orgId", "id" as "id", "name" as "name", "created_at" as "createdAt" from "projects" where org_id = $1 and (id = any($2::uuid[]))`;
const TASK_TITLE = storableText(500); // src/modules/projects/project.service.ts taskTitle

function stringVariable(variables: Record<string, unknown>, name: string): string {
  const value = variables[name];
  if (typeof value !== 'string') throw badInput(`Variable "$${name}" must be a string`);
  return value;
}

const PROJECT_COLUMNS = `"org_id" as "orgId", "id" as "id", "name" as "name", "created_at" as "createdAt"`;
const TASK_COLUMNS = `"org_id" as "orgId", "id" as "id", "project_id" as "projectId", "title" as "title", "done" as "done", "created_at" as "createdAt"`;

/** listProjects, then the Project.tasks DataLoader once for the page (not at all for an empty page): src/db/tenant-rows.ts's statements. */
async function projectsWithTasks({ tx, scope }: OperationRequest): Promise<unknown> {
  const { orgId } = requireTenant(scope);
  const rows = await tx.rows<ProjectRow>(`select ${PROJECT_COLUMNS} from "projects" where org_id = $1 order by created_at, id limit $2`, [orgId, PAGE_SIZE + 1]);
  const page = rows.slice(0, PAGE_SIZE);
  const tasks = new Map<string, { id: string; title: string; done: boolean }[]>(page.map((p) => [p.id, []]));
  if (page.length > 0) {
    const sql = `select x.* from unnest($1::uuid[]) as p(id) cross join lateral (select ${TASK_COLUMNS} from "tasks" where org_id = $2 and ("project_id" = p.id) order by created_at, id limit $3) x`;
    for (const t of await tx.rows<TaskRow>(sql, [page.map((p) => p.id), orgId, 100])) tasks.get(t.projectId)?.push({ id: t.id, title: t.title, done: t.done });
  }
  return { edges: page.map((p) => ({ node: { id: p.id, name: p.name, tasks: tasks.get(p.id) } })) };
}

/** findProject through the projectById DataLoader. A miss answers null without the cross-tenant probe. */
async function projectById({ tx, scope, variables }: OperationRequest): Promise<unknown> {
  const id = parseId(stringVariable(variables, 'id'));
  const { orgId } = requireTenant(scope);
  const project = await tx.first<ProjectRow>(SELECT_PROJECT, [orgId, [id]]);
  return project ? { id: project.id, name: project.name } : null;
}

/** createTask: the project through the DataLoader (NOT_FOUND without the cross-tenant probe), then the insert. */
async function createTask({ tx, scope, variables }: OperationRequest): Promise<unknown> {
  const projectId = parseId(stringVariable(variables, 'projectId'), 'projectId');
  const { orgId } = requireTenant(scope);
  const project = await tx.first<ProjectRow>(SELECT_PROJECT, [orgId, [projectId]]);
  if (!project) throw notFound('Project');
  const title = TASK_TITLE.safeParse(variables.title);
  if (!title.success) throw badInput('Invalid title');
  const task = { id: randomUUID(), title: title.data, done: false };
  await tx.rows(`insert into "tasks" ("org_id", "id", "project_id", "title", "done", "created_at") values ($1, $2, $3, $4, $5, $6)`, [
    orgId,
    task.id,
    project.id,
    task.title,
    task.done,
    new Date(),
  ]);
  return task;
}

// ---- Sessions (src/modules/sessions/) -------------------------------------------------
// The statements are src's own (rotation.queries.ts), as are the decisions; what is not reproduced
// (a retry or reuse of a rotated token, an MFA code, an org that isolates its sessions) is refused.

interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
}

const sessionRevoked = () => new AppError(ErrorCode.SESSION_REVOKED, 'Session revoked');

/** refreshSession's fast path (src/modules/sessions/refresh.ts rotateIfLive), statement for statement. */
async function refreshSession({ app, tx, variables, clientAddress }: OperationRequest): Promise<TokenPair> {
  const presented = stringVariable(variables, 'refreshToken');
  await app.rateLimiter.consume('refreshPerAddress', clientAddress);
  if (!REFRESH_TOKEN_PATTERN.test(presented)) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Invalid refresh token');
  const now = new Date();
  const retired = await retireIfLive(tx.em, hashToken(presented), now);
  if (!retired) throw notReproduced("a refresh with a token that is not its family's live token");
  const { session } = retired;
  await app.rateLimiter.consume('refreshPerSession', session.id);
  await tx.setTenant(null, session.userId);
  const context = session.revokedAt ? { memberships: [], keys: [] } : await rotationContext(tx.em, session.userId, session.enteredOrgIds, session.activeOrgId ?? null);
  const orgs = context.memberships.map((m) => m.org);
  if (orgs.length > 0) takePolicy(session, strictestPolicy([session.policy, ...orgs.map(policyOf)]), now);
  const active = context.memberships.find((m) => m.org.id === session.activeOrgId) ?? null;
  const decision = decideRefresh(
    { expiresAt: retired.tokenExpiresAt, rotatedAt: null, retiredBy: null, successorIsLive: false },
    { revokedAt: session.revokedAt ?? null, expiresAt: sessionEnd(session) },
    session.policy.refreshReuseLeewaySeconds,
    now,
  );
  if (decision.kind === 'revoked') throw sessionRevoked();
  if (decision.kind === 'expired') throw new AppError(ErrorCode.SESSION_EXPIRED, 'Session expired');
  if (decision.kind !== 'rotate') throw new Error(`refresh: a live token decided ${decision.kind}`);
  const reentry = decideReentry({ activeOrgId: session.activeOrgId ?? null, boundOrgId: session.boundOrgId ?? null, membership: active ? { isolatedSession: policyOf(active.org).isolatedSession } : null });
  if (reentry.kind !== 'enter' && reentry.kind !== 'no_org') throw notReproduced('a refresh whose active organization is gone or isolated');
  const entered = reentry.kind === 'enter' ? active : null;
  session.idleExpiresAt = idleEnd(now, session.policy, session.expiresAt);
  session.lastUsedAt = now;
  const next = successorToken(app.options.kek, presented);
  const tenant = { orgId: entered?.org.id ?? null, userId: session.userId };
  if (!(await commitRotation(tx.transaction, { session, successor: { id: randomUUID(), tokenHash: hashToken(next), parentId: retired.tokenId }, now }, tenant))) throw sessionRevoked();
  return issueTokens(app, session, entered, next, now, context.keys);
}

/** switchOrganization without an MFA code (src/modules/sessions/switch.ts), statement for statement. */
async function switchOrganization({ app, tx, scope: maybeScope, variables }: OperationRequest): Promise<TokenPair> {
  const scope = requireSignedIn(maybeScope);
  const targetOrgId = parseId(stringVariable(variables, 'organizationId'), 'organizationId');
  if (variables.mfaCode) throw notReproduced('switchOrganization with an MFA code');
  const state = await lockForSwitch(tx.em, scope.sessionId, scope.userId, targetOrgId);
  if (!state) throw new Error('switchOrganization: the verified session is not in the database');
  const { session, entered } = state;
  const now = new Date();
  const decision = decideSwitch(state, targetOrgId, 'absent', now);
  if (decision.kind === 'deny') throw new AppError(decision.code, decision.message);
  if (!entered) throw forbidden('Not a member of that organization');
  session.mfaAt = decision.mfaAt;
  if (!session.enteredOrgIds.includes(entered.org.id)) session.enteredOrgIds = [...session.enteredOrgIds, entered.org.id];
  session.activeOrgId = entered.org.id;
  session.lastUsedAt = now;
  takePolicy(session, strictestPolicy([session.policy, policyOf(entered.org)]), now);
  session.idleExpiresAt = idleEnd(now, session.policy, session.expiresAt);
  const refreshToken = newOpaqueToken('ort');
  await commitSwitch(tx.transaction, { session, successor: { id: randomUUID(), tokenHash: hashToken(refreshToken) }, now }, { orgId: entered.org.id, userId: scope.userId });
  const detail = { from: scope.orgId, mfa: false, ...(scope.actor ? { actor_agent: scope.actor } : {}) };
  await recordSecurityEvent(tx.em, { type: 'ORGANIZATION_SWITCHED', userId: scope.userId, sessionId: session.id, orgId: entered.org.id, detail }, now);
  return issueTokens(app, session, entered, refreshToken, now, state.keys);
}

/** payload and signingKeyAmong: the key decideSigningKey picks among those the statement read, and an access token that never outlives the session. */
async function issueTokens(app: RawApp, session: DeviceSession, entered: Entered | null, refreshToken: string, now: Date, keys: readonly ActiveKey[]): Promise<TokenPair> {
  const orgId = entered?.org.id ?? null;
  const decision = decideSigningKey(orgId, entered ? policyOf(entered.org).dedicatedSigningKey : false, [...keys]);
  if (decision.kind === 'none') throw new Error('orgbound: no active global signing key');
  if (decision.kind === 'create_dedicated') throw notReproduced("creating an organization's signing key");
  const ttlSeconds = Math.max(1, Math.min(session.policy.accessTokenTtlSeconds, Math.floor((sessionEnd(session).getTime() - now.getTime()) / 1000)));
  const access = await signAccessToken(await signingKey(app.keys, decision.kid), { iss: app.options.issuer, aud: app.options.audience }, {
    userId: session.userId,
    sessionId: session.id,
    org: entered ? { id: entered.org.id, tier: entered.org.tier, role: entered.role } : undefined,
    authTime: session.authTime,
    amr: session.amr,
    ttlSeconds,
    now,
  });
  return { accessToken: access.token, refreshToken };
}

class KeyNotLoaded extends Error {}
/** KeyRing.signingKey reads a key it has not loaded through the EntityManager; here it reloads instead (a key another instance created). */
const LOADED_KEYS_ONLY = { findOne: () => Promise.reject(new KeyNotLoaded()) } as unknown as EntityManager;

async function signingKey(keys: KeyRing, kid: string): Promise<ActiveSigningKey> {
  try {
    return await keys.signingKey(kid, LOADED_KEYS_ONLY);
  } catch (err) {
    if (!(err instanceof KeyNotLoaded)) throw err;
    await keys.reload();
    return keys.signingKey(kid, LOADED_KEYS_ONLY);
  }
}
