/**
 * Lists the projects of an organization with the client helper.
 *
 *   ORGBOUND_EMAIL=bob@demo.test ORGBOUND_PASSWORD=orgbound-demo-password node --import tsx examples/client/example.ts
 *   ORGBOUND_CLIENT_ID=sa.… ORGBOUND_CLIENT_SECRET=obs_… node --import tsx examples/client/example.ts
 *
 * ORGBOUND_URL (default http://localhost:4000/graphql); ORGBOUND_ORG_ID picks the organization of a
 * person (default: the first STANDARD one they belong to; others need a TOTP code, ORGBOUND_MFA_CODE).
 */
import { createClient, createServiceClient } from './client.ts';

const PROJECTS = `query($after: String) { projects(first: 50, after: $after) {
  edges { node { name tasks { title done } } } pageInfo { hasNextPage endCursor } } }`;

type Requester = { request<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> };

const env = process.env;
const url = env.ORGBOUND_URL ?? 'http://localhost:4000/graphql';

async function personClient(): Promise<Requester> {
  const { ORGBOUND_EMAIL: email, ORGBOUND_PASSWORD: password } = env;
  if (!email || !password) throw new Error('set ORGBOUND_EMAIL and ORGBOUND_PASSWORD, or ORGBOUND_CLIENT_ID and ORGBOUND_CLIENT_SECRET');
  let organizationId = env.ORGBOUND_ORG_ID;
  if (!organizationId) {
    // A token without an organization can read `viewer`: find one to enter.
    const viewer = await createClient({ url, email, password }).request(`{ viewer { memberships { role organization { id name tier } } } }`);
    const first = viewer.viewer.memberships.find((m: any) => m.organization.tier === 'STANDARD') ?? viewer.viewer.memberships[0];
    if (!first) throw new Error(`${email} belongs to no organization`);
    organizationId = first.organization.id as string;
    console.log(`organization: ${first.organization.name} (${first.organization.tier}, ${first.role})`);
  }
  const code = env.ORGBOUND_MFA_CODE;
  return createClient({ url, email, password, organizationId, ...(code ? { mfaCode: () => code } : {}) });
}

const client: Requester =
  env.ORGBOUND_CLIENT_ID && env.ORGBOUND_CLIENT_SECRET
    ? createServiceClient({ url, clientId: env.ORGBOUND_CLIENT_ID, clientSecret: env.ORGBOUND_CLIENT_SECRET })
    : await personClient();

let after: string | null = null;
do {
  const page: any = (await client.request(PROJECTS, { after })).projects;
  for (const { node } of page.edges) {
    console.log(`- ${node.name}`);
    for (const task of node.tasks) console.log(`    [${task.done ? 'x' : ' '}] ${task.title}`);
  }
  after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
} while (after);
