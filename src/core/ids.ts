import { badInput } from './errors.ts';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validates a GraphQL ID argument. Raises BAD_USER_INPUT (never reaches the database malformed). */
export function parseId(value: string, what = 'id'): string {
  if (!UUID.test(value)) throw badInput(`Invalid ${what}`);
  return value.toLowerCase();
}
