import type { AuthTokensFragment, TypedDocumentString } from '../gql/graphql';
import { refreshSessionMutation, signInMutation, signOutMutation, switchOrganizationMutation } from '../operations';
import { errorCode, SESSION_ENDED_CODES, SessionEndedError } from './errors';
import { postOperation } from './post-operation';

export type AuthTokens = AuthTokensFragment;

export interface SessionState {
  readonly tokens: AuthTokens | null;
  /** Why the last session ended on its own (a contract code), for the sign-in screen. */
  readonly endedBecause: string | null;
}

export interface SessionOptions {
  /** The API's /graphql URL. */
  readonly url: string;
  readonly deviceName: string;
  /** Refresh this long before the access token expires (clock skew, slow networks). */
  readonly refreshBeforeMs?: number;
  readonly now?: () => number;
}

/** How many times one refresh presents the same token when the network loses the answer. */
const REFRESH_ATTEMPTS = 3;
const REFRESH_RETRY_DELAY_MS = 200;
/** Spare time for a retried refresh to reach the server before the leeway ends. */
const LEEWAY_MARGIN_MS = 500;

/**
 * This tab's device session. Tokens live in memory only (README "Web client" says why): a reload
 * signs in again. `request` refreshes silently, with one refresh in flight per tab: every caller that
 * finds the access token stale shares one promise, because a refresh token works once and a second,
 * parallel presentation outside the reuse leeway revokes every session of the user
 * (REFRESH_TOKEN_REUSED, RFC 9700 section 4.14.2).
 */
export class Session {
  readonly #options: Required<SessionOptions>;
  #state: SessionState = { tokens: null, endedBecause: null };
  #rotation: Promise<AuthTokens> | null = null;
  /** The smallest reuse leeway of the orgs this session entered; null: unknown, so never retry. */
  #leewayMs: number | null = null;
  readonly #listeners = new Set<() => void>();

  constructor(options: SessionOptions) {
    this.#options = { refreshBeforeMs: 30_000, now: () => Date.now(), ...options };
  }

