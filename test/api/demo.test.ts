/**
 * The development demo (issue 10, README "Demo data"): `seedDemoOnFirstStart` seeds three orgs, one
 * per tier, through the API on a database without users, prints how to sign in, and never seeds
 * again. Every demo user signs in with the printed password and holds the planned roles; the TOTP
 * user enters the CONFIDENTIAL org with a code computed from the printed secret, and the REGULATED
 * org only through its own sign-in. The API runs on a clock the test moves by hand.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Config } from '../../src/app/config.ts';
import { decideDemoSwitch, type DemoSwitch } from '../../src/app/demo/decide-demo.ts';
import { DEMO_ORGS, DEMO_PASSWORD, DEMO_USERS, plannedMemberships } from '../../src/app/demo/demo-plan.ts';
import { seedDemoOnFirstStart } from '../../src/app/demo/seed.ts';
import { createLogger } from '../../src/platform/observability/logger.ts';
import { totpCode } from '../../src/modules/mfa/totp.ts';
import { errorCode, startTestApi, type GqlResult, type TestApi } from '../support/harness.ts';

let clock = new Date('2026-06-01T08:00:00.000Z');
const advance = (ms: number): Date => (clock = new Date(clock.getTime() + ms));
const STEP_MS = 30_000;

let api: TestApi;
const silent = createLogger('silent');
const development = (): Config => ({ ...api.config, env: 'development', production: false });
const seed = (config: Config, flag?: string) => seedDemoOnFirstStart({ server: api.server, config, flag, logger: silent });

before(async () => {
  api = await startTestApi({ now: () => clock });
});
after(async () => {
  await api?.close();
});

function ok<T = any>(r: GqlResult<T>, what: string): T {
  assert.equal(r.errors, undefined, `${what}: ${JSON.stringify(r.errors)}`);
  return r.data as T;
}

const SIGN_IN = `mutation($e: String!, $p: String!, $o: ID, $c: String) {
  signIn(email: $e, password: $p, deviceName: "demo test", organizationId: $o, mfaCode: $c) { accessToken activeOrganization { name tier } } }`;
const signIn = (email: string, organizationId?: string, mfaCode?: string) => api.gql(SIGN_IN, { e: email, p: DEMO_PASSWORD, o: organizationId ?? null, c: mfaCode ?? null });
const SWITCH = `mutation($o: ID!, $c: String) { switchOrganization(organizationId: $o, mfaCode: $c) { accessToken activeOrganization { name } } }`;
const PROJECT_NAMES = `{ projects { edges { node { name tasks { title } } } } }`;

async function projectNames(token: string): Promise<string[]> {
  const d = ok(await api.gql(PROJECT_NAMES, {}, token), 'projects');
  return d.projects.edges.flatMap((e: any) => [e.node.name, ...e.node.tasks.map((t: any) => t.title)]);
}

async function counts(): Promise<Record<string, number>> {
  const [row] = await api.db.sql(`select (select count(*)::int from users) as users, (select count(*)::int from organizations) as orgs,
    (select count(*)::int from memberships) as memberships, (select count(*)::int from projects) as projects, (select count(*)::int from tasks) as tasks`);
  return row;
}

test('decideDemoSwitch: only in development, ORGBOUND_DEMO=0 turns it off, anything but 0 or 1 is refused', () => {
  const cases: [Config['env'], string | undefined, DemoSwitch][] = [
    ['development', undefined, 'on'],
    ['development', '', 'on'],
    ['development', '1', 'on'],
    ['development', '0', 'off_by_flag'],
    ['test', undefined, 'off_outside_development'],
    ['test', '1', 'off_outside_development'],
    ['production', undefined, 'off_outside_development'],
    ['production', '1', 'off_outside_development'],
  ];
  for (const [env, flag, expected] of cases) assert.equal(decideDemoSwitch(env, flag), expected, `${env} ${flag}`);
  for (const flag of ['yes', 'true', 'off', '2']) assert.throws(() => decideDemoSwitch('development', flag), TypeError);
});

describe('demo seed', () => {
  let printed: string;
  const orgId = (name: string) => new RegExp(`^  ${name} +\\w+ +id (\\S+)$`, 'm').exec(printed)?.[1] as string;
  const secret = () => /TOTP secret of ada@demo\.test: ([A-Z2-7]+)/.exec(printed)?.[1] as string;

  before(async () => {
    assert.equal(await seed(api.config), null, 'NODE_ENV=test never seeds');
    assert.equal(await seed(development(), '0'), null, 'ORGBOUND_DEMO=0 never seeds');
    assert.equal((await counts()).users, 0);
    printed = (await seed(development())) as string;
    assert.equal(typeof printed, 'string');
    advance(2 * STEP_MS); // past the steps the seed spent
  });

  test('prints the password, every user, every org id and the TOTP secret', () => {
    assert.ok(printed.includes(`Password of every demo user: ${DEMO_PASSWORD}`), printed);
    for (const user of DEMO_USERS) assert.ok(printed.includes(user.email), user.email);
    for (const org of DEMO_ORGS) assert.match(orgId(org.name), /^[0-9a-f-]{36}$/, org.name);
    assert.match(secret(), /^[A-Z2-7]{32}$/);
    assert.ok(printed.includes('Authorization = Bearer <accessToken>'));
  });

  test('three orgs, one per tier, with a dedicated signing key each where the tier needs one; secrets stored sealed', async () => {
    const orgs = await api.db.sql(`select o.name, o.tier, (select count(*)::int from signing_keys k where k.owner_org_id = o.id) as keys from organizations o order by o.name`);
    assert.deepEqual(orgs, DEMO_ORGS.map((o) => ({ name: o.name, tier: o.tier, keys: o.tier === 'STANDARD' ? 0 : 1 })).sort((a, b) => a.name.localeCompare(b.name)));
    const users = await api.db.sql(`select email, password_hash, totp_secret_sealed from users order by email`);
    for (const u of users) assert.match(u.password_hash, /^\$argon2id\$/, u.email);
    const ada = users.find((u: any) => u.email === 'ada@demo.test');
    assert.ok(ada.totp_secret_sealed && !ada.totp_secret_sealed.includes(secret()), 'the TOTP secret is stored sealed');
    assert.deepEqual(users.filter((u: any) => u.totp_secret_sealed).map((u: any) => u.email), ['ada@demo.test']);
  });

  test('every demo user signs in with the printed password and holds the planned role in each org', async () => {
    for (const user of DEMO_USERS) {
      const { accessToken } = ok(await signIn(user.email), user.email).signIn;
      const d = ok(await api.gql(`{ viewer { memberships { organization { name tier } role } } }`, {}, accessToken), 'viewer');
      const actual = d.viewer.memberships.map((m: any) => `${m.organization.name}/${m.organization.tier}/${m.role}`).sort();
      const tier = (name: string) => DEMO_ORGS.find((o) => o.name === name)?.tier;
      const planned = plannedMemberships(user.email).map((m) => `${m.org}/${tier(m.org)}/${m.role}`).sort();
      assert.deepEqual(actual, planned, user.email);
      assert.ok(new Set(actual.map((a: string) => a.split('/').pop())).size >= 2, `${user.email} has different roles across orgs`);
    }
  });

  test('the STANDARD org shows only its own projects and tasks', async () => {
    const { accessToken } = ok(await signIn('bob@demo.test', orgId('Acme Corp')), 'bob into Acme').signIn;
    const names = await projectNames(accessToken);
    assert.ok(names.length >= 4, names.join());
    assert.ok(names.every((n) => n.startsWith('Acme:')), names.join());
  });

  test('the TOTP user switches into the CONFIDENTIAL org with a code from the printed secret', async () => {
    const northwind = orgId('Northwind Labs');
    const { accessToken } = ok(await signIn('ada@demo.test', orgId('Acme Corp')), 'ada into Acme').signIn;
    assert.equal(errorCode(await api.gql(SWITCH, { o: northwind, c: null }, accessToken)), 'MFA_REQUIRED');
    const switched = ok(await api.gql(SWITCH, { o: northwind, c: totpCode(secret(), clock) }, accessToken), 'switch with code').switchOrganization;
    assert.equal(switched.activeOrganization.name, 'Northwind Labs');
    const names = await projectNames(switched.accessToken);
    assert.ok(names.length >= 4 && names.every((n) => n.startsWith('Northwind:')), names.join());
  });

  test('a demo user without TOTP is told to enroll before entering the CONFIDENTIAL org', async () => {
    const { accessToken } = ok(await signIn('bob@demo.test', orgId('Acme Corp')), 'bob into Acme').signIn;
    assert.equal(errorCode(await api.gql(SWITCH, { o: orgId('Northwind Labs'), c: null }, accessToken)), 'MFA_ENROLLMENT_REQUIRED');
  });

  test('the REGULATED org needs its own sign-in with a fresh code', async () => {
    const bastion = orgId('Bastion Health');
    advance(STEP_MS);
    const { accessToken } = ok(await signIn('ada@demo.test'), 'ada').signIn;
    assert.equal(errorCode(await api.gql(SWITCH, { o: bastion, c: totpCode(secret(), clock) }, accessToken)), 'REAUTHENTICATION_REQUIRED');
    assert.equal(errorCode(await signIn('ada@demo.test', bastion)), 'MFA_REQUIRED');
    advance(STEP_MS);
    const bound = ok(await signIn('ada@demo.test', bastion, totpCode(secret(), clock)), 'ada into Bastion').signIn;
    assert.deepEqual(bound.activeOrganization, { name: 'Bastion Health', tier: 'REGULATED' });
    const names = await projectNames(bound.accessToken);
    assert.ok(names.length >= 4 && names.every((n) => n.startsWith('Bastion:')), names.join());
  });

  test('a second start seeds nothing', async () => {
    const before = await counts();
    assert.deepEqual(before, { users: 3, orgs: 3, memberships: 8, projects: 6, tasks: 9 });
    assert.equal(await seed(development()), null);
    assert.deepEqual(await counts(), before);
  });
});
