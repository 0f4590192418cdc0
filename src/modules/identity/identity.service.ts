import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { badInput } from '../../core/errors.ts';
import { storableText } from '../../core/validation.ts';
import type { RequestScope } from '../../platform/request-scope.ts';
import { hashPassword } from './password.ts';
import { User } from './user.entity.ts';

/** An email as accounts are keyed: trimmed by the schema, at most 254 characters, lower-cased. */
export const email = z.email().max(254).transform((e) => e.toLowerCase());
/** NIST SP 800-63B: at least 8 characters, long passphrases allowed; the hash caps the cost. */
const password = z.string().min(10).max(256);
const displayName = storableText(100);

/** Raises BAD_USER_INPUT for an invalid email or password, or an email already registered. */
export async function signUp(ctx: RequestScope, input: { email: string; password: string; displayName?: string | null }): Promise<User> {
  const parsed = z.object({ email, password, displayName: displayName.nullish() }).safeParse(input);
  if (!parsed.success) throw badInput(`Invalid ${parsed.error.issues[0]?.path.join('.') ?? 'input'}`);
  const user = ctx.em.create(User, {
    id: randomUUID(),
    email: parsed.data.email,
    passwordHash: await hashPassword(parsed.data.password),
    displayName: parsed.data.displayName ?? null,
    createdAt: ctx.app.now(),
  });
  try {
    await ctx.em.persist(user).flush();
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) throw badInput('An account with this email already exists');
    throw err;
  }
  return user;
}

/** The account with `rawEmail` (normalised as accounts are keyed), or null, also for an email that is not one. */
export async function findUserByEmail(ctx: RequestScope, rawEmail: string): Promise<User | null> {
  const parsed = email.safeParse(rawEmail);
  return parsed.success ? ctx.em.findOne(User, { email: parsed.data }) : null;
}

/** The user `userId` (identity data: no tenant filter applies). Raises NotFoundError when it is gone. */
export async function findUser(ctx: RequestScope, userId: string): Promise<User> {
  return ctx.em.findOneOrFail(User, { id: userId });
}
