import { badInput } from './errors.ts';
import { UUID } from './ids.ts';

export const MAX_PAGE_SIZE = 100;

export interface Cursor {
  readonly createdAt: Date;
  readonly id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.createdAt.toISOString(), c.id])).toString('base64url');
}

/** Raises BAD_USER_INPUT for a cursor this API did not produce. */
export function decodeCursor(cursor: string): Cursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(at);
    if (typeof id !== 'string' || Number.isNaN(createdAt.getTime())) throw new Error('shape');
    if (!UUID.test(id)) throw new Error('id');
    const year = createdAt.getUTCFullYear();
    if (year < 1970 || year > 9999) throw new Error('date'); // only times this server could have written
    return { createdAt, id };
  } catch {
    throw badInput('Invalid cursor');
  }
}

/** Raises BAD_USER_INPUT unless 1 <= first <= MAX_PAGE_SIZE. */
export function pageSize(first: number | null | undefined, fallback = 20): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}`);
  return n;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Builds a connection from `limit + 1` rows fetched in cursor order. */
export function toConnection<T extends Cursor>(rows: T[], limit: number): Connection<T> {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ cursor: encodeCursor(node), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
}

/** A value a list is ordered by, as a cursor holds it (a timestamp as its ISO text). */
export type KeyValue = string | number;

/**
 * A cursor for a list ordered by one column, then id (a scaffolded type's `--order`): the row's value
 * of that column and its id. Opaque to clients, like encodeCursor's.
 */
export function encodeKeyCursor(value: KeyValue, id: string): string {
  return Buffer.from(JSON.stringify(['k', value, id])).toString('base64url');
}

/**
 * Reads a cursor of encodeKeyCursor back; `read` turns the stored value into what the query compares
 * (undefined: not a value of the column). Raises BAD_USER_INPUT for a cursor this API did not produce.
 */
export function decodeKeyCursor<V>(cursor: string, read: (value: unknown) => V | undefined): { readonly value: V; readonly id: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== 'k') throw new Error('shape');
    const [, raw, id] = parsed as [string, unknown, unknown];
    const value = read(raw);
    if (value === undefined || typeof id !== 'string' || !UUID.test(id)) throw new Error('value');
    return { value, id };
  } catch {
    throw badInput('Invalid cursor');
  }
}

/** Builds a connection from `limit + 1` rows fetched in (key, id) order. */
export function toKeyConnection<T extends { readonly id: string }>(rows: T[], limit: number, key: (row: T) => KeyValue): Connection<T> {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ cursor: encodeKeyCursor(key(node), node.id), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
}
