import { errorFromResponse, OrgboundError, type GraphqlError } from '../errors.ts';

/*
 * Private to the client: posting an operation, one renewal in flight, and the retry after
 * UNAUTHENTICATED that both clients share.
 */

export type Fetch = typeof fetch;

/** Posts one operation. Raises OrgboundError (SessionEndedError for a session-ending code). */
export async function postGraphql<T>(fetchImpl: Fetch, url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const res = await fetchImpl(url, {
    method: 'POST',
    // application/json is what makes the request non-simple, so Apollo's CSRF prevention lets it through.
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json().catch(() => null)) as { data?: T; errors?: GraphqlError[] } | null;
  if (!body) throw new OrgboundError(`orgbound: HTTP ${res.status} without a GraphQL answer`, undefined);
  if (body.errors?.length || body.data == null) throw errorFromResponse(body.errors ?? [], res.status);
  return body.data;
}

/** Where an access token comes from: a device session (refresh) or a service account (client credentials). */
export interface Credential {
  /** A token that is not about to expire, renewing first when it is. */
  token(): Promise<string>;
  /** A token other than `stale`: renews unless that already happened (one renewal in flight). */
  renew(stale: string): Promise<string>;
}

/** Runs `task` unless it is already running, in which case every caller shares its promise. */
export function singleFlight<T>(task: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () =>
    (running ??= task().finally(() => {
      running = null;
    }));
}

/**
 * Sends an operation with the credential's token. On UNAUTHENTICATED (the token expired early, a
 * signing key changed, the local clock runs behind) it renews once and retries once. That is safe
 * for mutations as well: an operation refused as UNAUTHENTICATED ran no resolver and wrote nothing.
 */
export async function sendWithCredential<T>(fetchImpl: Fetch, url: string, credential: Credential, query: string, variables: Record<string, unknown>): Promise<T> {
  const token = await credential.token();
  try {
    return await postGraphql<T>(fetchImpl, url, query, variables, token);
  } catch (err) {
    if (!(err instanceof OrgboundError) || err.code !== 'UNAUTHENTICATED') throw err;
  }
  return postGraphql<T>(fetchImpl, url, query, variables, await credential.renew(token));
}
