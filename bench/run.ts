/**
 * `npm run bench`: what isolation costs. Starts three servers on one fresh database, each in its own
 * process: (a) `enforced`, the production server; (b) `unenforced`, the same server with shield,
 * tenant filter and RLS off (src/db/unenforced.ts); (c) `raw`, node:http + pg running the
 * same SQL (bench/raw-server.ts). Load comes from this process over loopback (autocannon). Every
 * scenario runs in every mode, round after round, the mode order rotating each round so machine noise
 * falls on all three alike; the medians over rounds are reported. Writes bench/results.json.
 *
 *   npm run bench -- [--duration 8] [--rounds 3] [--connections 8] [--warmup 2]
 *                    [--scenarios projectsWithTasks,refreshSession] [--modes enforced,raw] [--out file.json]
 */
import autocannon from 'autocannon';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { benchDatabase } from './lib/database.ts';
import { median, pinConnectionSlots, round2, slotOf as slotIn } from './lib/load.ts';
import { gql, PASSWORD, signIn, type Session } from './lib/graphql.ts';
import { requestBody, SCENARIOS, type ScenarioName } from './lib/operations.ts';
import { startBenchServer, type BenchServer, type Mode } from './lib/processes.ts';
import { seedWorld, type BenchWorld } from './lib/seed.ts';

const ALL_MODES: Mode[] = ['enforced', 'unenforced', 'raw'];

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    // Development: fewer modes (results.json is written only when all three ran).
    modes: { type: 'string', default: ALL_MODES.join(',') },
    out: { type: 'string', default: new URL('./results.json', import.meta.url).pathname },
    // The burst phase (enforced only): other users' reads alone, then beside bursts of 100 presentations of one refresh token; 0 skips it.
    'burst-seconds': { type: 'string', default: '0' },
    // A soak (enforced only): projectsWithTasks for this many seconds, RSS sampled each second (300 for the 5-minute run); 0 skips it.
    'soak-seconds': { type: 'string', default: '0' },
  },
});
const duration = Number(args.duration);
const rounds = Number(args.rounds);
const connections = Number(args.connections);
const warmup = Number(args.warmup);
const scenarios = args.scenarios.split(',') as ScenarioName[];
const MODES = args.modes.split(',') as Mode[];
const burstSeconds = Number(args['burst-seconds']);
const soakSeconds = Number(args['soak-seconds']);
if (MODES[0] !== 'enforced' || MODES.some((m) => !ALL_MODES.includes(m))) throw new Error(`bench: --modes must start with enforced and name only ${ALL_MODES.join(', ')}`);
for (const s of scenarios) if (!SCENARIOS.includes(s)) throw new Error(`bench: unknown scenario ${s} (known: ${SCENARIOS.join(', ')})`);

interface Sample {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly failures: number;
  /** The first failed answer, for the log. */
  readonly firstFailure?: string | undefined;
}

/** Per-connection state: each connection is one device session of its own. */
interface Chain {
  /** The session's user (movers sign in afresh before each measurement). */
  readonly email: string;
  session: Session;
  /** The org the session is in now. */
  orgId: string;
  /** switchOrganization alternates between orgId and this. */
  otherOrgId: string;
}

/**
 * `readers`: sessions of the measured tenant's user (reads and createTask). `movers`: one user of its
 * own per connection, with two orgs (refreshSession, switchOrganization), because refreshes and
 * switches of one user are serialised by design (a per-user lock) and real traffic has many users.
 */