  /** For React's useSyncExternalStore. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  readonly getState = (): SessionState => this.#state;

  /** Opens a new device session (closing this tab's previous one). Raises ApiError (MFA_REQUIRED, ...). */
  async signIn(input: { email: string; password: string; organizationId?: string; mfaCode?: string }): Promise<AuthTokens> {
    const { signIn } = await postOperation(this.#options.url, signInMutation, { ...input, deviceName: this.#options.deviceName });
    const previous = this.#state.tokens;
    this.#leewayMs = null;
    this.#adopt(signIn);
    if (previous) void postOperation(this.#options.url, signOutMutation, {}, previous.accessToken).catch(() => undefined);
    return signIn;
  }

  /**
   * Moves the session into another org. Raises ApiError: MFA_REQUIRED, MFA_ENROLLMENT_REQUIRED,
   * REAUTHENTICATION_REQUIRED (REGULATED, or this session is bound), NOT_FOUND, SessionEndedError. A
   * switch rotates the refresh token, so it takes the refresh lane: a refresh waits for it instead of
   * presenting the token the switch retires ("superseded").
   */
  async switchOrganization(organizationId: string, mfaCode?: string): Promise<AuthTokens> {
    await this.#rotation?.catch(() => undefined);
    const switching = this.#switch(organizationId, mfaCode ?? null);
    // Refreshes waiting behind a refused switch get the unchanged tokens: nothing rotated then.
    void this.#inLane(switching.catch(() => this.#requireTokens()));
    return switching;
  }

  /** Runs in the refresh lane, so it rotates directly: refresh() would wait for this very switch. */
  async #switch(organizationId: string, mfaCode: string | null): Promise<AuthTokens> {
    const send = (tokens: AuthTokens) => postOperation(this.#options.url, switchOrganizationMutation, { organizationId, mfaCode }, tokens.accessToken);
    const tokens = this.#expiresSoon(this.#requireTokens()) ? await this.#rotate() : this.#requireTokens();
    let answer;
    try {
      answer = await send(tokens);
    } catch (err) {
      if (errorCode(err) !== 'UNAUTHENTICATED') throw err;
      answer = await send(await this.#rotate());
    }
    this.#adopt(answer.switchOrganization);
    return answer.switchOrganization;
  }

  async signOut(): Promise<void> {
    const tokens = this.#state.tokens;
    this.#setState({ tokens: null, endedBecause: null });
    if (tokens) await postOperation(this.#options.url, signOutMutation, {}, tokens.accessToken).catch(() => undefined);
  }

  /**
   * Sends an operation with a fresh access token: refreshes first when it expires within
   * refreshBeforeMs, and once more when the API refuses it as UNAUTHENTICATED (a skewed clock, a
   * signing-key change), then sends it again: a refused operation ran nothing. Raises ApiError,
   * SessionEndedError (sign in again), or fetch's TypeError.
   */
  async request<TResult, TVariables>(document: TypedDocumentString<TResult, TVariables>, variables: TVariables): Promise<TResult> {
    const tokens = await this.#freshTokens();
    try {
      return await postOperation(this.#options.url, document, variables, tokens.accessToken);
    } catch (err) {
      if (errorCode(err) !== 'UNAUTHENTICATED') throw err;
      const current = this.#requireTokens();
      const renewed = current.accessToken === tokens.accessToken ? await this.refresh() : current;
      return postOperation(this.#options.url, document, variables, renewed.accessToken);
    }
  }

  /** Rotates the refresh token, sharing the rotation already in flight if there is one. */
  refresh(): Promise<AuthTokens> {
    return this.#rotation ?? this.#inLane(this.#rotate());
  }

  /** Makes `rotation` the one every refresh waits for until it settles. */
  #inLane(rotation: Promise<AuthTokens>): Promise<AuthTokens> {
    this.#rotation = rotation;
    const leave = () => {
      if (this.#rotation === rotation) this.#rotation = null;
    };
    rotation.then(leave, leave);
    return rotation;
  }

  async #freshTokens(): Promise<AuthTokens> {
    const tokens = this.#requireTokens();
    return this.#expiresSoon(tokens) ? this.refresh() : tokens;
  }

  #expiresSoon(tokens: AuthTokens): boolean {
    return Date.parse(tokens.accessTokenExpiresAt) - this.#options.now() < this.#options.refreshBeforeMs;
  }

  async #rotate(): Promise<AuthTokens> {
    const presented = this.#requireTokens().refreshToken;
    const startedAt = this.#options.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const { refreshSession } = await postOperation(this.#options.url, refreshSessionMutation, { refreshToken: presented });
        this.#adopt(refreshSession);
        return refreshSession;
      } catch (err) {
        const code = errorCode(err);
        if (code !== undefined && SESSION_ENDED_CODES.has(code)) throw this.#end(code);
        if (code !== undefined) throw err; // RATE_LIMITED, SERVICE_UNAVAILABLE: nothing rotated, the token stays good
        // The answer was lost: the server may have rotated already. The same token again gets the same
        // successor only within the reuse leeway; after it, it counts as reuse. Past it, give the
        // session up rather than risk signing the user out everywhere.
        if (attempt >= REFRESH_ATTEMPTS || !this.#withinLeeway(startedAt)) throw this.#end('NETWORK_ERROR');
        await new Promise((resolve) => setTimeout(resolve, REFRESH_RETRY_DELAY_MS));
      }
    }
  }

  #withinLeeway(startedAt: number): boolean {
    return this.#leewayMs !== null && this.#options.now() + REFRESH_RETRY_DELAY_MS + LEEWAY_MARGIN_MS - startedAt < this.#leewayMs;
  }

  #adopt(tokens: AuthTokens): void {
    const leeway = tokens.activeOrganization?.policy.refreshReuseLeewaySeconds;
    // Strictest wins, as on the server: the session's leeway is the smallest of the orgs it entered.
    if (leeway !== undefined) this.#leewayMs = Math.min(this.#leewayMs ?? Infinity, leeway * 1000);
    this.#setState({ tokens, endedBecause: null });
  }

  #end(code: string): SessionEndedError {
    this.#setState({ tokens: null, endedBecause: code });
    return new SessionEndedError(code);
  }

  #requireTokens(): AuthTokens {
    const tokens = this.#state.tokens;
    if (!tokens) throw new SessionEndedError('SIGNED_OUT');
    return tokens;
  }

  #setState(state: SessionState): void {
    this.#state = state;
    for (const listener of this.#listeners) listener();
  }
}
