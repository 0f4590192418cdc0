import type { EntityManager } from '@mikro-orm/postgresql';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { open, seal } from '../crypto/envelope.ts';
import { notifyKeysChanged } from './key-notifications.queries.ts';
import { advisoryXactLock } from '../../db/locks.ts';
import type { ActiveKey } from '../../core/decisions/decide-signing-key.ts';
import { SigningKey } from './signing-key.entity.ts';

export const SIGNING_ALG = 'ES256';

export interface VerificationKey {
  readonly kid: string;
  readonly alg: string;
  readonly key: CryptoKey;
  readonly publicJwk: JWK;
  /** The org of a dedicated key; null for the global key. */
  readonly ownerOrgId: string | null;
  readonly retiredAt: Date | null;
  readonly verifyUntil: Date | null;
}

export interface ActiveSigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly ownerOrgId: string | null;
}

/** How often an unknown `kid` may trigger a reload from the database (another instance created or rotated a key). */
const MISS_RELOAD_INTERVAL_MS = 1_000;
/** Known keys are refreshed (retirements) in the background when the copy is older than this. */
const KEY_STALE_MS = 60_000;
/** JWKS is served from memory refreshed at least this often. */
const JWKS_STALE_MS = 30_000;

/**
 * The process's view of `signing_keys`: public keys for verification and JWKS, private keys decrypted
 * on first use. Which key signs is decided by the database at issuance (activeSigningKeyId), never by
 * this cache, so a stale cache cannot sign with a retired key or with the global key for an org that
 * has its own. An unknown kid reloads at most every MISS_RELOAD_INTERVAL_MS (a flood of forged kids
 * cannot become a flood of queries); concurrent reloads are coalesced.
 */
export class KeyRing {
  private verifying = new Map<string, VerificationKey>();
  private sealed = new Map<string, SigningKey>();
  private readonly privateKeys = new Map<string, ActiveSigningKey>();
  private lastLoad = 0;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly load: () => Promise<SigningKey[]>,
    private readonly kek: Buffer,
    private readonly now: () => number = Date.now,
  ) {}

  reload(): Promise<void> {
    this.pending ??= this.doReload().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** A reload no sooner than MISS_RELOAD_INTERVAL_MS after the last one; concurrent callers share it. */
  private reloadSoon(): Promise<void> {
    if (this.pending) return this.pending;
    const wait = Math.max(0, this.lastLoad + MISS_RELOAD_INTERVAL_MS - Date.now());
    this.pending = new Promise((resolve) => setTimeout(resolve, wait))
      .then(() => this.doReload())
      .finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async doReload(): Promise<void> {
    const rows = await this.load();
    const verifying = new Map<string, VerificationKey>();
    const sealed = new Map<string, SigningKey>();
    for (const row of rows) {
      verifying.set(row.id, await verificationKey(row));
      sealed.set(row.id, row);
    }
    this.verifying = verifying;
    this.sealed = sealed;
    this.lastLoad = Date.now();
  }

  /**
   * The private key of `kid` (named by the database as the signing key), decrypted once. Read through
   * `em`, the caller's transaction, so a key created in that transaction is found.
   */
  async signingKey(kid: string, em: EntityManager): Promise<ActiveSigningKey> {
    const cached = this.privateKeys.get(kid);
    if (cached) return cached;
    const row = this.sealed.get(kid) ?? (await em.findOne(SigningKey, { id: kid }));
    if (!row) throw new Error(`orgbound: signing key ${kid} is not in the database`);
    // A key this process is about to sign with must verify here at once, before the next reload.
    if (!this.verifying.has(kid)) this.verifying.set(kid, await verificationKey(row));
    const privateJwk = JSON.parse(open(this.kek, row.privateJwkSealed, `signing-key:${row.id}`).toString('utf8')) as JWK;
    const key: ActiveSigningKey = { kid: row.id, alg: row.alg, privateKey: (await importJWK(privateJwk, row.alg)) as CryptoKey, ownerOrgId: row.ownerOrgId ?? null };
    this.privateKeys.set(kid, key);
    return key;
  }

  /** Records a retirement this process just committed, so its own verifier applies it without waiting for a reload. */
  noteRetired(kid: string, retiredAt: Date, verifyUntil: Date): void {
    const key = this.verifying.get(kid);
    if (key) this.verifying.set(kid, { ...key, retiredAt, verifyUntil });
  }

  /**
   * The verification key for `kid`, or undefined. Keys past `verifyUntil` are not returned. An unknown
   * kid (another instance created or rotated a key) waits for the next reload, which happens at most
   * every MISS_RELOAD_INTERVAL_MS however many requests miss: a forged kid costs its sender up to a
   * second, never the database a query.
   */
  async find(kid: string): Promise<VerificationKey | undefined> {
    let key = this.verifying.get(kid);
    if (!key) {
      await this.reloadSoon();
      key = this.verifying.get(kid);
    } else if (Date.now() - this.lastLoad > KEY_STALE_MS) {
      // Pick up retirements by other instances in the background (this request uses what it has).
      this.reload().catch(() => undefined);
    }
    if (key?.verifyUntil && key.verifyUntil.getTime() <= this.now()) return undefined;
    return key;
  }

  /** Public keys that can still verify a live token, for /.well-known/jwks.json. */
  async jwks(): Promise<{ keys: JWK[] }> {
    if (Date.now() - this.lastLoad > JWKS_STALE_MS) await this.reload();
    const now = this.now();
    const keys = [...this.verifying.values()]
      .filter((k) => !k.verifyUntil || k.verifyUntil.getTime() > now)
      .map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: 'sig' }));
    return { keys };
  }
}

