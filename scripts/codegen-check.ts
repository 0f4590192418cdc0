/**
 * Fails when src/generated/ is stale: regenerates into a temporary copy of the output and
 * compares it byte for byte with the committed file.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const target = 'src/generated/resolvers-types.ts';
const committed = readFileSync(target, 'utf8');
try {
  execFileSync('npx', ['graphql-codegen', '--config', 'codegen.ts', '--silent'], { stdio: 'inherit' });
  const fresh = readFileSync(target, 'utf8');
  if (fresh !== committed) {
    process.stderr.write(`${target} is stale: run \`npm run codegen\` and commit the result\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`${target} is up to date\n`);
  }
} finally {
  writeFileSync(target, committed);
}
