/**
 * `npm run test:e2e`: the web client in headless Chromium (Debian's `chromium`, driven by
 * playwright-core) against a live API. Builds examples/web with Vite, serves dist/ on 127.0.0.1:54370,
 * starts the API on 54372 (CORS_ORIGINS = that origin) against a fresh database (DATABASE_URL's
 * server, or an embedded PostgreSQL on 54371), seeds a user with a STANDARD and a CONFIDENTIAL org,
 * then signs in, switches into the CONFIDENTIAL org with a TOTP code, checks that only its projects
 * show, refreshes silently past the access token's expiry, and switches back.
 * Screenshots go to test-results/ (on failure, and web-client.png on success; UPDATE_SCREENSHOT=1
 * copies it to docs/web-client.png for the README).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../../src/app/operations/embedded.ts';
import { startTestApi, type TestApi } from '../../../test/support/harness.ts';
import { codeAt, TOTP_STEP_MS } from '../../../test/support/mfa.ts';
import { Session } from '../src/api/session.ts';
import { projectsQuery } from '../src/operations.ts';
import { seedUser, type SeededUser } from './seed.ts';
import { serveStatic } from './static-server.ts';

const WEB_PORT = 54370;
const EMBEDDED_PG_PORT = 54371;
const API_PORT = 54372;
const webDir = new URL('..', import.meta.url).pathname;
const root = new URL('../../..', import.meta.url).pathname;
const resultsDir = join(root, 'test-results');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The API's clock: real time plus an offset the test moves to expire access tokens. */
let clockOffsetMs = 0;
const serverNow = () => new Date(Date.now() + clockOffsetMs);

let embedded: EmbeddedDatabase | null = null;
let api: TestApi;
let web: Awaited<ReturnType<typeof serveStatic>>;
let user: SeededUser;
let profileDir: string;
let context: BrowserContext;

before(async () => {
  assert.ok(existsSync(join(webDir, 'node_modules/vite')), 'examples/web has no node_modules: run `npm ci --prefix examples/web` first');
  const apiUrl = `http://127.0.0.1:${API_PORT}/graphql`;
  const webOrigin = `http://127.0.0.1:${WEB_PORT}`;
  const building = buildWebClient(apiUrl);
  if (!process.env.DATABASE_URL) {
    embedded = await startEmbeddedPostgres({ dir: process.env.E2E_EMBEDDED_PG_DIR ?? '.data/postgres-e2e', port: EMBEDDED_PG_PORT, database: 'postgres' });
  }
  // createTestDatabase (test/support/harness.ts) creates its scratch database on this server.
  process.env.TEST_DATABASE_ADMIN_URL = process.env.DATABASE_URL ?? embedded!.url;
  api = await startTestApi({ env: { PORT: String(API_PORT), CORS_ORIGINS: webOrigin }, now: serverNow });
  user = await seedUser(api, serverNow);
  await building;
  web = await serveStatic(join(webDir, 'dist'), WEB_PORT);
  profileDir = mkdtempSync(join(tmpdir(), 'orgbound-e2e-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 640 },
  });
}, { timeout: 60_000 });

after(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await web?.close();
  await api?.close();
  await embedded?.stop();
});