async function verificationKey(row: SigningKey): Promise<VerificationKey> {
  const publicJwk = row.publicJwk as JWK;
  const key = (await importJWK(publicJwk, row.alg)) as CryptoKey;
  return { kid: row.id, alg: row.alg, publicJwk, key, ownerOrgId: row.ownerOrgId ?? null, retiredAt: row.retiredAt ?? null, verifyUntil: row.verifyUntil ?? null };
}

/** Loads every signing key row. Identity data: no tenant filter applies. */
export function loadSigningKeys(em: EntityManager): Promise<SigningKey[]> {
  return em.fork().find(SigningKey, {}, { orderBy: { createdAt: 'asc' } });
}

/**
 * The unretired keys that could sign for `orgId`: the global key and the org's own, read from the
 * database at every issuance (in the caller's transaction). decideSigningKey picks one.
 */
export async function activeSigningKeys(em: EntityManager, orgId: string | null): Promise<ActiveKey[]> {
  const rows = await em.find(SigningKey, { retiredAt: null, $or: [{ ownerOrgId: null }, ...(orgId ? [{ ownerOrgId: orgId }] : [])] }, { fields: ['id', 'ownerOrgId'] });
  return rows.map((r) => ({ kid: r.id, ownerOrgId: r.ownerOrgId ?? null }));
}

const lockName = (ownerOrgId: string | null) => `orgbound:signing-key:${ownerOrgId ?? 'global'}`;

async function newKeyRow(em: EntityManager, kek: Buffer, ownerOrgId: string | null, now: Date): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const kid = randomUUID();
  const key = em.create(SigningKey, {
    id: kid,
    alg: SIGNING_ALG,
    publicJwk: { ...(await exportJWK(publicKey)) },
    privateJwkSealed: seal(kek, Buffer.from(JSON.stringify(await exportJWK(privateKey))), `signing-key:${kid}`),
    createdAt: now,
    retiredAt: null,
    verifyUntil: null,
    ownerOrgId,
  });
  em.persist(key);
  await em.flush();
  await notifyKeysChanged(em, kid); // every instance reloads its ring at COMMIT (src/platform/change-listener.ts)
  return key;
}

/**
 * Creates the signing key of `ownerOrgId` (null: the global key) unless an unretired one exists;
 * returns the active kid. Runs in the caller's transaction, serialised per owner with an advisory lock.
 */
export async function ensureSigningKey(em: EntityManager, kek: Buffer, ownerOrgId: string | null, now: Date): Promise<string> {
  await advisoryXactLock(em, lockName(ownerOrgId));
  const active = await em.findOne(SigningKey, { retiredAt: null, ownerOrgId });
  if (active) return active.id;
  return (await newKeyRow(em, kek, ownerOrgId, now)).id;
}

/** The global signing key at start-up, in its own transaction (two instances starting together create one). */
export async function ensureActiveSigningKey(em: EntityManager, kek: Buffer): Promise<void> {
  await em.fork().transactional((tx) => ensureSigningKey(tx, kek, null, new Date()));
}

/**
 * Rotates the signing key of `ownerOrgId` (null: global): the current key stops signing now and keeps
 * verifying for `verifySeconds` (the longest lifetime of a token it signed); a new key signs from now
 * on. Returns both kids.
 */
export async function rotateSigningKey(em: EntityManager, kek: Buffer, ownerOrgId: string | null, verifySeconds: number, now: Date): Promise<{ retired: string | null; active: string }> {
  await advisoryXactLock(em, lockName(ownerOrgId));
  const current = await em.findOne(SigningKey, { retiredAt: null, ownerOrgId });
  if (current) {
    current.retiredAt = now;
    current.verifyUntil = new Date(now.getTime() + verifySeconds * 1000);
    await em.flush(); // retire first: one unretired key per owner (unique index)
  }
  const next = await newKeyRow(em, kek, ownerOrgId, now);
  return { retired: current?.id ?? null, active: next.id };
}
