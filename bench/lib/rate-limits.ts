/** Rate limits far above what a benchmark sends: their SQL still runs on every attempt, they are never hit. */
export const BENCH_RATE_LIMITS: Readonly<Record<string, string>> = {
  RATE_LIMIT_SIGN_IN_PER_EMAIL: '1000000/60',
  RATE_LIMIT_SIGN_IN_PER_ADDRESS: '1000000/60',
  RATE_LIMIT_MFA_PER_ADDRESS: '1000000/60',
  RATE_LIMIT_REFRESH_PER_SESSION: '1000000/60',
  RATE_LIMIT_REFRESH_PER_ADDRESS: '1000000/60',
  RATE_LIMIT_TOKEN_PER_CLIENT: '1000000/60',
};