test('sign in, switch into a CONFIDENTIAL org with a TOTP code, see only its projects, switch back', { timeout: 60_000 }, async () => {
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
  const refreshes: string[] = [];
  page.on('request', (request) => request.postData()?.includes('mutation RefreshSession') && refreshes.push(request.url()));
  try {
    await page.goto(web.origin);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('button', { name: user.standard.name }).click();
    await expectActiveOrg(page, user.standard.name);
    await expectProjects(page, user.standard.projects, user.confidential.projects);

    await page.getByRole('button', { name: user.confidential.name }).click();
    const prompt = page.getByRole('form', { name: 'Two-factor code' });
    await prompt.waitFor();
    // The enrollment spent its own step; the server accepts the next one (one step either side).
    const code = codeAt(user.totpSecret, new Date(Math.max(serverNow().getTime(), user.enrolledAt.getTime() + TOTP_STEP_MS)));
    await prompt.getByLabel('TOTP code').fill(code);
    await prompt.getByRole('button', { name: 'Verify' }).click();
    await expectActiveOrg(page, user.confidential.name);
    await expectProjects(page, user.confidential.projects, user.standard.projects);
    assert.equal(await prompt.count(), 0, 'the TOTP prompt closes after the switch');

    // Past the access token's lifetime on the server's clock: the next call is refused as
    // UNAUTHENTICATED, the client refreshes once, silently, and sends it again.
    clockOffsetMs += 20 * 60_000;
    await page.getByRole('textbox', { name: 'New project' }).fill('Northwind Q3 review');
    await page.getByRole('button', { name: 'Create project' }).click();
    await expectProjects(page, [...user.confidential.projects, 'Northwind Q3 review'], user.standard.projects);
    assert.equal(refreshes.length, 1, `one refreshSession, not ${refreshes.length}`);
    await page.locator('main').screenshot({ path: join(mkdirResults(), 'web-client.png') });

    await page.getByRole('button', { name: user.standard.name }).click();
    await expectActiveOrg(page, user.standard.name);
    await expectProjects(page, user.standard.projects, [...user.confidential.projects, 'Northwind Q3 review']);
    // The browser logs the one refused call (HTTP 401, UNAUTHENTICATED) that led to the refresh.
    assert.deepEqual(consoleErrors.filter((text) => !text.includes('status of 401')), []);
  } catch (err) {
    const shot = join(mkdirResults(), `web-e2e-failure-${Date.now()}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    process.stderr.write(`# e2e failed: screenshot ${shot}\n# browser console errors: ${JSON.stringify(consoleErrors)}\n`);
    throw err;
  }
  if (process.env.UPDATE_SCREENSHOT === '1') {
    mkdirSync(join(root, 'docs'), { recursive: true });
    copyFileSync(join(resultsDir, 'web-client.png'), join(root, 'docs/web-client.png'));
  }
});

test('the client module shares one refresh among concurrent calls with a stale token', { timeout: 20_000 }, async () => {
  let refreshes = 0;
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    if (typeof init?.body === 'string' && init.body.includes('mutation RefreshSession')) refreshes++;
    return realFetch(input, init);
  };
  try {
    const session = new Session({ url: api.server.url, deviceName: 'e2e node' });
    await session.signIn({ email: user.email, password: user.password, organizationId: user.standard.id });
    clockOffsetMs += 20 * 60_000;
    const answers = await Promise.all(Array.from({ length: 5 }, () => session.request(projectsQuery, { first: 10 })));
    assert.equal(refreshes, 1);
    for (const { projects } of answers) assert.deepEqual(projects.edges.map((e) => e.node.name), user.standard.projects);
  } finally {
    globalThis.fetch = realFetch;
  }
});

async function expectActiveOrg(page: Page, name: string): Promise<void> {
  await page.getByTestId('active-org').getByText(name, { exact: true }).waitFor();
}

/** Waits until the projects list shows exactly `present` (in order), and none of `absent`. */
async function expectProjects(page: Page, present: readonly string[], absent: readonly string[]): Promise<void> {
  const items = page.getByRole('region', { name: 'Projects' }).getByRole('listitem');
  await page.waitForFunction((count) => document.querySelectorAll('section[aria-label="Projects"] li').length === count, present.length);
  assert.deepEqual(await items.allTextContents(), [...present]);
  for (const name of absent) assert.equal(await page.getByText(name, { exact: true }).count(), 0, `${name} must not show`);
}

function mkdirResults(): string {
  mkdirSync(resultsDir, { recursive: true });
  return resultsDir;
}

/** `vite build` of examples/web with the API's URL baked in (VITE_API_URL). */
async function buildWebClient(apiUrl: string): Promise<void> {
  const child = spawn(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], {
    cwd: webDir,
    env: { ...process.env, VITE_API_URL: apiUrl, NODE_ENV: 'production' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, `vite build exited with ${code}`);
}
