/**
 * The operation cost (src/api/graphql/query-limits.ts operationCost): every field 1, a field with `first`
 * multiplies itself and its selection by the page size (given, from a variable, or the default),
 * clamped to 1..100. Expected values are worked out by hand in each row.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'graphql';
import { AppError } from '../../src/core/errors.ts';
import { schemaWithoutShield } from '../support/modules.ts';
import { operationCost } from '../../src/api/graphql/query-limits.ts';

const schema = schemaWithoutShield();
const cost = (query: string, variables: Record<string, unknown> = {}) => operationCost(schema, parse(query), variables, undefined);

const rows: [what: string, query: string, variables: Record<string, unknown>, expected: number][] = [
  ['a scalar of an object: 1 + 1', `{ viewer { session { id } } }`, {}, 3],
  ['a connection of 20 (default): 20 × (1 + edges(1 + node(1 + id)))', `{ projects { edges { node { id } } } }`, {}, 20 * (1 + 1 + 1 + 1)],
  ['first from a literal: 5 × 4', `{ projects(first: 5) { edges { node { id } } } }`, {}, 5 * 4],
  ['first from a variable: 7 × 4', `query($n: Int) { projects(first: $n) { edges { node { id } } } }`, { n: 7 }, 7 * 4],
  ['a variable left out takes the default: 20 × 4', `query($n: Int) { projects(first: $n) { edges { node { id } } } }`, {}, 20 * 4],
  ['Project.tasks defaults to 100: 1 + 100 × 2', `{ project(id: "00000000-0000-4000-8000-000000000000") { tasks { id } } }`, {}, 1 + 100 * 2],
  ['nested lists multiply: 1 + 1 + 10 × (1 + 1 + 10 × 2)', `{ task(id: "00000000-0000-4000-8000-000000000000") { project { tasks(first: 10) { project { tasks(first: 10) { id } } } } } }`, {}, 1 + 1 + 10 * (1 + 1 + 10 * 2)],
  ['a page over 100 is costed as 100 (the resolver refuses it)', `{ projects(first: 1000) { edges { node { id } } } }`, {}, 100 * 4],
  ['a page under 1 is costed as 1', `{ projects(first: -3) { edges { node { id } } } }`, {}, 1 * 4],
  ['members of the viewer’s orgs: 1 + 100 × (1 + 1 + 1 + 100 × (1 + 1 + 2))', `{ viewer { memberships { organization { id members { user { id email } } } } } }`, {}, 1 + 100 * (1 + 1 + 1 + 100 * (1 + 1 + 2))],
];

for (const [what, query, variables, expected] of rows) {
  test(`cost: ${what} = ${expected}`, () => {
    assert.equal(cost(query, variables), expected);
  });
}

test('the fan-out of issue 15 with default page sizes costs over a million', () => {
  assert.ok(cost(`{ task(id: "00000000-0000-4000-8000-000000000000") { project { tasks { project { tasks { project { tasks { title } } } } } } } }`) > 1_000_000);
});

test('a variable of the wrong type is BAD_USER_INPUT, not an internal error', () => {
  assert.throws(
    () => cost(`query($n: Int) { projects(first: $n) { edges { node { id } } } }`, { n: 'many' }),
    (err: unknown) => err instanceof AppError && err.code === 'BAD_USER_INPUT',
  );
});
