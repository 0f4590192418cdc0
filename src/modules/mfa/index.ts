/** What the mfa module offers other modules: checking a TOTP code of a user. */
export { checkCode, hasTotp, MFA_MAX_FAILURES, MFA_WINDOW_MS } from './mfa.service.ts';
export { totpCode } from './totp.ts';
