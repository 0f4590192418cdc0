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
