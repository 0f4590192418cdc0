import { loadavg } from 'node:os';
import pg from 'pg';
import { percentile, round2, type Sample } from './load.ts';
import { projectsSql, tasksSql } from './tenant-plans.ts';

/**
 * The database's share of projectsWithTasks, without the API around it: one connection as the
 * confined role runs, back to back for `seconds`, the transaction the API runs for that query
 * (BEGIN, set_config('app.org_id'), the projects page, the tasks of its 20 projects, COMMIT), timed
 * from this process. The API's p99 is dominated by Node and GraphQL; this one shows whether the
 * tables' other tenants cost the measured tenant anything in PostgreSQL itself.
 */
export async function timeTenantReads(appUrl: string, orgId: string, seconds: number): Promise<Sample> {
  const client = new pg.Client({ connectionString: appUrl });
  await client.connect();
  const timesMs: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  const started = performance.now();
  try {
    while (performance.now() - started < seconds * 1000) {
      const t0 = performance.now();
      try {
        await client.query('begin');
        await client.query(`select set_config('app.org_id', $1, true)`, [orgId]);
        const page = await client.query<{ id: string }>(projectsSql(orgId));
        const tasks = await client.query(tasksSql(orgId, page.rows.slice(0, 20).map((r) => r.id)));
        await client.query('commit');
        if (tasks.rowCount === 0) throw new Error('no tasks visible');
        timesMs.push(performance.now() - t0);
      } catch (err) {
        failures++;
        firstFailure ??= String(err);
        await client.query('rollback').catch(() => undefined);
      }
    }
  } finally {
    await client.end();
  }
  const elapsed = (performance.now() - started) / 1000;
  return {
    rps: round2(timesMs.length / elapsed),
    p50Ms: round2(percentile(timesMs, 0.5)),
    p99Ms: round2(percentile(timesMs, 0.99)),
    requests: timesMs.length,
    failures,
    firstFailure,
    loadAverage: round2(loadavg()[0]!),
  };
}
