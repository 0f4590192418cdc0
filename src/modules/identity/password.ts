import { hash, verify } from '@node-rs/argon2';

/** `Algorithm.Argon2id`: the package exports a const enum, which isolated modules cannot inline. */
const ARGON2ID = 2;

/** OWASP's argon2id profile (m=19 MiB, t=2, p=1). */
const PARAMS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

/**
 * A hash of a password nobody knows, verified when the email is unknown so that a wrong password and
 * an unknown email take the same time (STYLE rule 6).
 */
const decoy = hashPassword('orgbound-decoy-password-never-valid');

export async function verifyPassword(storedHash: string | undefined, password: string): Promise<boolean> {
  if (storedHash === undefined) {
    await verify(await decoy, password).catch(() => false);
    return false;
  }
  return verify(storedHash, password).catch(() => false);
}
