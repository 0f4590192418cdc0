import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed operations from the API's SDL (the contract). Regenerate with `npm run codegen` after editing an
// operation in src/ or a file in ../../schema; the output in src/gql/ is committed.
const config: CodegenConfig = {
  overwrite: true,
  schema: '../../schema/*.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        // Plain strings with their result and variable types: the client posts them with fetch,
        // so the bundle needs no graphql runtime.
        documentMode: 'string',
        // Only what the operations use: new schema types elsewhere do not churn these files.
        onlyOperationTypes: true,
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: 'string' },
      },
    },
  },
};

export default config;
