/**
 * The mixed workload of test/faults/db-restart.test.ts: one loop per worker (reads, writes, refresh
 * chains, organization switches, /readyz and /oauth/token probes), every HTTP exchange recorded with
 * its start, end, status and first error code, so the test can judge each one by when it ran
 * relative to the outage. A worker whose request got 503 retries it, as a client would, after
 * RETRY_MS; one whose chain broke for a documented reason (a lost response) starts a new chain.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { PASSWORD, type Tenant } from '../support/tenants.ts';

export type Kind = 'read' | 'write' | 'refresh' | 'switch' | 'readyz' | 'token';

export interface Sample {
  readonly kind: Kind;
  readonly start: number;
  readonly end: number;
  /** HTTP status; 0 when the request itself failed (connection to the API lost, or our own timeout). */
  readonly status: number;
  /** `errors[0].extensions.code`, OAuth's `error`, or the fetch failure. */
  readonly code: string | undefined;
  readonly body: unknown;
}

/** A task createTask acknowledged (200, no error): it must be in the database afterwards. */
export interface Acknowledged {
  readonly id: string;
  readonly title: string;
  readonly orgId: string;
}

/** Outcomes a refresh or switch may legitimately end with after an outage, when the client lost a response. */
export const CHAIN_BREAK_CODES = new Set(['REFRESH_TOKEN_REUSED', 'UNAUTHENTICATED', 'SESSION_REVOKED']);

/** A client's pause after a 503 before it tries again. */
const RETRY_MS = 200;
/** Each worker's pause between requests: keeps the load fair to the test files running alongside. */
const THINK_MS = 25;
/** A response slower than this is recorded as a failure (status 0) rather than waited for. */
const CLIENT_TIMEOUT_MS = 20_000;

export const now = (): number => performance.now();

export class Workload {
  readonly samples: Sample[] = [];
  readonly acknowledged: Acknowledged[] = [];
  /** Titles of writes answered 503: each may or may not have committed (a lost commit acknowledgement). */
  readonly unacknowledged: string[] = [];
  /** Refresh or switch chains restarted after a CHAIN_BREAK_CODES outcome. */
  readonly chainBreaks: { kind: Kind; code: string }[] = [];

  constructor(
    private readonly graphqlUrl: string,
    private readonly deadline: number,
  ) {}

  private get running(): boolean {
    return now() < this.deadline;
  }

