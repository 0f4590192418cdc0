import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/app/config.ts';

/** The documented development-only KEK ("development-only-kek-32-bytes!!!"), set explicitly. */
const DEV_KEK = Buffer.from('development-only-kek-32-bytes!!!').toString('base64');
const REAL_KEK = randomBytes(32);

const PRODUCTION: NodeJS.ProcessEnv = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://owner:owner-secret@db.internal:5432/orgbound',
  APP_DB_PASSWORD: 'a-real-runtime-password',
  ORGBOUND_KEK: REAL_KEK.toString('base64'),
  JWT_ISSUER: 'https://api.orgbound.example',
};
const VARIABLES = ['ORGBOUND_KEK', 'APP_DB_PASSWORD', 'DATABASE_URL', 'JWT_ISSUER'];

function production(change: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...PRODUCTION, ...change };
  for (const [k, v] of Object.entries(change)) if (v === undefined) delete env[k];
  return env;
}

/** Asserts that loading fails and that the message names `variable` and no other checked one. */
function assertRefuses(env: NodeJS.ProcessEnv, variable: string): void {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.match(err.message, new RegExp(`\\b${variable}\\b`));
      for (const other of VARIABLES.filter((v) => v !== variable)) {
        assert.doesNotMatch(err.message, new RegExp(`\\b${other}\\b`), `message also blames ${other}`);
      }
      return true;
    },
  );
}

describe('loadConfig in development', () => {
  test('an empty environment starts with safe defaults', () => {
    const config = loadConfig({});
    assert.equal(config.env, 'development');
    assert.equal(config.production, false);
    assert.equal(config.port, 4000); // docs/API.md: PORT defaults to 4000
    assert.equal(config.databaseUrl, undefined); // embedded PostgreSQL
    assert.equal(config.kek.length, 32);
    assert.equal(config.jwt.audience, 'orgbound');
    assert.ok(config.jwt.issuer.length > 0);
    assert.deepEqual(config.corsOrigins, []);
  });

  test('values from the environment are used', () => {
    const config = loadConfig({ PORT: '5055', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/dev', CORS_ORIGINS: 'https://a.test, https://b.test' });
    assert.equal(config.port, 5055);
    assert.equal(config.databaseUrl, 'postgres://postgres@127.0.0.1:5432/dev');
    assert.deepEqual(config.corsOrigins, ['https://a.test', 'https://b.test']);
  });

  test('the result cannot be changed after loading', () => {
    assert.ok(Object.isFrozen(loadConfig({})));
  });
});

describe('loadConfig in production refuses', () => {
  const cases: [string, NodeJS.ProcessEnv, string][] = [
    ['the default KEK (unset)', production({ ORGBOUND_KEK: undefined }), 'ORGBOUND_KEK'],
    ['the default KEK (set explicitly)', production({ ORGBOUND_KEK: DEV_KEK }), 'ORGBOUND_KEK'],
    ['the default runtime password (unset) without APP_DATABASE_URL', production({ APP_DB_PASSWORD: undefined }), 'APP_DB_PASSWORD'],
    ['the default runtime password (set explicitly)', production({ APP_DB_PASSWORD: 'orgbound_app_dev' }), 'APP_DB_PASSWORD'],
    ['a missing DATABASE_URL (no embedded PostgreSQL in production)', production({ DATABASE_URL: undefined }), 'DATABASE_URL'],
    ['a missing JWT_ISSUER', production({ JWT_ISSUER: undefined }), 'JWT_ISSUER'],
  ];
  for (const [name, env, variable] of cases) {
    test(name, () => assertRefuses(env, variable));
  }

  test('every missing secret at once, naming each', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production' }),
      (err: Error) => VARIABLES.every((v) => err.message.includes(v)),
    );
  });
});

describe('ORGBOUND_KEK must be 32 bytes in every mode', () => {
  const sizes = [0, 16, 31, 33, 64];
  for (const mode of ['development', 'test', 'production']) {
    for (const size of sizes) {
      test(`${mode}: ${size} bytes`, () => {
        const kek = randomBytes(size).toString('base64');
        const env = mode === 'production' ? production({ ORGBOUND_KEK: kek }) : { NODE_ENV: mode, ORGBOUND_KEK: kek };
        assertRefuses(env, 'ORGBOUND_KEK');
      });
    }
  }
});

describe('loadConfig in production accepts', () => {
  test('a complete configuration', () => {
    const config = loadConfig(PRODUCTION);
    assert.equal(config.production, true);
    assert.equal(config.env, 'production');
    assert.deepEqual(config.kek, REAL_KEK);
    assert.equal(config.databaseUrl, PRODUCTION.DATABASE_URL);
    assert.equal(config.appDbPassword, 'a-real-runtime-password');
    assert.equal(config.jwt.issuer, 'https://api.orgbound.example');
  });

  test('the default runtime password when APP_DATABASE_URL names the runtime role itself', () => {
    const config = loadConfig(production({ APP_DB_PASSWORD: undefined, APP_DATABASE_URL: 'postgres://orgbound_app:s3cret@db.internal:5432/orgbound' }));
    assert.equal(config.appDatabaseUrl, 'postgres://orgbound_app:s3cret@db.internal:5432/orgbound');
  });
});
