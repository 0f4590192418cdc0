import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../src/core/errors.ts';
import { decodeCursor, decodeKeyCursor, encodeCursor, encodeKeyCursor, pageSize, toConnection, toKeyConnection, type Cursor } from '../../src/core/relay.ts';

const ID_A = '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d';
const b64 = (text: string): string => Buffer.from(text).toString('base64url');

function assertBadInput(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AppError, `expected AppError, got ${String(err)}`);
    assert.equal(err.code, 'BAD_USER_INPUT');
    assert.equal(err.extensions.code, 'BAD_USER_INPUT');
    return true;
  });
}

describe('cursors', () => {
  const cursors: Cursor[] = [
    { createdAt: new Date('2026-03-01T12:00:00.000Z'), id: ID_A },
    { createdAt: new Date('2026-03-01T12:00:00.123Z'), id: 'ffffffff-ffff-4fff-bfff-ffffffffffff' },
    { createdAt: new Date('1999-12-31T23:59:59.999Z'), id: '00000000-0000-4000-8000-000000000000' },
  ];
  for (const c of cursors) {
    test(`round trip ${c.createdAt.toISOString()} ${c.id}`, () => {
      const encoded = encodeCursor(c);
      assert.match(encoded, /^[A-Za-z0-9_-]+$/); // safe in URLs and GraphQL strings
      const decoded = decodeCursor(encoded);
      assert.equal(decoded.createdAt.getTime(), c.createdAt.getTime());
      assert.equal(decoded.id, c.id);
    });
  }

  test('different positions give different cursors', () => {
    const at = new Date('2026-03-01T12:00:00.000Z');
    assert.notEqual(encodeCursor({ createdAt: at, id: ID_A }), encodeCursor({ createdAt: new Date(at.getTime() + 1), id: ID_A }));
  });

  // Everything here must stop at BAD_USER_INPUT: a cursor that reaches SQL malformed becomes an
  // internal error (and aborts the request's transaction) instead of a client error.
  const invalid: [string, string][] = [
    ['empty', ''],
    ['garbage', '!!!not a cursor!!!'],
    ['base64 of plain text', b64('hello')],
    ['base64 of JSON null', b64('null')],
    ['base64 of a JSON object', b64(JSON.stringify({ createdAt: '2026-03-01T12:00:00.000Z', id: ID_A }))],
    ['base64 of an empty array', b64('[]')],
    ['date only, no id', b64(JSON.stringify(['2026-03-01T12:00:00.000Z']))],
    ['bad date', b64(JSON.stringify(['not a date', ID_A]))],
    ['numeric id', b64(JSON.stringify(['2026-03-01T12:00:00.000Z', 42]))],
    ['id that is not a uuid', b64(JSON.stringify(['2026-03-01T12:00:00.000Z', 'abc']))],
    ['id with SQL text', b64(JSON.stringify(['2026-03-01T12:00:00.000Z', `${ID_A}' or 1=1 --`]))],
    ['36 hyphens as id', b64(JSON.stringify(['2026-03-01T12:00:00.000Z', '-'.repeat(36)]))],
    ['36 hex digits without uuid grouping', b64(JSON.stringify(['2026-03-01T12:00:00.000Z', 'a'.repeat(36)]))],
  ];
  for (const [name, cursor] of invalid) {
    test(`invalid cursor: ${name}`, () => assertBadInput(() => decodeCursor(cursor)));
  }
});

