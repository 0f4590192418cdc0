import { User } from '../../modules/identity/index.ts';
import type { Config } from '../config.ts';
import { totpCode } from '../../modules/mfa/index.ts';
import { errorSummary, type Logger } from '../../platform/observability/logger.ts';
import type { RunningServer } from '../server.ts';
import { decideDemoSwitch } from './decide-demo.ts';
import { DEMO_ORGS, DEMO_PASSWORD, DEMO_USERS, plannedMemberships, type DemoOrgPlan } from './demo-plan.ts';
import { graphqlCaller, type CallGraphql } from './graphql-call.ts';
import { formatDemoInstructions } from './instructions.ts';
import { type Role, type Tier } from '../../core/vocabulary.ts';

/** What was seeded: everything a person needs to sign in (README "Demo data"). */
export interface DemoSummary {
  readonly url: string;
  readonly password: string;
  readonly orgs: readonly { readonly id: string; readonly name: string; readonly tier: Tier }[];
  readonly users: readonly { readonly email: string; readonly memberships: readonly { readonly org: string; readonly role: Role }[] }[];
  /** The TOTP user and their base32 secret (SHA-1, 6 digits, 30 s). */
  readonly totp: { readonly email: string; readonly secret: string; readonly otpauthUri: string };
}

const TOTP_STEP_MS = 30_000;

const SIGN_UP = `mutation($e: String!, $p: String!, $n: String) { signUp(email: $e, password: $p, displayName: $n) { id } }`;
const SIGN_IN = `mutation($e: String!, $p: String!, $o: ID, $c: String) {
  signIn(email: $e, password: $p, deviceName: "demo seed", organizationId: $o, mfaCode: $c) { accessToken } }`;
const BEGIN_TOTP = `mutation { beginTotpEnrollment { secret otpauthUri } }`;
const CONFIRM_TOTP = `mutation($c: String!) { confirmTotpEnrollment(code: $c) { mfaEnabled } }`;
const CREATE_ORG = `mutation($n: String!, $t: SensitivityTier) { createOrganization(name: $n, tier: $t) { id } }`;
const SWITCH = `mutation($o: ID!) { switchOrganization(organizationId: $o) { accessToken } }`;
const CREATE_PROJECT = `mutation($n: String!) { createProject(name: $n) { id } }`;
const CREATE_TASK = `mutation($p: ID!, $t: String!) { createTask(projectId: $p, title: $t) { id } }`;
const INVITE = `mutation($e: String!, $r: Role) { inviteMember(email: $e, role: $r) { token } }`;
const ACCEPT = `mutation($t: String!) { acceptInvitation(token: $t) { role } }`;

/**
 * Seeds the demo through the GraphQL API of `server` (argon2 passwords, sealed TOTP secret, the
 * dedicated keys of the CONFIDENTIAL and REGULATED orgs, memberships: all made by the API itself).
 * TOTP codes are computed on the server's clock. Raises `DemoSeedError` when an operation fails,
 * BAD_USER_INPUT first of all when a demo email is already taken.
 */
export async function seedDemo(server: Pick<RunningServer, 'url' | 'services'>): Promise<DemoSummary> {
  const gql = graphqlCaller(server.url);
  const now = server.services.now;
  const unscoped = new Map<string, string>();
  for (const user of DEMO_USERS) {
    await gql(SIGN_UP, { e: user.email, p: DEMO_PASSWORD, n: user.displayName });
    unscoped.set(user.email, (await gql(SIGN_IN, { e: user.email, p: DEMO_PASSWORD })).signIn.accessToken);
  }
  const totpUser = DEMO_USERS.find((u) => u.totp)!;
  const totpToken = unscoped.get(totpUser.email)!;
  const { secret, otpauthUri } = (await gql(BEGIN_TOTP, {}, totpToken)).beginTotpEnrollment;
  // Spends the current step; the session now counts as MFA'd, which lets its owner switch into CONFIDENTIAL.
  await gql(CONFIRM_TOTP, { c: totpCode(secret, now()) }, totpToken);

  const orgs: DemoSummary['orgs'][number][] = [];
  const invitations: { email: string; token: string }[] = [];
  for (const plan of DEMO_ORGS) {
    const ownerToken = unscoped.get(plan.owner)!;
    const id: string = (await gql(CREATE_ORG, { n: plan.name, t: plan.tier }, ownerToken)).createOrganization.id;
    orgs.push({ id, name: plan.name, tier: plan.tier });
    // REGULATED is session-per-org: its own sign-in, with the next step's code (the current one is spent).
    const orgToken: string =
      plan.tier === 'REGULATED'
        ? (await gql(SIGN_IN, { e: plan.owner, p: DEMO_PASSWORD, o: id, c: totpCode(secret, new Date(now().getTime() + TOTP_STEP_MS)) })).signIn.accessToken
        : (await gql(SWITCH, { o: id }, ownerToken)).switchOrganization.accessToken;
    invitations.push(...(await fillOrganization(gql, orgToken, plan)));
  }
  for (const invitation of invitations) await gql(ACCEPT, { t: invitation.token }, unscoped.get(invitation.email));

  const users = DEMO_USERS.map((user) => ({ email: user.email, memberships: plannedMemberships(user.email) }));
  return { url: server.url, password: DEMO_PASSWORD, orgs, users, totp: { email: totpUser.email, secret, otpauthUri } };
}

/** Creates the plan's projects and tasks in the org of `orgToken` and invites its members; returns the invitations. */
async function fillOrganization(gql: CallGraphql, orgToken: string, plan: DemoOrgPlan): Promise<{ email: string; token: string }[]> {
  for (const project of plan.projects) {
    const projectId: string = (await gql(CREATE_PROJECT, { n: project.name }, orgToken)).createProject.id;
    for (const title of project.tasks) await gql(CREATE_TASK, { p: projectId, t: title }, orgToken);
  }
  const invitations: { email: string; token: string }[] = [];
  for (const member of plan.members) {
    invitations.push({ email: member.email, token: (await gql(INVITE, { e: member.email, r: member.role }, orgToken)).inviteMember.token });
  }
  return invitations;
}

/**
 * `npm start`'s hook: seeds the demo on a development database's first start (no user yet, so it
 * never lands next to real accounts and never runs twice) and returns the sign-in instructions to
 * print, otherwise null. A failed seed is logged, not fatal: the API keeps serving (what was seeded
 * stays; delete the development database to start over). Raises `TypeError` for an invalid
 * ORGBOUND_DEMO.
 */
export async function seedDemoOnFirstStart(opts: { server: RunningServer; config: Config; flag: string | undefined; logger: Logger }): Promise<string | null> {
  const { server, config, logger } = opts;
  if (decideDemoSwitch(config.env, opts.flag) !== 'on') return null;
  // users has no tenant: counting it needs no scope, and any account at all means this is not a first start.
  if ((await server.services.orm.em.fork().count(User, {})) > 0) return null;
  try {
    const summary = await seedDemo(server);
    logger.info({ orgs: summary.orgs.length, users: summary.users.length }, 'demo data seeded');
    return formatDemoInstructions(summary);
  } catch (err) {
    logger.error({ err: errorSummary(err) }, 'demo seed failed (ORGBOUND_DEMO=0 turns it off)');
    return null;
  }
}
