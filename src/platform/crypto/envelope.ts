import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Envelope encryption for secrets at rest (private signing keys, later TOTP secrets): each secret gets
 * its own data key (AES-256-GCM), and the data key is wrapped with the key-encryption key (KEK) from
 * the environment. `context` is bound as additional authenticated data, so a sealed value copied to
 * another row (another `kid`, another user) does not open.
 */
export interface Sealed {
  readonly v: 1;
  /** Fingerprint of the KEK that wrapped the data key: a wrong KEK is reported, not mis-decrypted. */
  readonly kek: string;
  readonly dek: string;
  readonly data: string;
}

export class EnvelopeError extends Error {
  readonly code = 'ERR_ENVELOPE';
}

export function kekFingerprint(kek: Buffer): string {
  return createHash('sha256').update(kek).digest('hex').slice(0, 16);
}

export function seal(kek: Buffer, plaintext: Buffer, context: string): string {
  const dataKey = randomBytes(32);
  const data = encrypt(dataKey, plaintext, context);
  const dek = encrypt(kek, dataKey, context);
  const sealed: Sealed = { v: 1, kek: kekFingerprint(kek), dek: dek.toString('base64url'), data: data.toString('base64url') };
  return JSON.stringify(sealed);
}

/** Raises `EnvelopeError` when the KEK differs or the value was tampered with or moved. */
export function open(kek: Buffer, sealedText: string, context: string): Buffer {
  const sealed = parseSealed(sealedText);
  if (sealed.kek !== kekFingerprint(kek)) {
    throw new EnvelopeError('sealed with a different key-encryption key (ORGBOUND_KEK changed?)');
  }
  const dataKey = decrypt(kek, Buffer.from(sealed.dek, 'base64url'), context);
  return decrypt(dataKey, Buffer.from(sealed.data, 'base64url'), context);
}

function parseSealed(text: string): Sealed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new EnvelopeError('sealed value is not an envelope');
  }
  const s = value as Partial<Sealed> | null;
  if (typeof s !== 'object' || s === null || typeof s.kek !== 'string' || typeof s.dek !== 'string' || typeof s.data !== 'string') {
    throw new EnvelopeError('sealed value is not an envelope');
  }
  if (s.v !== 1) throw new EnvelopeError('unknown envelope version');
  return s as Sealed;
}

/** Layout: 12-byte IV | ciphertext | 16-byte GCM tag. */
function encrypt(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function decrypt(key: Buffer, box: Buffer, aad: string): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, box.subarray(0, 12));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(box.subarray(box.length - 16));
    return Buffer.concat([decipher.update(box.subarray(12, box.length - 16)), decipher.final()]);
  } catch {
    throw new EnvelopeError('sealed value does not authenticate');
  }
}
