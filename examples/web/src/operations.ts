import { graphql } from './gql';

// Every operation the client sends. `npm run codegen` types them from ../../schema into src/gql.

export const signInMutation = graphql(`
  mutation SignIn($email: String!, $password: String!, $deviceName: String!, $organizationId: ID, $mfaCode: String) {
    signIn(email: $email, password: $password, deviceName: $deviceName, organizationId: $organizationId, mfaCode: $mfaCode) {
      ...AuthTokens
    }
  }
`);

export const switchOrganizationMutation = graphql(`
  mutation SwitchOrganization($organizationId: ID!, $mfaCode: String) {
    switchOrganization(organizationId: $organizationId, mfaCode: $mfaCode) {
      ...AuthTokens
    }
  }
`);

export const refreshSessionMutation = graphql(`
  mutation RefreshSession($refreshToken: String!) {
    refreshSession(refreshToken: $refreshToken) {
      ...AuthTokens
    }
  }
`);

// Spread into the three operations that open or move a session (codegen inlines it into each).
const authTokensFragment = graphql(`
  fragment AuthTokens on AuthPayload {
    accessToken
    accessTokenExpiresAt
    refreshToken
    refreshTokenExpiresAt
    session { id boundOrganization { id } }
    activeOrganization { id name tier policy { refreshReuseLeewaySeconds } }
  }
`);

export const signOutMutation = graphql(`
  mutation SignOut {
    signOut
  }
`);

export const viewerQuery = graphql(`
  query Viewer {
    viewer {
      user { id email displayName mfaEnabled }
      activeOrganization { id name tier }
      memberships { role organization { id name tier } }
    }
  }
`);

export const projectsQuery = graphql(`
  query Projects($first: Int!) {
    projects(first: $first) {
      edges { node { id name createdAt } }
      pageInfo { hasNextPage }
    }
  }
`);

export const createProjectMutation = graphql(`
  mutation CreateProject($name: String!) {
    createProject(name: $name) { id name createdAt }
  }
`);

export const beginTotpEnrollmentMutation = graphql(`
  mutation BeginTotpEnrollment {
    beginTotpEnrollment { secret otpauthUri }
  }
`);

export const confirmTotpEnrollmentMutation = graphql(`
  mutation ConfirmTotpEnrollment($code: String!) {
    confirmTotpEnrollment(code: $code) { id mfaEnabled }
  }
`);
void authTokensFragment;
