import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import * as esmSchema from '@graphql-tools/schema';
import * as esmGraphql from 'graphql';
import * as esmMiddleware from 'graphql-middleware';
import * as esmShield from 'graphql-shield';

/*
 * graphql-shield 7.6.5 calls util.isUndefined, which Node 23 removed: the ESM build fails to import
 * and the CJS build throws inside chain/race. patches/graphql-shield+7.6.5.patch (applied by
 * patch-package on postinstall) replaces it.
 */

const require = createRequire(import.meta.url);
const packageDir = dirname(dirname(require.resolve('graphql-shield')));

describe('the installed graphql-shield carries the patch', () => {
  for (const build of ['esm', 'cjs']) {
    test(`${build}/rules.js does not use isUndefined`, () => {
      const source = readFileSync(join(packageDir, build, 'rules.js'), 'utf8');
      assert.ok(source.includes('rule === undefined'), 'the patched check is missing');
      assert.doesNotMatch(source, /isUndefined/);
    });

    test(`no file of the ${build} build uses isUndefined`, () => {
      const files = readdirSync(join(packageDir, build)).filter((f) => f.endsWith('.js'));
      assert.ok(files.length > 3);
      for (const f of files) assert.doesNotMatch(readFileSync(join(packageDir, build, f), 'utf8'), /isUndefined/, f);
    });
  }

  test('a clean install re-applies the patch', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts.postinstall ?? '', /patch-package/);
    const patch = readFileSync(new URL('../../patches/graphql-shield+7.6.5.patch', import.meta.url), 'utf8');
    assert.match(patch, /esm\/rules\.js/);
    assert.match(patch, /cjs\/rules\.js/);
  });
});

interface Modules {
  readonly graphql: typeof esmGraphql;
  readonly schema: typeof esmSchema;
  readonly middleware: typeof esmMiddleware;
  readonly shield: typeof esmShield;
}

// The CJS build is what `require` users get; load the whole stack from CJS so the realms match.
const builds: [string, Modules][] = [
  ['esm', { graphql: esmGraphql, schema: esmSchema, middleware: esmMiddleware, shield: esmShield }],
  [
    'cjs',
    {
      graphql: require('graphql') as typeof esmGraphql,
      schema: require('@graphql-tools/schema') as typeof esmSchema,
      middleware: require('graphql-middleware') as typeof esmMiddleware,
      shield: require('graphql-shield') as typeof esmShield,
    },
  ],
];

interface Ctx {
  calls: string[];
}

function buildSchema(m: Modules) {
  const { rule, chain, race, shield, deny } = m.shield;
  const yes = (name: string) => rule({ cache: 'no_cache' })((_p, _a, ctx: Ctx) => (ctx.calls.push(name), true));
  const no = (name: string) => rule({ cache: 'no_cache' })((_p, _a, ctx: Ctx) => (ctx.calls.push(name), false));
  const permissions = shield(
    {
      Query: {
        // chain: every rule in order, stopping at the first failure; the end of the list is the patched line.
        chainAllowAllowAllow: chain(yes('a'), yes('b'), yes('c')),
        chainAllowDeny: chain(yes('a'), no('b')),
        chainDenyAllow: chain(no('a'), yes('b')),
        // race: the first success wins; running out of rules is the patched line.
        raceDenyAllow: race(no('a'), yes('b')),
        raceAllowDeny: race(yes('a'), no('b')),
        raceDenyDeny: race(no('a'), no('b')),
      },
    },
    {
      fallbackRule: deny,
      fallbackError: () => new m.graphql.GraphQLError('Forbidden', { extensions: { code: 'FORBIDDEN' } }),
    },
  );
  const fields = ['chainAllowAllowAllow', 'chainAllowDeny', 'chainDenyAllow', 'raceDenyAllow', 'raceAllowDeny', 'raceDenyDeny', 'unlisted'];
  const base = m.schema.makeExecutableSchema({
    typeDefs: `type Query { ${fields.map((f) => `${f}: String`).join(' ')} }`,
    resolvers: { Query: Object.fromEntries(fields.map((f) => [f, () => 'ok'])) },
  });
  return m.middleware.applyMiddleware(base, permissions);
}

const expectations: [string, boolean, string[]][] = [
  ['chainAllowAllowAllow', true, ['a', 'b', 'c']],
  ['chainAllowDeny', false, ['a', 'b']],
  ['chainDenyAllow', false, ['a']],
  ['raceDenyAllow', true, ['a', 'b']],
  ['raceAllowDeny', true, ['a']],
  ['raceDenyDeny', false, ['a', 'b']],
  ['unlisted', false, []],
];

for (const [build, m] of builds) {
  describe(`graphql-shield ${build} build: chain and race`, () => {
    const schema = buildSchema(m);
    for (const [field, allowed, calls] of expectations) {
      test(`${field} is ${allowed ? 'allowed' : 'denied'}`, async () => {
        const ctx: Ctx = { calls: [] };
        const result = await m.graphql.graphql({ schema, source: `{ ${field} }`, contextValue: ctx });
        if (allowed) {
          assert.equal(result.errors, undefined, result.errors?.[0]?.message);
          assert.equal(result.data?.[field], 'ok');
        } else {
          assert.equal(result.errors?.length, 1);
          assert.equal(result.errors?.[0]?.extensions.code, 'FORBIDDEN');
          assert.equal(result.data?.[field], null);
        }
        assert.deepEqual(ctx.calls, calls);
      });
    }
  });
}
