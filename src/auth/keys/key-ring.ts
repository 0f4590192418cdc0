import type { EntityManager } from '@mikro-orm/postgresql';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { open, seal } from '../../crypto/envelope.ts';
import { SigningKey } from '../signing-key.entity.ts';
import { advisoryXactLock } from '../../db/locks.ts';

export const SIGNING_ALG = 'ES256';

export interface VerificationKey {
  readonly kid: string;
  readonly alg: string;
  readonly key: CryptoKey;
  readonly publicJwk: JWK;
  readonly verifyUntil: Date | null;
}

export interface ActiveSigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
}

/** How often an unknown `kid` may trigger a reload from the database (another instance rotated). */
const RELOAD_INTERVAL_MS = 5_000;

/**
 * The process's view of `signing_keys`: public keys for verification (and JWKS), and the one active
 * private key, decrypted once at load. Reloads on an unknown kid at most every RELOAD_INTERVAL_MS,
 * so a flood of forged kids cannot turn into a flood of queries.
 */
export class KeyRing {
  private verifying = new Map<string, VerificationKey>();
  private active: ActiveSigningKey | undefined;
  private lastLoad = 0;

  constructor(
    private readonly load: () => Promise<SigningKey[]>,
    private readonly kek: Buffer,
    private readonly now: () => number = Date.now,
  ) {}

  async reload(): Promise<void> {
    const rows = await this.load(); // oldest first: the newest unretired key signs
    const verifying = new Map<string, VerificationKey>();
    let newest: SigningKey | undefined;
    for (const row of rows) {
      const publicJwk = row.publicJwk as JWK;
      const key = (await importJWK(publicJwk, row.alg)) as CryptoKey;
      verifying.set(row.id, { kid: row.id, alg: row.alg, publicJwk, key, verifyUntil: row.verifyUntil ?? null });
      if (!row.retiredAt) newest = row;
    }
    let active: ActiveSigningKey | undefined;
    if (newest) {
      const privateJwk = JSON.parse(open(this.kek, newest.privateJwkSealed, `signing-key:${newest.id}`).toString('utf8')) as JWK;
      active = { kid: newest.id, alg: newest.alg, privateKey: (await importJWK(privateJwk, newest.alg)) as CryptoKey };
    }
    this.verifying = verifying;
    this.active = active;
    this.lastLoad = this.now();
  }

  signingKey(): ActiveSigningKey {
    if (!this.active) throw new Error('orgbound: no active signing key (was the key ring loaded?)');
    return this.active;
  }

  /** The verification key for `kid`, or undefined. Keys past `verifyUntil` are not returned. */
  async find(kid: string): Promise<VerificationKey | undefined> {
    let key = this.verifying.get(kid);
    if (!key && this.now() - this.lastLoad > RELOAD_INTERVAL_MS) {
      await this.reload();
      key = this.verifying.get(kid);
    }
    if (key?.verifyUntil && key.verifyUntil.getTime() <= this.now()) return undefined;
    return key;
  }

  /** Public keys that can still verify a live token, for /.well-known/jwks.json. */
  jwks(): { keys: JWK[] } {
    const now = this.now();
    const keys = [...this.verifying.values()]
      .filter((k) => !k.verifyUntil || k.verifyUntil.getTime() > now)
      .map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: 'sig' }));
    return { keys };
  }
}

/** Loads every signing key row. Identity data: no tenant filter applies. */
export function loadSigningKeys(em: EntityManager): Promise<SigningKey[]> {
  return em.fork().find(SigningKey, {}, { orderBy: { createdAt: 'asc' } });
}

/**
 * Creates the global signing key unless an active one exists. Serialised across instances with a
 * transaction-scoped advisory lock so two instances starting together create one key.
 */
export async function ensureActiveSigningKey(em: EntityManager, kek: Buffer): Promise<void> {
  await em.fork().transactional(async (tx) => {
    await advisoryXactLock(tx, 'orgbound:signing-key');
    const active = await tx.count(SigningKey, { retiredAt: null });
    if (active > 0) return;
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
    const kid = randomUUID();
    const key = tx.create(SigningKey, {
      id: kid,
      alg: SIGNING_ALG,
      publicJwk: { ...(await exportJWK(publicKey)) },
      privateJwkSealed: seal(kek, Buffer.from(JSON.stringify(await exportJWK(privateKey))), `signing-key:${kid}`),
      createdAt: new Date(),
      retiredAt: null,
      verifyUntil: null,
    });
    tx.persist(key);
  });
}
