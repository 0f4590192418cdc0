import { z } from 'zod';

/**
 * A non-empty, trimmed text field PostgreSQL can store: `text` cannot hold U+0000, so it is refused
 * as input (BAD_USER_INPUT) instead of failing in the database.
 */
export const storableText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL');
