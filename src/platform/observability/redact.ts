/**
 * Secret scrubbing for log text that may quote what a client sent (error messages). Two nets:
 * the request's own inputs (every string it sent: a password or TOTP code has no recognisable
 * shape), and the shapes of the secrets orgbound issues, whoever's they are.
 */

export const REDACTED = '[redacted]';

/** Inputs shorter than this are not scrubbed: no password (10+), TOTP code (6), token or secret is. */
export const MIN_SECRET_LENGTH = 6;

const SECRET_SHAPES: readonly RegExp[] = [
  /\bBearer\s+\S+/gi, // an Authorization header value
  /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*/g, // a JWS (access token): base64url JSON header first
  /\bobi\.[^\s"'`]+/g, // an invitation token: obi.<org>.inv_<256 bits>
  /\b(?:ort|inv)_[A-Za-z0-9_-]{20,}/g, // opaque refresh / invitation secrets
  /otpauth:\/\/\S+/gi, // a TOTP enrollment URI (it carries the secret)
  /\b[A-Z2-7]{16,}=*(?![A-Za-z0-9])/g, // a base32 TOTP secret
  /(?<![\d.:-])\d{6}(?![\d.:-])/g, // a TOTP code
];

/** `text` with every input (longest first) and every secret-shaped substring replaced by [redacted]. */
export function redactSecrets(text: string, inputs: Iterable<string> = []): string {
  let out = text;
  const candidates = [...new Set(inputs)].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  for (const input of candidates) out = out.split(input).join(REDACTED);
  for (const shape of SECRET_SHAPES) out = out.replace(shape, REDACTED);
  return out;
}

/** Every string in a JSON value (GraphQL variables), depth-limited. */
export function stringsIn(value: unknown, into: Set<string>, depth = 0): Set<string> {
  if (depth > 16) return into;
  if (typeof value === 'string') into.add(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, into, depth + 1);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) stringsIn(v, into, depth + 1);
  return into;
}
