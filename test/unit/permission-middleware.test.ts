/**
 * permissionMiddleware drops shield's wrapper from fields whose rule is `allow` (issue 8: a promise per
 * field per row for nothing). Every other field must keep it: the decisions live there.
 */
import assert from 'node:assert/strict';
import { isObjectType } from 'graphql';
import { allow } from 'graphql-shield';
import { test } from 'node:test';
import { permissionMiddleware, ruleFor as ruleIn } from '../../src/api/graphql/shield.ts';
import { rules, schemaWithoutShield } from '../support/modules.ts';

const schema = schemaWithoutShield();
const middleware = permissionMiddleware(schema, rules) as Record<string, Record<string, unknown>>;
const ruleFor = (type: string, field: string) => ruleIn(rules, type, field);
const fields = Object.values(schema.getTypeMap())
  .filter((t) => isObjectType(t) && !t.name.startsWith('__'))
  .flatMap((t) => Object.keys((t as import('graphql').GraphQLObjectType).getFields()).map((f) => [t.name, f] as const));

test('every field whose rule is not allow keeps its shield wrapper; allow fields have none', () => {
  assert.ok(fields.length > 100, `only ${fields.length} fields found`);
  for (const [type, field] of fields) {
    const wrapped = middleware[type]?.[field] !== undefined;
    assert.equal(wrapped, ruleFor(type, field) !== allow, `${type}.${field}: wrapped=${wrapped}`);
  }
});

test('every root field but the three open ones, and Organization.members, are guarded', () => {
  const open = fields.filter(([type]) => type === 'Query' || type === 'Mutation').filter(([type, field]) => middleware[type]?.[field] === undefined);
  assert.deepEqual(open.map(([t, f]) => `${t}.${f}`).sort(), ['Mutation.refreshSession', 'Mutation.signIn', 'Mutation.signUp']);
  assert.notEqual(middleware.Organization?.members, undefined);
  assert.equal(middleware.Organization?.name, undefined);
  assert.equal(middleware.Project?.tasks, undefined, 'Project is allow as a whole: its parent root field decides');
});

test('ruleFor follows shield: the type rule, else the field, else *, else the fallback', () => {
  assert.equal(ruleFor('Project', 'tasks'), allow);
  assert.equal(ruleFor('Organization', 'members'), rules.Organization!.members);
  assert.equal(ruleFor('Organization', 'name'), allow);
  assert.equal(ruleFor('Query', 'projects'), rules.Query!.projects);
  assert.equal(ruleFor('Query', 'nonexistent'), 'fallback');
  assert.equal(ruleFor('NoSuchType', 'x'), 'fallback');
});
