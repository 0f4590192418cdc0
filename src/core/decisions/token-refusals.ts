/**
 * Why a token was refused, for logs and tests only: the client hears one answer (UNAUTHENTICATED,
 * SESSION_REVOKED or SESSION_EXPIRED, one message each), so a forger learns nothing from it, while
 * an operator reading the request's log line (`refusal`) and a test can tell the cases apart.
 */
export const TOKEN_REFUSALS = [
  // verification (platform/tokens/verify-access-token.ts)
  'malformed',
  'forbidden_header',
  'unknown_key',
  'algorithm',
  'signature',
  'claims',
  'expired',
  'issued_in_future',
  'dedicated_key_of_other_org',
  'signed_after_key_retired',
  // the scope decision (decideScope, decideServiceScope)
  'session_missing',
  'session_of_other_user',
  'session_revoked',
  'session_expired',
  'bound_to_other_org',
  'key_of_other_org',
  'org_needs_its_dedicated_key',
  'service_client_mismatch',
  'service_account_missing',
  'service_account_revoked',
  'service_org_missing',
] as const;
export type TokenRefusal = (typeof TOKEN_REFUSALS)[number];
