/**
 * A small orgbound client for Node 20 scripts and services: the global fetch, no dependencies. It
 * signs in (or starts from a stored refresh token), sends GraphQL with the access token, refreshes
 * shortly before the token expires and once on UNAUTHENTICATED (one refresh in flight, shared by
 * every call waiting for it), hands each rotated refresh token to `onTokens` to store, and fails with
 * SessionEndedError when the session cannot continue. README.md next to this file shows its use.
 */
import { OrgboundError, SessionEndedError } from './errors.ts';
import { postGraphql, sendWithCredential, singleFlight, type Credential, type Fetch } from './lib/transport.ts';

export { OrgboundError, SessionEndedError, SESSION_ENDED_CODES, type GraphqlError } from './errors.ts';
export { createServiceClient, type ServiceClientOptions } from './service-client.ts';

/** What a session holds. Persist `refreshToken` (it changes on every refresh) to resume later. */
export interface SessionTokens {
  readonly accessToken: string;
  readonly accessTokenExpiresAt: Date;
  readonly refreshToken: string;
  readonly organizationId: string | null;
}

interface CommonOptions {
  /** The GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  readonly url: string;
  /** Called with every new set of tokens (sign-in, each refresh), before they are used: store the refresh token here. */
  readonly onTokens?: (tokens: SessionTokens) => void | Promise<void>;
  /** Refresh this long before the access token expires (default 30 s). */
  readonly refreshBeforeMs?: number;
  readonly fetch?: Fetch;
  /** The clock, in ms (tests inject one). */
  readonly now?: () => number;
}

export interface PasswordClientOptions extends CommonOptions {
  readonly email: string;
  readonly password: string;
  /** The organization the access tokens are scoped to; without it they carry none (only `viewer` and the like work). */
  readonly organizationId?: string;
  /** Asked for a TOTP code when the sign-in needs one (CONFIDENTIAL and REGULATED organizations). */
  readonly mfaCode?: () => string | Promise<string>;
  readonly deviceName?: string;
}

export interface TokenClientOptions extends CommonOptions {
  /** A refresh token stored from an earlier session (single use: the client rotates it). */
  readonly refreshToken: string;
  /** Its access token, if still at hand; otherwise the first call refreshes. */
  readonly accessToken?: string;
  readonly accessTokenExpiresAt?: Date | string;
}

export interface OrgboundClient {
  /** Sends one operation; returns `data`. Raises OrgboundError, SessionEndedError once the session is over. */
  request<T = any>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Starts a new session (password clients only; a TypeError otherwise), e.g. after SessionEndedError. */
  signIn(): Promise<SessionTokens>;
  /** The current tokens, or null before the first call and after the session ended. */
  tokens(): SessionTokens | null;
}

const PAYLOAD = `accessToken accessTokenExpiresAt refreshToken activeOrganization { id }`;
const SIGN_IN = `mutation($e: String!, $p: String!, $d: String!, $o: ID, $c: String) {
  signIn(email: $e, password: $p, deviceName: $d, organizationId: $o, mfaCode: $c) { ${PAYLOAD} } }`;
const REFRESH = `mutation($t: String!) { refreshSession(refreshToken: $t) { ${PAYLOAD} } }`;

interface Payload {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  activeOrganization: { id: string } | null;
}
const toTokens = (p: Payload): SessionTokens => ({
  accessToken: p.accessToken,
  accessTokenExpiresAt: new Date(p.accessTokenExpiresAt),
  refreshToken: p.refreshToken,
  organizationId: p.activeOrganization?.id ?? null,
});

/** A client for a person's device session: with email and password, or from a stored refresh token. */
export function createClient(opts: PasswordClientOptions | TokenClientOptions): OrgboundClient {
  const fetchImpl = opts.fetch ?? fetch;
  const now = opts.now ?? Date.now;
  const refreshBeforeMs = opts.refreshBeforeMs ?? 30_000;
  const password = 'password' in opts ? opts : null;
  let current: SessionTokens | null = null;
  let refreshToken: string | null = 'refreshToken' in opts ? opts.refreshToken : null;
  let ended: SessionEndedError | null = null;
  if ('refreshToken' in opts && opts.accessToken && opts.accessTokenExpiresAt) {
    current = { accessToken: opts.accessToken, accessTokenExpiresAt: new Date(opts.accessTokenExpiresAt), refreshToken: opts.refreshToken, organizationId: null };
  }

  const adopt = async (tokens: SessionTokens): Promise<SessionTokens> => {
    await opts.onTokens?.(tokens);
    refreshToken = tokens.refreshToken;
    return (current = tokens);
  };

  const signIn = async (): Promise<SessionTokens> => {
    if (!password) throw new TypeError('orgbound client: signIn needs email and password');
    const vars = { e: password.email, p: password.password, d: password.deviceName ?? 'orgbound client', o: password.organizationId ?? null, c: null as string | null };
    try {
      return await adopt(toTokens((await postGraphql<{ signIn: Payload }>(fetchImpl, opts.url, SIGN_IN, vars)).signIn));
    } catch (err) {
      if (!(err instanceof OrgboundError) || err.code !== 'MFA_REQUIRED' || !password.mfaCode) throw err;
    }
    vars.c = await password.mfaCode();
    return adopt(toTokens((await postGraphql<{ signIn: Payload }>(fetchImpl, opts.url, SIGN_IN, vars)).signIn));
  };

  const refresh = async (): Promise<SessionTokens> => {
    if (refreshToken === null) return signIn();
    try {
      return await adopt(toTokens((await postGraphql<{ refreshSession: Payload }>(fetchImpl, opts.url, REFRESH, { t: refreshToken })).refreshSession));
    } catch (err) {
      // A refresh token that is unknown or superseded will not work on a second try either.
      if (err instanceof OrgboundError && err.code === 'UNAUTHENTICATED') throw new SessionEndedError('UNAUTHENTICATED', err.errors);
      throw err;
    }
  };
  // One renewal in flight: the 10 calls that find the token stale at once share one refreshSession.
  const renewal = singleFlight(refresh);

  const credential: Credential = {
    async token() {
      const t = current;
      if (t && now() < t.accessTokenExpiresAt.getTime() - refreshBeforeMs) return t.accessToken;
      return (await renewal()).accessToken;
    },
    async renew(stale) {
      if (current && current.accessToken !== stale) return current.accessToken;
      return (await renewal()).accessToken;
    },
  };

  return {
    async request(query, variables = {}) {
      if (ended) throw ended;
      try {
        return await sendWithCredential(fetchImpl, opts.url, credential, query, variables);
      } catch (err) {
        if (err instanceof SessionEndedError) {
          ended ??= err;
          current = null;
        }
        throw err;
      }
    },
    async signIn() {
      const tokens = await signIn();
      ended = null;
      return tokens;
    },
    tokens: () => current,
  };
}
