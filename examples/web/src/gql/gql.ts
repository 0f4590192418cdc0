/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation SignIn($email: String!, $password: String!, $deviceName: String!, $organizationId: ID, $mfaCode: String) {\n    signIn(email: $email, password: $password, deviceName: $deviceName, organizationId: $organizationId, mfaCode: $mfaCode) {\n      ...AuthTokens\n    }\n  }\n": typeof types.SignInDocument,
    "\n  mutation SwitchOrganization($organizationId: ID!, $mfaCode: String) {\n    switchOrganization(organizationId: $organizationId, mfaCode: $mfaCode) {\n      ...AuthTokens\n    }\n  }\n": typeof types.SwitchOrganizationDocument,
    "\n  mutation RefreshSession($refreshToken: String!) {\n    refreshSession(refreshToken: $refreshToken) {\n      ...AuthTokens\n    }\n  }\n": typeof types.RefreshSessionDocument,
    "\n  fragment AuthTokens on AuthPayload {\n    accessToken\n    accessTokenExpiresAt\n    refreshToken\n    refreshTokenExpiresAt\n    session { id boundOrganization { id } }\n    activeOrganization { id name tier policy { refreshReuseLeewaySeconds } }\n  }\n": typeof types.AuthTokensFragmentDoc,
    "\n  mutation SignOut {\n    signOut\n  }\n": typeof types.SignOutDocument,
    "\n  query Viewer {\n    viewer {\n      user { id email displayName mfaEnabled }\n      activeOrganization { id name tier }\n      memberships { role organization { id name tier } }\n    }\n  }\n": typeof types.ViewerDocument,
    "\n  query Projects($first: Int!) {\n    projects(first: $first) {\n      edges { node { id name createdAt } }\n      pageInfo { hasNextPage }\n    }\n  }\n": typeof types.ProjectsDocument,
    "\n  mutation CreateProject($name: String!) {\n    createProject(name: $name) { id name createdAt }\n  }\n": typeof types.CreateProjectDocument,
    "\n  mutation BeginTotpEnrollment {\n    beginTotpEnrollment { secret otpauthUri }\n  }\n": typeof types.BeginTotpEnrollmentDocument,
    "\n  mutation ConfirmTotpEnrollment($code: String!) {\n    confirmTotpEnrollment(code: $code) { id mfaEnabled }\n  }\n": typeof types.ConfirmTotpEnrollmentDocument,
};
const documents: Documents = {
    "\n  mutation SignIn($email: String!, $password: String!, $deviceName: String!, $organizationId: ID, $mfaCode: String) {\n    signIn(email: $email, password: $password, deviceName: $deviceName, organizationId: $organizationId, mfaCode: $mfaCode) {\n      ...AuthTokens\n    }\n  }\n": types.SignInDocument,
    "\n  mutation SwitchOrganization($organizationId: ID!, $mfaCode: String) {\n    switchOrganization(organizationId: $organizationId, mfaCode: $mfaCode) {\n      ...AuthTokens\n    }\n  }\n": types.SwitchOrganizationDocument,
    "\n  mutation RefreshSession($refreshToken: String!) {\n    refreshSession(refreshToken: $refreshToken) {\n      ...AuthTokens\n    }\n  }\n": types.RefreshSessionDocument,
    "\n  fragment AuthTokens on AuthPayload {\n    accessToken\n    accessTokenExpiresAt\n    refreshToken\n    refreshTokenExpiresAt\n    session { id boundOrganization { id } }\n    activeOrganization { id name tier policy { refreshReuseLeewaySeconds } }\n  }\n": types.AuthTokensFragmentDoc,
    "\n  mutation SignOut {\n    signOut\n  }\n": types.SignOutDocument,
    "\n  query Viewer {\n    viewer {\n      user { id email displayName mfaEnabled }\n      activeOrganization { id name tier }\n      memberships { role organization { id name tier } }\n    }\n  }\n": types.ViewerDocument,
    "\n  query Projects($first: Int!) {\n    projects(first: $first) {\n      edges { node { id name createdAt } }\n      pageInfo { hasNextPage }\n    }\n  }\n": types.ProjectsDocument,
    "\n  mutation CreateProject($name: String!) {\n    createProject(name: $name) { id name createdAt }\n  }\n": types.CreateProjectDocument,
    "\n  mutation BeginTotpEnrollment {\n    beginTotpEnrollment { secret otpauthUri }\n  }\n": types.BeginTotpEnrollmentDocument,
    "\n  mutation ConfirmTotpEnrollment($code: String!) {\n    confirmTotpEnrollment(code: $code) { id mfaEnabled }\n  }\n": types.ConfirmTotpEnrollmentDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignIn($email: String!, $password: String!, $deviceName: String!, $organizationId: ID, $mfaCode: String) {\n    signIn(email: $email, password: $password, deviceName: $deviceName, organizationId: $organizationId, mfaCode: $mfaCode) {\n      ...AuthTokens\n    }\n  }\n"): typeof import('./graphql').SignInDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SwitchOrganization($organizationId: ID!, $mfaCode: String) {\n    switchOrganization(organizationId: $organizationId, mfaCode: $mfaCode) {\n      ...AuthTokens\n    }\n  }\n"): typeof import('./graphql').SwitchOrganizationDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RefreshSession($refreshToken: String!) {\n    refreshSession(refreshToken: $refreshToken) {\n      ...AuthTokens\n    }\n  }\n"): typeof import('./graphql').RefreshSessionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AuthTokens on AuthPayload {\n    accessToken\n    accessTokenExpiresAt\n    refreshToken\n    refreshTokenExpiresAt\n    session { id boundOrganization { id } }\n    activeOrganization { id name tier policy { refreshReuseLeewaySeconds } }\n  }\n"): typeof import('./graphql').AuthTokensFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignOut {\n    signOut\n  }\n"): typeof import('./graphql').SignOutDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    viewer {\n      user { id email displayName mfaEnabled }\n      activeOrganization { id name tier }\n      memberships { role organization { id name tier } }\n    }\n  }\n"): typeof import('./graphql').ViewerDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Projects($first: Int!) {\n    projects(first: $first) {\n      edges { node { id name createdAt } }\n      pageInfo { hasNextPage }\n    }\n  }\n"): typeof import('./graphql').ProjectsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateProject($name: String!) {\n    createProject(name: $name) { id name createdAt }\n  }\n"): typeof import('./graphql').CreateProjectDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BeginTotpEnrollment {\n    beginTotpEnrollment { secret otpauthUri }\n  }\n"): typeof import('./graphql').BeginTotpEnrollmentDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConfirmTotpEnrollment($code: String!) {\n    confirmTotpEnrollment(code: $code) { id mfaEnabled }\n  }\n"): typeof import('./graphql').ConfirmTotpEnrollmentDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