describe('pageSize', () => {
  const accepted: [number | null | undefined, number][] = [
    [1, 1],
    [20, 20],
    [100, 100],
    [null, 20],
    [undefined, 20],
  ];
  for (const [first, expected] of accepted) {
    test(`first ${String(first)} -> ${expected}`, () => assert.equal(pageSize(first), expected));
  }

  for (const first of [0, -1, 101, 1_000_000, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    test(`first ${first} is refused`, () => assertBadInput(() => pageSize(first)));
  }
});

describe('toConnection', () => {
  const rows = Array.from({ length: 4 }, (_, i) => ({
    createdAt: new Date(Date.UTC(2026, 2, 1, 12, 0, i)),
    id: `0000000${i}-0000-4000-8000-000000000000`,
    name: `row ${i}`,
  }));

  test('limit + 1 rows: one page and hasNextPage', () => {
    const conn = toConnection(rows, 3);
    assert.deepEqual(conn.edges.map((e) => e.node.name), ['row 0', 'row 1', 'row 2']);
    assert.equal(conn.pageInfo.hasNextPage, true);
    assert.equal(conn.pageInfo.endCursor, conn.edges[2]?.cursor);
    const end = decodeCursor(conn.pageInfo.endCursor ?? '');
    assert.equal(end.id, '00000002-0000-4000-8000-000000000000');
    assert.equal(end.createdAt.toISOString(), '2026-03-01T12:00:02.000Z');
  });

  test('exactly limit rows: no next page', () => {
    const conn = toConnection(rows.slice(0, 3), 3);
    assert.equal(conn.edges.length, 3);
    assert.equal(conn.pageInfo.hasNextPage, false);
    assert.equal(decodeCursor(conn.pageInfo.endCursor ?? '').id, '00000002-0000-4000-8000-000000000000');
  });

  test('fewer rows than the limit: no next page', () => {
    const conn = toConnection(rows.slice(0, 2), 3);
    assert.equal(conn.edges.length, 2);
    assert.equal(conn.pageInfo.hasNextPage, false);
  });

  test('no rows: no edges, endCursor null', () => {
    const conn = toConnection([], 20);
    assert.deepEqual(conn, { edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  test('each edge cursor points at its own node', () => {
    for (const edge of toConnection(rows, 3).edges) {
      const c = decodeCursor(edge.cursor);
      assert.equal(c.id, edge.node.id);
      assert.equal(c.createdAt.getTime(), edge.node.createdAt.getTime());
    }
  });
});

describe('key cursors (a list ordered by one column, then id)', () => {
  const ID = '00000001-0000-4000-8000-000000000000';
  const readInt = (v: unknown) => (Number.isInteger(v) ? (v as number) : undefined);
  const readText = (v: unknown) => (typeof v === 'string' ? v : undefined);

  test('round trip of a number and a text value', () => {
    assert.deepEqual(decodeKeyCursor(encodeKeyCursor(42, ID), readInt), { value: 42, id: ID });
    assert.deepEqual(decodeKeyCursor(encodeKeyCursor('2030-01-31', ID), readText), { value: '2030-01-31', id: ID });
  });

  const bad: [string, string][] = [
    ['not base64 JSON', '!!!'],
    ['a created-at cursor', encodeCursor({ createdAt: new Date('2026-03-01T12:00:00Z'), id: ID })],
    ['a value of the wrong type', encodeKeyCursor('42', ID)],
    ['an id that is not a UUID', Buffer.from(JSON.stringify(['k', 42, "' or 1=1 --"])).toString('base64url')],
    ['an extra element', Buffer.from(JSON.stringify(['k', 42, ID, 'x'])).toString('base64url')],
    ['another tag', Buffer.from(JSON.stringify(['x', 42, ID])).toString('base64url')],
  ];
  for (const [what, cursor] of bad) {
    test(`${what}: BAD_USER_INPUT`, () => {
      assert.throws(() => decodeKeyCursor(cursor, readInt), (err: unknown) => (err as { extensions?: { code?: string } }).extensions?.code === 'BAD_USER_INPUT');
    });
  }

  test('toKeyConnection: limit + 1 rows give a next page, each cursor names its own row', () => {
    const rows = [1, 2, 3].map((n) => ({ id: `0000000${n}-0000-4000-8000-000000000000`, rank: n * 10 }));
    const conn = toKeyConnection(rows, 2, (r) => r.rank);
    assert.equal(conn.pageInfo.hasNextPage, true);
    assert.deepEqual(conn.edges.map((e) => decodeKeyCursor(e.cursor, readInt)), rows.slice(0, 2).map((r) => ({ value: r.rank, id: r.id })));
    assert.equal(conn.pageInfo.endCursor, conn.edges[1]!.cursor);
  });
});