  async send(kind: Kind, path: string, init: RequestInit): Promise<Sample> {
    const start = now();
    let sample: Sample;
    try {
      const res = await fetch(new URL(path, this.graphqlUrl), { ...init, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
      const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[]; error?: string };
      sample = { kind, start, end: now(), status: res.status, code: body.errors?.[0]?.extensions?.code ?? body.error, body };
    } catch (err) {
      sample = { kind, start, end: now(), status: 0, code: `FETCH_FAILED ${(err as Error).name}`, body: null };
    }
    this.samples.push(sample);
    return sample;
  }

  gql(kind: Kind, query: string, variables: Record<string, unknown>, token?: string): Promise<Sample> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
    return this.send(kind, '/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  }

  /** Alternates the projects list and one project; every name it sees must carry the tenant's marker. */
  async reader(tenant: Tenant, leaks: string[]): Promise<void> {
    for (let i = 0; this.running; i++) {
      const s =
        i % 2 === 0
          ? await this.gql('read', `{ projects(first: 10) { edges { node { id name tasks { title } } } } }`, {}, tenant.token)
          : await this.gql('read', `query($id: ID!) { project(id: $id) { id name tasks { title } } }`, { id: tenant.projectId }, tenant.token);
      if (s.status === 200) for (const name of namesIn(s.body)) if (!name.includes(tenant.marker)) leaks.push(`${tenant.marker} read ${name}`);
      await sleep(s.status === 503 ? RETRY_MS : THINK_MS);
    }
  }

  /** createTask with unique titles `<marker> w<n>`, recording which ones were acknowledged. */
  async writer(tenant: Tenant): Promise<void> {
    for (let n = 0; this.running; n++) {
      const title = `${tenant.marker} w${n}`;
      const s = await this.gql('write', `mutation($p: ID!, $t: String!) { createTask(projectId: $p, title: $t) { id title } }`, { p: tenant.projectId, t: title }, tenant.token);
      const task = (s.body as { data?: { createTask?: { id: string } } } | null)?.data?.createTask;
      if (s.status === 200 && s.code === undefined && task) this.acknowledged.push({ id: task.id, title, orgId: tenant.orgId });
      else this.unacknowledged.push(title);
      await sleep(s.status === 503 ? RETRY_MS : THINK_MS);
    }
  }

  /** One refresh-token chain on its own user's device session; a 503 retries the same token. */
  async refresher(email: string): Promise<void> {
    let token = await this.signIn(email);
    while (this.running) {
      const s = await this.gql('refresh', `mutation($r: String!) { refreshSession(refreshToken: $r) { refreshToken } }`, { r: token });
      const next = (s.body as { data?: { refreshSession?: { refreshToken: string } } } | null)?.data?.refreshSession?.refreshToken;
      if (next) token = next;
      else if (s.code && CHAIN_BREAK_CODES.has(s.code)) {
        this.chainBreaks.push({ kind: 'refresh', code: s.code });
        token = await this.signIn(email);
      }
      await sleep(s.status === 503 ? RETRY_MS : THINK_MS);
    }
  }

  /** Switches one session back and forth between two STANDARD orgs of its user; a 503 retries the same switch. */
  async switcher(tenant: Tenant, otherOrgId: string): Promise<void> {
    let token = (await this.signInFull(tenant.email, tenant.orgId)).accessToken;
    let target = otherOrgId;
    while (this.running) {
      const s = await this.gql('switch', `mutation($o: ID!) { switchOrganization(organizationId: $o) { accessToken activeOrganization { id } } }`, { o: target }, token);
      const switched = (s.body as { data?: { switchOrganization?: { accessToken: string; activeOrganization: { id: string } } } } | null)?.data?.switchOrganization;
      if (switched && switched.activeOrganization.id === target) {
        token = switched.accessToken;
        target = target === otherOrgId ? tenant.orgId : otherOrgId;
      } else if (s.code && CHAIN_BREAK_CODES.has(s.code)) {
        this.chainBreaks.push({ kind: 'switch', code: s.code });
        token = (await this.signInFull(tenant.email, tenant.orgId)).accessToken;
        target = otherOrgId;
      }
      await sleep(s.status === 503 ? RETRY_MS : THINK_MS);
    }
  }

  /** GET /readyz every 100 ms. */
  async readiness(): Promise<void> {
    while (this.running) {
      await this.send('readyz', '/readyz', { method: 'GET' });
      await sleep(100);
    }
  }

  /** POST /oauth/token every 250 ms. */
  async tokens(clientId: string, clientSecret: string): Promise<void> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString();
    while (this.running) {
      await this.send('token', '/oauth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      await sleep(250);
    }
  }

  private async signIn(email: string): Promise<string> {
    return (await this.signInFull(email)).refreshToken;
  }

  /** signIn, retried through an outage (not recorded: it is the chain's setup, not the workload). */
  private async signInFull(email: string, orgId?: string): Promise<{ accessToken: string; refreshToken: string }> {
    for (;;) {
      const res = await fetch(this.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `mutation($e: String!, $p: String!, $o: ID) { signIn(email: $e, password: $p, deviceName: "fault", organizationId: $o) { accessToken refreshToken } }`,
          variables: { e: email, p: PASSWORD, o: orgId ?? null },
        }),
      });
      const body = (await res.json()) as { data?: { signIn?: { accessToken: string; refreshToken: string } }; errors?: unknown };
      if (body.data?.signIn) return body.data.signIn;
      if (res.status !== 503) throw new Error(`signIn failed: ${res.status} ${JSON.stringify(body.errors)}`);
      await sleep(RETRY_MS);
    }
  }
}

/** Every project name and task title in a read's response. */
function namesIn(body: unknown): string[] {
  const data = (body as { data?: unknown } | null)?.data;
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if ((k === 'name' || k === 'title') && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  walk(data);
  return out;
}