interface Chains {
  readers: Chain[];
  movers: Chain[];
}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const started = Date.now();
  log(`bench: ${scenarios.length} scenarios × ${MODES.length} modes × ${rounds} rounds of ${duration} s, ${connections} connections`);
  const db = await benchDatabase(process.env.BENCH_DATABASE_SUFFIX ?? 'main');
  const servers: BenchServer[] = [];
  try {
    const enforced = await startBenchServer('enforced', db);
    servers.push(enforced);
    const world = await seedWorld(enforced.url);
    for (const mode of MODES.slice(1)) servers.push(await startBenchServer(mode, db));
    const byMode = Object.fromEntries(servers.map((s) => [s.mode, s])) as Record<Mode, BenchServer>;
    log(`bench: seeded and servers up in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const chains = await prepareChains(enforced.url, world);
    await checkModesAgree(byMode, world, chains);
    const rss = new RssSampler(enforced.pid);

    const samples: Record<string, Record<Mode, Sample[]>> = {};
    for (let round = 0; round < rounds; round++) {
      for (const scenario of scenarios) {
        const order = MODES.map((_, i) => MODES[(i + round) % MODES.length]!);
        for (const mode of order) {
          if (round === 0 && warmup > 0) await measure(byMode[mode].url, scenario, world, chains[mode], warmup, enforced.url);
          const sample = await measure(byMode[mode].url, scenario, world, chains[mode], duration, enforced.url);
          ((samples[scenario] ??= {} as Record<Mode, Sample[]>)[mode] ??= []).push(sample);
          log(`  round ${round + 1} ${scenario.padEnd(18)} ${mode.padEnd(10)} ${sample.rps.toFixed(0).padStart(6)} req/s  p50 ${sample.p50Ms.toFixed(1)} ms  p99 ${sample.p99Ms.toFixed(1)} ms${sample.failures ? `  FAILURES ${sample.failures}: ${sample.firstFailure}` : ''}`);
        }
      }
    }

    const burst = burstSeconds > 0 ? await burstPhase(enforced.url, world, chains.enforced, burstSeconds) : null;
    if (burst) log(`  burst: readers' p99 ${burst.readersAloneP99Ms} ms alone, ${burst.readersDuringBurstsP99Ms} ms beside ${burst.bursts} bursts (${burst.ratio}x); ${burst.refusedPresentations} of ${burst.presentations} presentations refused`);
    const memoryDuringBench = rss.summary();
    const soak = soakSeconds > 0 ? await soakPhase(enforced, world, chains.enforced, soakSeconds) : null;
    rss.stop();
    if (soak) log(`  soak: ${soak.requests} requests in ${soakSeconds} s, RSS ${soak.rss.firstMinuteMiB} MiB in the first minute, ${soak.rss.lastMinuteMiB} MiB in the last`);
    const results = {
      machine: await machine(db.ownerUrl),
      date: new Date().toISOString(),
      method: { tool: 'autocannon 8.0.0', connections, durationSeconds: duration, rounds, warmupSeconds: warmup, statistic: 'median over rounds', modesAlternate: true },
      scenarios: Object.fromEntries(
        scenarios.map((scenario) => {
          const m = Object.fromEntries(MODES.map((mode) => [mode, summarise(samples[scenario]![mode])])) as Partial<Record<Mode, ReturnType<typeof summarise>>> & { enforced: ReturnType<typeof summarise> };
          return [
            scenario,
            {
              enforced: m.enforced,
              unenforced: m.unenforced,
              raw: m.raw,
              ratioVsUnenforced: m.unenforced ? round2(m.enforced.rps / m.unenforced.rps) : null,
              ratioVsRaw: m.raw ? round2(m.enforced.rps / m.raw.rps) : null,
            },
          ];
        }),
      ),
      burst,
      memory: { enforcedRssMiB: memoryDuringBench, soak },
    };
    const failures = Object.values(samples).flatMap((byM) => Object.values(byM).flat()).reduce((n, s) => n + s.failures, 0) + (burst?.readerFailures ?? 0) + (soak?.failures ?? 0);
    printTable(results.scenarios);
    if (MODES.length === ALL_MODES.length) {
      writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
      log(`bench: wrote ${args.out} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
    if (failures > 0) {
      log(`bench: ${failures} requests failed (non-2xx or GraphQL errors): the numbers above are not valid`);
      process.exitCode = 1;
    }
  } finally {
    for (const s of servers.reverse()) await s.stop();
    await db.close();
  }
}

/** Sessions per connection and mode (through the enforced server): see Chains. */
async function prepareChains(url: string, world: BenchWorld): Promise<Record<Mode, Chains>> {
  const chains = {} as Record<Mode, Chains>;
  for (const mode of MODES) {
    chains[mode] = { readers: [], movers: [] };
    for (let i = 0; i < connections; i++) {
      chains[mode].readers.push({ email: world.email, session: await signIn(url, world.email, world.orgId, `bench ${mode} ${i}`), orgId: world.orgId, otherOrgId: world.otherOrgId });
      const email = `mover-${mode}-${i}-${Date.now()}@bench.example`;
      await gql(url, `mutation($e: String!, $p: String!) { signUp(email: $e, password: $p) { id } }`, { e: email, p: PASSWORD });
      const first = await signIn(url, email, null);
      const orgs: string[] = [];
      for (const n of [1, 2]) orgs.push((await gql<{ createOrganization: { id: string } }>(url, `mutation($n: String!) { createOrganization(name: $n) { id } }`, { n: `mover ${mode} ${i} org ${n}` }, first.accessToken)).createOrganization.id);
      chains[mode].movers.push({ email, session: await signIn(url, email, orgs[0]!, `bench ${mode} ${i}`), orgId: orgs[0]!, otherOrgId: orgs[1]! });
    }
  }
  return chains;
}

/** Before measuring: the three modes answer each read the same, and each chained scenario works once. */
async function checkModesAgree(servers: Record<Mode, BenchServer>, world: BenchWorld, chains: Record<Mode, Chains>): Promise<void> {
  const reads: [ScenarioName, Record<string, unknown>][] = [
    ['projectsWithTasks', {}],
    ['projectById', { id: world.projectId }],
  ];
  for (const [scenario, variables] of reads) {
    const answers = await Promise.all(MODES.map((mode) => post(servers[mode].url, requestBody(scenario, variables), chains[mode].readers[0]!.session.accessToken)));
    for (const [i, answer] of answers.entries()) {
      if (answer !== answers[0]) throw new Error(`bench: ${MODES[i]} answers ${scenario} differently from enforced:\n${answer.slice(0, 300)}\n${answers[0]!.slice(0, 300)}`);
    }
    if (!answers[0]!.includes('"id"')) throw new Error(`bench: ${scenario} returned no rows: ${answers[0]}`);
  }
  const projects = JSON.parse(await post(servers.enforced.url, requestBody('projectsWithTasks'), chains.enforced.readers[0]!.session.accessToken)) as { data: { projects: { edges: { node: { tasks: unknown[] } }[] } } };
  const edges = projects.data.projects.edges;
  log(`bench: all modes agree; projectsWithTasks returns ${edges.length} projects with ${edges.reduce((n, e) => n + e.node.tasks.length, 0)} tasks`);
}

async function post(url: string, body: string, token?: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body });
  return res.text();
}

/** Runs one scenario against one server for `seconds`. Every response is checked: non-2xx or a GraphQL error is a failure. */
async function measure(url: string, scenario: ScenarioName, world: BenchWorld, all: Chains, seconds: number, signInUrl: string): Promise<Sample> {
  const chained = scenario === 'refreshSession' || scenario === 'switchOrganization';
  const chains = chained ? all.movers : all.readers;
  // A chain's last answer is lost when a measurement stops mid-request: the next one would present a
  // rotated token (reuse: every session of the user revoked). Each measurement starts fresh sessions.
  if (chained) {
    for (const chain of chains) {
      const first = chain.orgId < chain.otherOrgId ? chain.orgId : chain.otherOrgId;
      const second = first === chain.orgId ? chain.otherOrgId : chain.orgId;
      Object.assign(chain, { session: await signIn(signInUrl, chain.email, first, 'bench'), orgId: first, otherOrgId: second });
    }
  }
  let failures = 0;
  let firstFailure: string | undefined;
  const slotOf = (context: object): Chain => chains[slotIn(context)]!;
  const headersFor = (token: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${token}` });
  const fixed: Record<string, () => string> = {
    projectsWithTasks: () => requestBody('projectsWithTasks'),
    projectById: () => requestBody('projectById', { id: world.projectId }),
    createTask: () => requestBody('createTask', { projectId: world.sinkProjectId, title: 'bench task' }),
  };
  const request: autocannon.Request = {
    method: 'POST',
    path: new URL(url).pathname,
    setupRequest: (req, context) => {
      const chain = slotOf(context);
      if (scenario === 'refreshSession') return { ...req, headers: { 'content-type': 'application/json' }, body: requestBody(scenario, { refreshToken: chain.session.refreshToken }) };
      if (scenario === 'switchOrganization') {
        return { ...req, headers: headersFor(chain.session.accessToken), body: requestBody(scenario, { organizationId: chain.otherOrgId }) };
      }
      return { ...req, headers: headersFor(chain.session.accessToken), body: fixed[scenario]!() };
    },
    onResponse: (status, body, context) => {
      if (status !== 200 || body.includes('"errors"')) {
        failures++;
        firstFailure ??= `${status} ${body.slice(0, 200)}`;
        return;
      }
      const chain = slotOf(context);
      if (scenario === 'refreshSession') chain.session = (JSON.parse(body) as { data: { refreshSession: Session } }).data.refreshSession;
      if (scenario === 'switchOrganization') {
        chain.session = (JSON.parse(body) as { data: { switchOrganization: Session } }).data.switchOrganization;
        [chain.orgId, chain.otherOrgId] = [chain.otherOrgId, chain.orgId];
      }
    },
  };
  // The chained scenarios need one connection per session, so that one session is never used by two requests at once.
  const result = await autocannon({ url, connections: Math.min(connections, chains.length), pipelining: 1, duration: seconds, requests: [request], setupClient: pinConnectionSlots(chains.length) as never });
  // onResponse saw every answer (non-2xx included); errors and timeouts are requests without one.
  return { rps: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, requests: result.requests.total, failures: failures + result.errors + result.timeouts, firstFailure: firstFailure ?? (result.errors + result.timeouts > 0 ? `${result.errors} connection errors, ${result.timeouts} timeouts` : undefined) };
}

/** RSS of one process from /proc, sampled each second (Linux; null elsewhere). */
class RssSampler {
  readonly samples: { atMs: number; mib: number }[] = [];
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 1000);
    this.sample();
  }

  sample(): void {
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'))?.[1];
      if (kb) this.samples.push({ atMs: Date.now() - this.started, mib: round2(Number(kb) / 1024) });
    } catch {
      // not Linux, or the process is gone: no sample
    }
  }

  summary(fromMs = 0): { samples: number; firstMiB: number; peakMiB: number; lastMiB: number } | null {
    const s = this.samples.filter((x) => x.atMs >= fromMs);
    if (s.length === 0) return null;
    return { samples: s.length, firstMiB: s[0]!.mib, peakMiB: Math.max(...s.map((x) => x.mib)), lastMiB: s[s.length - 1]!.mib };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * Other users' reads (projectsWithTasks, the readers' sessions) alone, then beside bursts of 100
 * concurrent presentations of one refresh token (a mover's: one rotation and 99 retries within the
 * leeway per burst, the next burst with the successor). The presentations wait for each other in
 * memory before taking a connection (src/modules/sessions/refresh.ts), so the readers' p99 must not move much.
 */
