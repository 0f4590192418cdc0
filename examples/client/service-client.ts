/**
 * The client of a service account (README "Machine identities and agents"): access tokens from
 * POST /oauth/token with the client credentials grant (RFC 6749 section 4.4), fetched again shortly
 * before they expire or once on UNAUTHENTICATED, one request in flight. There is no refresh token.
 */
import { OrgboundError, SessionEndedError } from './errors.ts';
import { sendWithCredential, singleFlight, type Credential, type Fetch } from './lib/transport.ts';

export interface ServiceClientOptions {
  /** The GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  readonly url: string;
  /** Default: /oauth/token next to `url`. */
  readonly tokenUrl?: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Space-separated scopes to narrow the token to (default: all of the account's). */
  readonly scope?: string;
  /** Fetch a new token this long before the current one expires (default 30 s). */
  readonly refreshBeforeMs?: number;
  readonly fetch?: Fetch;
  readonly now?: () => number;
}

interface ServiceToken {
  readonly accessToken: string;
  readonly expiresAt: number;
}

/**
 * `request` raises OrgboundError with the OAuth error as `code` (`invalid_client` for a wrong secret or
 * an unknown or revoked account, `invalid_scope`, `slow_down`), and SessionEndedError
 * (SESSION_REVOKED) when the account is revoked while its token is in use.
 */
export function createServiceClient(opts: ServiceClientOptions) {
  const fetchImpl = opts.fetch ?? fetch;
  const now = opts.now ?? Date.now;
  const refreshBeforeMs = opts.refreshBeforeMs ?? 30_000;
  const tokenUrl = opts.tokenUrl ?? new URL('/oauth/token', opts.url).toString();
  let current: ServiceToken | null = null;

  const fetchToken = singleFlight(async (): Promise<ServiceToken> => {
    const basic = Buffer.from(`${encodeURIComponent(opts.clientId)}:${encodeURIComponent(opts.clientSecret)}`).toString('base64');
    const form = new URLSearchParams({ grant_type: 'client_credentials', ...(opts.scope ? { scope: opts.scope } : {}) });
    const res = await fetchImpl(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
      body: form.toString(),
    });
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
    if (!res.ok || !body.access_token || typeof body.expires_in !== 'number') {
      throw new OrgboundError(`orgbound: token request failed: ${body.error ?? `HTTP ${res.status}`}${body.error_description ? ` (${body.error_description})` : ''}`, body.error);
    }
    return (current = { accessToken: body.access_token, expiresAt: now() + body.expires_in * 1000 });
  });

  const credential: Credential = {
    async token() {
      const t = current;
      return t && now() < t.expiresAt - refreshBeforeMs ? t.accessToken : (await fetchToken()).accessToken;
    },
    async renew(stale) {
      return current && current.accessToken !== stale ? current.accessToken : (await fetchToken()).accessToken;
    },
  };

  return {
    /** Sends one operation with the service token; returns `data`. */
    async request<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      try {
        return await sendWithCredential<T>(fetchImpl, opts.url, credential, query, variables);
      } catch (err) {
        if (err instanceof SessionEndedError) current = null;
        throw err;
      }
    },
  };
}
