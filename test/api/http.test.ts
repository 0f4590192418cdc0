import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startTestApi, type TestApi } from '../support/harness.ts';
import { createTenant, PASSWORD } from '../support/tenants.ts';

const INTROSPECTION = `{ __schema { queryType { name } types { name } } }`;
const SIGN_UP = `mutation($e: String!, $p: String!) { signUp(email: $e, password: $p) { id } }`;

interface Answer {
  readonly status: number;
  readonly type: string;
  readonly text: string;
}

/** Every request of this file goes through here: none may ever be answered with a 5xx. */
async function call(api: TestApi, path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(new URL(path, api.server.url), init);
  const answer = { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  assert.ok(answer.status < 500, `${init.method ?? 'GET'} ${path} → ${answer.status}: ${answer.text.slice(0, 300)}`);
  return answer;
}

const postJson = (api: TestApi, body: unknown, headers: Record<string, string> = {}) =>
  call(api, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

const json = (a: Answer) => JSON.parse(a.text) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[]; status?: string };

describe('test mode (development defaults)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api?.close();
  });

  test('GET /healthz → 200', async () => {
    assert.equal((await call(api, '/healthz')).status, 200);
  });

  test('GET /readyz → 200 ready (migrations applied, database answers)', async () => {
    const r = await call(api, '/readyz');
    assert.equal(r.status, 200);
    assert.equal(json(r).status, 'ready');
  });

  test('POST /graphql as text/plain is refused as CSRF and not executed', async () => {
    const email = `csrf-${randomUUID()}@example.test`;
    const r = await call(api, '/graphql', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: SIGN_UP, variables: { e: email, p: PASSWORD } }) });
    assert.ok(r.status >= 400 && r.status < 500, `${r.status}`);
    assert.match(r.text, /CSRF|Cross-Site Request Forgery/);
    assert.deepEqual(await api.db.sql(`select id from users where email = $1`, [email]), []);
  });

  test('GET /graphql with a query but no preflight header is refused as CSRF', async () => {
    const q = `/graphql?query=${encodeURIComponent('{ __typename }')}`;
    const refused = await call(api, q);
    assert.ok(refused.status >= 400 && refused.status < 500, `${refused.status}`);
    assert.match(refused.text, /CSRF|Cross-Site Request Forgery/);
    assert.ok(!refused.text.includes('"__typename"'));
    // The same request with the preflight-forcing header is served: the refusal above is CSRF's.
    const served = await call(api, q, { headers: { 'apollo-require-preflight': 'true' } });
    assert.equal(served.status, 200);
    assert.deepEqual(json(served).data, { __typename: 'Query' });
  });

  test('a malformed JSON body → 400 BAD_REQUEST', async () => {
    for (const body of ['{"query": ', 'not json', '{"query": "{ __typename }",}']) {
      const r = await postJson(api, body);
      assert.equal(r.status, 400, r.text);
      assert.equal(json(r).errors?.[0]?.extensions?.code, 'BAD_REQUEST', r.text);
    }
  });

  test('a batch (a JSON array of operations) → 400 BAD_REQUEST, none of it runs, and its request transaction is released', async () => {
    const t = await createTenant(api, 'batch');
    const names = [`batch ${randomUUID()}`, `batch ${randomUUID()}`];
    const batch = names.map((n) => ({ query: `mutation($n: String!) { createProject(name: $n) { id } }`, variables: { n } }));
    // Apollo builds the context (verify, BEGIN) before it looks at the body's shape: more refused
    // batches than the pool has connections show that each one's transaction is given back.
    for (let i = 0; i < api.config.dbPoolMax + 2; i++) {
      const r = await postJson(api, batch, { authorization: `Bearer ${t.token}` });
      assert.equal(r.status, 400, r.text);
      assert.equal(json(r).errors?.[0]?.extensions?.code, 'BAD_REQUEST', r.text);
    }
    const single = await postJson(api, [{ query: '{ __typename }' }]);
    assert.equal(single.status, 400, `a batch of one: ${single.text}`);
    assert.deepEqual(await api.db.sql(`select name from projects where name = any($1)`, [names]), []);
    const viewer = json(await postJson(api, { query: '{ viewer { user { id } } }' }, { authorization: `Bearer ${t.token}` }));
    assert.equal(viewer.data?.viewer.user.id, t.userId, JSON.stringify(viewer));
  });

  test('a query that is not a string, or a body of the wrong shape → 400 BAD_REQUEST', async () => {
    const bodies: unknown[] = [
      { query: 1 },
      { query: true },
      { query: ['{ __typename }'] },
      { query: { kind: 'Document', definitions: [] } },
      { query: null },
      {},
      { query: '{ __typename }', variables: '{}' },
      { query: '{ __typename }', variables: [1] },
      { query: '{ __typename }', operationName: 1 },
      { query: '{ __typename }', extensions: 'x' },
      '"{ __typename }"',
      '42',
      'null',
    ];
    const wrong: string[] = [];
    for (const body of bodies) {
      const r = await postJson(api, body);
      if (r.status !== 400 || json(r).errors?.[0]?.extensions?.code !== 'BAD_REQUEST') wrong.push(`${JSON.stringify(body)} → ${r.status} ${r.text.slice(0, 120)}`);
    }
    assert.deepEqual(wrong, []);
  });

  test('a body over 100 kB → 413, one just under is served', async () => {
    const big = await postJson(api, { query: '{ __typename }', variables: { pad: 'x'.repeat(101 * 1024) } });
    assert.equal(big.status, 413, big.text);
    const fits = await postJson(api, { query: '{ __typename }', variables: { pad: 'x'.repeat(90 * 1024) } });
    assert.equal(fits.status, 200, fits.text);
  });

  test('GET /graphql from a browser serves the Sandbox landing page', async () => {
    const r = await call(api, '/graphql', { headers: { accept: 'text/html' } });
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/html/);
    assert.match(r.text, /<html/i);
  });

  test('text PostgreSQL cannot store (a NUL character) → BAD_USER_INPUT, not an internal error', async () => {
    const t = await createTenant(api, 'nul');
    const nul = 'before\u0000after';
    const cases: [string, string, Record<string, unknown>, string?][] = [
      ['createProject', `mutation($s: String!) { createProject(name: $s) { id } }`, { s: nul }, t.token],
      ['updateProject', `mutation($s: String!, $id: ID!) { updateProject(id: $id, name: $s) { id } }`, { s: nul, id: t.projectId }, t.token],
      ['createTask', `mutation($s: String!, $id: ID!) { createTask(projectId: $id, title: $s) { id } }`, { s: nul, id: t.projectId }, t.token],
      ['updateTask', `mutation($s: String!, $id: ID!) { updateTask(id: $id, title: $s) { id } }`, { s: nul, id: t.taskId }, t.token],
      ['createOrganization', `mutation($s: String!) { createOrganization(name: $s) { id } }`, { s: nul }, t.token],
      ['signUp displayName', `mutation($s: String) { signUp(email: "nul-${randomUUID()}@example.test", password: "${PASSWORD}", displayName: $s) { id } }`, { s: nul }],
      ['signIn deviceName', `mutation($s: String!) { signIn(email: "${t.email}", password: "${PASSWORD}", deviceName: $s) { accessToken } }`, { s: nul }],
    ];
    const wrong: string[] = [];
    for (const [name, query, variables, token] of cases) {
      const r = await postJson(api, { query, variables }, token ? { authorization: `Bearer ${token}` } : {});
      const code = json(r).errors?.[0]?.extensions?.code;
      if (code !== 'BAD_USER_INPUT') wrong.push(`${name}: ${String(code)}`);
    }
    assert.deepEqual(wrong, []);
  });

  test('introspection and field suggestions are on', async () => {
    const r = json(await postJson(api, { query: INTROSPECTION }));
    assert.equal(r.data.__schema.queryType.name, 'Query');
    const typo = json(await postJson(api, { query: '{ projectz { edges { cursor } } }' }));
    assert.match(typo.errors?.[0]?.message ?? '', /Did you mean/);
  });
});