async function burstPhase(url: string, world: BenchWorld, chains: Chains, seconds: number) {
  const alone = await measure(url, 'projectsWithTasks', world, chains, seconds, url);
  const mover = chains.movers[0]!;
  let session = await signIn(url, mover.email, mover.orgId, 'bench burst');
  let running = true;
  let bursts = 0;
  let presentations = 0;
  let refused = 0;
  let firstRefusal: string | undefined;
  const loop = (async () => {
    while (running) {
      const answers = await Promise.all(Array.from({ length: 100 }, () => post(url, requestBody('refreshSession', { refreshToken: session.refreshToken }))));
      bursts++;
      presentations += answers.length;
      let next: Session | null = null;
      for (const answer of answers) {
        const parsed = JSON.parse(answer) as { data?: { refreshSession: Session } | null; errors?: unknown };
        if (parsed.errors || !parsed.data) {
          refused++;
          firstRefusal ??= answer.slice(0, 200);
        } else next ??= parsed.data.refreshSession;
      }
      session = next ?? (await signIn(url, mover.email, mover.orgId, 'bench burst'));
    }
  })();
  const beside = await measure(url, 'projectsWithTasks', world, chains, seconds, url);
  running = false;
  await loop;
  return {
    readersAloneP99Ms: alone.p99Ms,
    readersDuringBurstsP99Ms: beside.p99Ms,
    ratio: round2(beside.p99Ms / alone.p99Ms),
    readersAloneRps: round2(alone.rps),
    readersDuringBurstsRps: round2(beside.rps),
    bursts,
    presentations,
    refusedPresentations: refused,
    firstRefusal: firstRefusal ?? null,
    readerFailures: alone.failures + beside.failures,
  };
}

