/** A minimal GraphQL client for seeding and checking benchmark servers (not for the load itself). */
export async function gql<T = any>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length || !body.data) throw new Error(`bench: ${query.slice(0, 60)}… failed (${res.status}): ${JSON.stringify(body.errors)}`);
  return body.data;
}

export const PASSWORD = 'bench password, not a secret';

export interface Session {
  accessToken: string;
  refreshToken: string;
}

export async function signIn(url: string, email: string, organizationId: string | null, deviceName = 'bench'): Promise<Session> {
  const d = await gql<{ signIn: Session }>(
    url,
    `mutation($e: String!, $p: String!, $o: ID, $d: String!) { signIn(email: $e, password: $p, deviceName: $d, organizationId: $o) { accessToken refreshToken } }`,
    { e: email, p: PASSWORD, o: organizationId, d: deviceName },
  );
  return d.signIn;
}
