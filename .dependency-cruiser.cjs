/**
 * The dependency rule of orgbound (docs/ARCHITECTURE.md): arrows point down only.
 *
 *   app (main, server, config, demo, operations)
 *     -> api (http, graphql: context, shield and schema assembly, apollo)
 *       -> modules/* (identity, sessions, organizations, mfa, service-accounts, audit, projects, ...)
 *         -> platform (tenancy, tokens and keys, limits, observability, security log, authorization)
 *           -> db (the ORM kernel: orm, tenant-owned base, request transaction)
 *             -> core (pure: errors, vocabulary, policy, decisions)
 *
 * A module reaches another module only through that module's index.ts, and no circle remains.
 * `npm test` runs this (test/architecture/dependency-rule.test.ts); `npm run depcruise` prints it.
 */
const layer = (name) => `^src/${name}/`;
const below = {
  core: [],
  db: ['core'],
  platform: ['core', 'db', 'generated'],
  modules: ['core', 'db', 'platform', 'modules', 'generated'],
  api: ['core', 'db', 'platform', 'modules', 'generated'],
  app: ['core', 'db', 'platform', 'modules', 'api', 'app', 'generated'],
};

const layerRules = Object.entries(below).map(([name, allowed]) => ({
  name: `${name}-imports-only-below`,
  comment: `${name} may import ${allowed.length ? allowed.join(', ') : 'nothing of src/ but itself'} (arrows point down only)`,
  severity: 'error',
  from: { path: layer(name) },
  to: { path: '^src/', pathNot: [layer(name), ...allowed.map(layer)] },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'No circle in src/: a circle makes two layers (or two modules) one. Type-only imports of the generated resolver types do not count.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'module-through-its-index',
      comment: "A module uses another module only through what that module exports (its index.ts), never its internals.",
      severity: 'error',
      from: { path: '^src/(modules/([^/]+)|api|app)/' },
      to: { path: '^src/modules/[^/]+/', pathNot: ['^src/modules/$2/', '^src/modules/[^/]+/(index|module)\\.ts$'] },
    },
    {
      name: 'modules-never-import-module-manifests',
      comment: 'A module manifest (module.ts) is what the core discovers; other modules import index.ts.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/[^/]+/module\\.ts$', pathNot: '^src/modules/$1/' },
    },
    {
      name: 'generated-types-only',
      comment: 'The generated resolver types are imported for types only.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/generated/' },
      to: { path: '^src/generated/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'core-is-pure',
      comment: 'core holds pure decisions and vocabulary: no I/O library, no Node built-in.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'core'], pathNot: '^node_modules/(graphql|zod)/' },
    },
    {
      name: 'src-never-imports-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|cluster|scripts|examples)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] },
    exclude: { path: ['\\.test\\.ts$'] },
  },
};