/** projectsWithTasks on the enforced server for `seconds`, in one-minute measurements, its RSS sampled each second. */
async function soakPhase(server: BenchServer, world: BenchWorld, chains: Chains, seconds: number) {
  const rss = new RssSampler(server.pid);
  let requests = 0;
  let failures = 0;
  for (let left = seconds; left > 0; left -= 60) {
    const sample = await measure(server.url, 'projectsWithTasks', world, chains, Math.min(60, left), server.url);
    requests += sample.requests;
    failures += sample.failures;
  }
  rss.stop();
  const minute = (from: number, to: number) => {
    const s = rss.samples.filter((x) => x.atMs >= from && x.atMs < to).map((x) => x.mib);
    return s.length ? round2(median(s)) : null;
  };
  const lastMs = rss.samples[rss.samples.length - 1]?.atMs ?? 0;
  return { seconds, requests, failures, rss: { firstMinuteMiB: minute(0, 60_000), lastMinuteMiB: minute(lastMs - 60_000, lastMs + 1), peakMiB: rss.summary()?.peakMiB ?? null, samples: rss.samples.length } };
}

function summarise(samples: Sample[]): { rps: number; p50Ms: number; p99Ms: number; rounds: Sample[] } {
  return { rps: round2(median(samples.map((s) => s.rps))), p50Ms: round2(median(samples.map((s) => s.p50Ms))), p99Ms: round2(median(samples.map((s) => s.p99Ms))), rounds: samples };
}


