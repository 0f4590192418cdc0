/**
 * What an error may carry into the logs (errorSummary, redactSecrets), and which request ids and
 * operation names a log line accepts from a client. Pure functions: no server, no database.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { newOpaqueToken } from '../../src/platform/crypto/tokens.ts';
import { errorSummary } from '../../src/platform/observability/logger.ts';
import { REDACTED, redactSecrets } from '../../src/platform/observability/redact.ts';
import { RequestRecord, requestIdFrom } from '../../src/api/http/request-log.ts';

const PASSWORD = 'correct horse battery staple';
const JWT = 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ4In0.MEUCIQDx3n8l2Zt0-sig_part';
const REFRESH = newOpaqueToken('ort');
const INVITATION = `obi.${randomUUID()}.${newOpaqueToken('inv')}`;
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const OTPAUTH = `otpauth://totp/orgbound:ada%40example.com?secret=${TOTP_SECRET}&issuer=orgbound`;

describe('errorSummary', () => {
  test('an error quoting the request\'s password, code or token keeps none of them', () => {
    const inputs = [PASSWORD, '123456', `Bearer ${JWT}`];
    const err = new Error(`could not verify "${PASSWORD}" with code 123456 for Bearer ${JWT}`);
    const summary = errorSummary(err, inputs);
    const text = JSON.stringify(summary);
    for (const secret of [PASSWORD, '123456', JWT]) assert.ok(!text.includes(secret), `${secret} in ${text}`);
    assert.match(String(summary.message), /could not verify/);
    assert.match(String(summary.message), /\[redacted\]/);
  });

  test('secrets of a known shape are scrubbed even when they were not inputs of the request', () => {
    for (const secret of [JWT, REFRESH, INVITATION, OTPAUTH, TOTP_SECRET, '654321']) {
      const summary = errorSummary(new Error(`failed with ${secret} in it`));
      assert.ok(!JSON.stringify(summary).includes(secret), `${secret}: ${JSON.stringify(summary)}`);
    }
  });

  test('the stack keeps its frames only: a message line never leaks through it', () => {
    const err = new Error(`first line\nsecond line with ${PASSWORD}`);
    const summary = errorSummary(err, [PASSWORD]);
    assert.ok(!JSON.stringify(summary).includes(PASSWORD));
    for (const line of String(summary.stack).split('\n')) assert.match(line, /^\s+at /);
  });

  test('codes and constraint names are scrubbed too; a message quoting SQL is dropped', () => {
    const err = Object.assign(new Error('insert into "users" ("email") values (\'ada@example.com\') - duplicate key'), { code: PASSWORD, constraint: 'users_email_unique' });
    const summary = errorSummary(err, [PASSWORD]);
    assert.equal(summary.message, '[SQL statement elided]');
    assert.equal(summary.constraint, 'users_email_unique');
    assert.ok(!JSON.stringify(summary).includes(PASSWORD));
    assert.ok(!JSON.stringify(summary).includes('ada@example.com'));
  });

  test('anything thrown that is not an Error is summarised by its type only', () => {
    assert.deepEqual(errorSummary(PASSWORD), { type: 'string' });
    assert.deepEqual(errorSummary({ password: PASSWORD }), { type: 'object' });
  });
});

describe('redactSecrets', () => {
  test('short inputs are left alone (no secret is shorter than a TOTP code)', () => {
    assert.equal(redactSecrets('role ADMIN in org', ['ADMIN', 'org']), 'role ADMIN in org');
    assert.equal(redactSecrets('code 123456 given', ['123456']), `code ${REDACTED} given`);
  });

  test('the longest input is replaced first, so a secret containing another leaves nothing behind', () => {
    assert.equal(redactSecrets(`x ${PASSWORD} y`, ['horse battery', PASSWORD]), `x ${REDACTED} y`);
  });
});

describe('request ids from clients', () => {
  test('a UUID or 16 to 64 hex digits is kept', () => {
    for (const id of [randomUUID(), randomBytes(8).toString('hex'), randomBytes(32).toString('hex'), randomUUID().toUpperCase()]) assert.equal(requestIdFrom(id), id);
  });

  test('anything else is replaced by a fresh UUID', () => {
    for (const bad of [undefined, '', 'hello', 'z'.repeat(16), randomBytes(33).toString('hex'), REFRESH, JWT, `${randomUUID()}\nforged line`, PASSWORD, ['a', 'b']]) {
      const id = requestIdFrom(bad as string | undefined);
      assert.notEqual(id, bad);
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });
});

describe('operation names in the log line', () => {
  test('a GraphQL name is kept; one that is an input of the request, or not a name, is dropped', () => {
    const record = new RequestRecord(randomUUID());
    record.noteInputs({ p: 'hunter2hunter2', q: ['unused'] });
    record.noteOperationName('SignIn');
    assert.equal(record.operationName, 'SignIn');
    for (const bad of ['hunter2hunter2', 'XHunter2hunter2hunter2hunter2', 'x hunter2hunter2', 'Code123456', 'Sign In', 'a'.repeat(101), '']) {
      record.noteOperationName(bad);
      assert.equal(record.operationName, null, bad);
    }
    record.noteInputs(['Launch']);
    record.noteOperationName('CreateLaunch');
    assert.equal(record.operationName, 'CreateLaunch', 'a short input (a name, not a secret) does not hide the operation name');
  });
});
