/**
 * The benchmark's GraphQL operations (docs/API.md "Benchmark output"). Every mode receives the
 * same HTTP request: the GraphQL servers execute `query`; bench/raw-server.ts dispatches on
 * `operationName` and runs the same SQL by hand.
 */
export const OPERATIONS = {
  projectsWithTasks: {
    operationName: 'ProjectsWithTasks',
    query: `query ProjectsWithTasks { projects(first: 20) { edges { node { id name tasks { id title done } } } } }`,
  },
  projectById: {
    operationName: 'ProjectById',
    query: `query ProjectById($id: ID!) { project(id: $id) { id name } }`,
  },
  createTask: {
    operationName: 'CreateTask',
    query: `mutation CreateTask($projectId: ID!, $title: String!) { createTask(projectId: $projectId, title: $title) { id title done } }`,
  },
  refreshSession: {
    operationName: 'RefreshSession',
    query: `mutation RefreshSession($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) { accessToken refreshToken } }`,
  },
  switchOrganization: {
    operationName: 'SwitchOrganization',
    query: `mutation SwitchOrganization($organizationId: ID!) { switchOrganization(organizationId: $organizationId) { accessToken refreshToken } }`,
  },
} as const;

export type ScenarioName = keyof typeof OPERATIONS;
export const SCENARIOS = Object.keys(OPERATIONS) as ScenarioName[];

export function requestBody(name: ScenarioName, variables: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...OPERATIONS[name], variables });
}