async function machine(ownerUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('show server_version');
  await client.end();
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, PostgreSQL ${rows[0]?.server_version}${process.env.DATABASE_URL ? ' (DATABASE_URL)' : ' (embedded)'}`;
}

type Row = { rps: number; p50Ms: number; p99Ms: number };
function printTable(results: Record<string, { enforced: Row; unenforced?: Row | undefined; raw?: Row | undefined; ratioVsUnenforced: number | null; ratioVsRaw: number | null }>): void {
  const cell = (m: Row | undefined) => (m ? `${m.rps.toFixed(0).padStart(6)} ${m.p50Ms.toFixed(1).padStart(5)} ${m.p99Ms.toFixed(1).padStart(6)}` : '   -');
  const lines = [
    '',
    `${'scenario'.padEnd(20)} ${'(a) enforced'.padEnd(20)} ${'(b) unenforced'.padEnd(20)} ${'(c) raw'.padEnd(20)}  a/b   a/c`,
    `${''.padEnd(20)} ${'req/s   p50    p99'.padEnd(20)} ${'req/s   p50    p99'.padEnd(20)} ${'req/s   p50    p99'.padEnd(20)}`,
    ...Object.entries(results).map(([name, r]) => `${name.padEnd(20)} ${cell(r.enforced).padEnd(20)} ${cell(r.unenforced).padEnd(20)} ${cell(r.raw).padEnd(20)}  ${r.ratioVsUnenforced?.toFixed(2) ?? ' -  '}  ${r.ratioVsRaw?.toFixed(2) ?? ' -'}`),
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

await main();