describe('production mode', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({
      env: {
        NODE_ENV: 'production',
        ORGBOUND_KEK: randomBytes(32).toString('base64'),
        APP_DB_PASSWORD: 'x'.repeat(20),
        DATABASE_URL: 'postgres://unused@127.0.0.1/x',
        JWT_ISSUER: 'https://orgbound.test',
      },
    });
    assert.equal(api.config.production, true);
  });
  after(async () => {
    await api?.close();
  });

  test('introspection is refused', async () => {
    const r = await postJson(api, { query: INTROSPECTION });
    const body = json(r);
    assert.equal(body.data, undefined);
    assert.equal(body.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED', r.text);
    assert.ok(!r.text.includes('ProjectConnection'), r.text);
  });

  test('field suggestions do not reveal the schema', async () => {
    const r = await postJson(api, { query: '{ projectz { edges { cursor } } }' });
    assert.ok(json(r).errors?.length, r.text);
    assert.doesNotMatch(r.text, /Did you mean|"projects"/);
  });

  test('GET /graphql from a browser gets no Sandbox landing page', async () => {
    const r = await call(api, '/graphql', { headers: { accept: 'text/html' } });
    assert.notEqual(r.status, 200);
    assert.doesNotMatch(r.type, /text\/html/);
    assert.doesNotMatch(r.text, /<html|sandbox|apollographql/i);
  });

  test('an unexpected internal error is masked', async () => {
    // A real failure deep in the stack: the runtime role loses the right to create users.
    await api.db.sql(`revoke insert on users from orgbound_app`);
    const email = `masked-${randomUUID()}@example.test`;
    const r = await postJson(api, { query: SIGN_UP, variables: { e: email, p: PASSWORD } });
    const error = json(r).errors?.[0];
    assert.equal(error?.extensions?.code, 'INTERNAL_SERVER_ERROR', r.text);
    assert.equal(error?.message, 'Internal server error');
    assert.deepEqual(Object.keys(error?.extensions ?? {}), ['code']);
    assert.doesNotMatch(r.text, /permission|denied|insert|users|orgbound_app|stack|\.ts:/i);
    assert.ok(!r.text.includes(email));
  });
});
