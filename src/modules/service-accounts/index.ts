/** What the service-accounts module offers: the client credentials grant, for POST /oauth/token. */
export { clientCredentialsGrant, OAuthError, type ClientCredentialsGrant } from './client-credentials.ts';
export { SECRET_ROTATION_GRACE_SECONDS } from './accounts.ts';
