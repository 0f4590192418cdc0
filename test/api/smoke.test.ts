import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApi, type TestApi } from '../support/harness.ts';
import { createTenant } from '../support/tenants.ts';

let api: TestApi;
before(async () => {
  api = await startTestApi();
});
after(async () => {
  await api?.close();
});

test('a tenant can be created end to end', async () => {
  const a = await createTenant(api, 'a');
  const r = await api.gql(`{ projects { edges { node { id name tasks { title } } } } }`, {}, a.token);
  assert.equal(r.data.projects.edges[0].node.id, a.projectId);
});
