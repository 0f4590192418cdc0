/**
 * Looks for another tenant's secrets in a whole response body: its text (data, errors, extensions)
 * and what hides inside encoded strings (JWT claims, base64url cursors), case-insensitively.
 */

const BASE64URL = /^[A-Za-z0-9_-]{16,}={0,2}$/;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function decodeBase64Url(s: string): string | null {
  const text = Buffer.from(s, 'base64url').toString('utf8');
  // Only text that decodes cleanly is worth scanning (random bytes give replacement characters).
  return text.length > 0 && !text.includes('\uFFFD') ? text : null;
}

/** Every string value of a JSON body, recursively. */
function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}

/** What encoded strings of the body decode to: JWT headers and claims, cursors, and the like. */
export function decodedViews(body: unknown): string[] {
  const views: string[] = [];
  for (const s of stringsIn(body)) {
    const parts = JWT.test(s) ? s.split('.').slice(0, 2) : BASE64URL.test(s) ? [s] : [];
    for (const part of parts) {
      const decoded = decodeBase64Url(part);
      if (decoded) views.push(decoded);
    }
  }
  return views;
}

/** The secrets that occur in `text` or in the decoded strings of its JSON, case-insensitively. */
export function secretsIn(text: string, secrets: readonly string[]): string[] {
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the raw text is all there is to scan.
  }
  const haystack = [text, ...decodedViews(body)].join('\n').toLowerCase();
  return secrets.filter((s) => haystack.includes(s.toLowerCase()));
}
