import { gql, PASSWORD, signIn } from './graphql.ts';

export interface BenchWorld {
  readonly email: string;
  /** The measured tenant: PROJECTS projects of TASKS_PER_PROJECT tasks each. */
  readonly orgId: string;
  /** A second org of the same user (STANDARD, no MFA): switchOrganization alternates between the two. */
  readonly otherOrgId: string;
  readonly projectId: string;
  /**
   * createTask's project: created after every listed one, so the tasks the benchmark adds never change
   * what projectsWithTasks (the oldest 20 projects) reads.
   */
  readonly sinkProjectId: string;
}

export const PROJECTS = 20;
export const TASKS_PER_PROJECT = 5;
/** Other tenants with the same data, so a missing tenant predicate would change what is read. */
export const NEIGHBOURS = 3;

/**
 * Seeds through the API (the enforced server at `url`): the measured tenant and NEIGHBOURS other
 * tenants, each with PROJECTS projects of TASKS_PER_PROJECT tasks.
 */
export async function seedWorld(url: string): Promise<BenchWorld> {
  const tenants = [];
  for (let i = 0; i <= NEIGHBOURS; i++) tenants.push(await seedTenant(url, `t${i}`));
  const main = tenants[0]!;
  const session = await signIn(url, main.email, null);
  const other = await gql<{ createOrganization: { id: string } }>(url, `mutation { createOrganization(name: "bench other") { id } }`, {}, session.accessToken);
  const inOrg = await signIn(url, main.email, main.orgId);
  const sink = await gql<{ createProject: { id: string } }>(url, `mutation { createProject(name: "createTask sink") { id } }`, {}, inOrg.accessToken);
  return { email: main.email, orgId: main.orgId, otherOrgId: other.createOrganization.id, projectId: main.projectIds[0]!, sinkProjectId: sink.createProject.id };
}

async function seedTenant(url: string, label: string): Promise<{ email: string; orgId: string; projectIds: string[] }> {
  const email = `${label}-${Date.now()}@bench.example`;
  await gql(url, `mutation($e: String!, $p: String!) { signUp(email: $e, password: $p) { id } }`, { e: email, p: PASSWORD });
  const first = await signIn(url, email, null);
  const org = await gql<{ createOrganization: { id: string } }>(url, `mutation($n: String!) { createOrganization(name: $n) { id } }`, { n: `bench ${label}` }, first.accessToken);
  const orgId = org.createOrganization.id;
  const { accessToken } = await signIn(url, email, orgId);
  const projectIds: string[] = [];
  for (let p = 0; p < PROJECTS; p++) {
    const created = await gql<{ createProject: { id: string } }>(url, `mutation($n: String!) { createProject(name: $n) { id } }`, { n: `project ${p} of ${label}` }, accessToken);
    const projectId = created.createProject.id;
    projectIds.push(projectId);
    for (let t = 0; t < TASKS_PER_PROJECT; t++) {
      await gql(url, `mutation($p: ID!, $t: String!) { createTask(projectId: $p, title: $t) { id } }`, { p: projectId, t: `task ${t} of project ${p} of ${label}` }, accessToken);
    }
  }
  return { email, orgId, projectIds };
}
