/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type Role =
  | 'ADMIN'
  | 'MEMBER'
  | 'OWNER';

export type SensitivityTier =
  | 'CONFIDENTIAL'
  | 'REGULATED'
  | 'STANDARD';

export type SignInMutationVariables = Exact<{
  email: string;
  password: string;
  deviceName: string;
  organizationId?: string | number | null | undefined;
  mfaCode?: string | null | undefined;
}>;


export type SignInMutation = { signIn: { accessToken: string, accessTokenExpiresAt: string, refreshToken: string, refreshTokenExpiresAt: string, session: { id: string, boundOrganization: { id: string } | null }, activeOrganization: { id: string, name: string, tier: SensitivityTier, policy: { refreshReuseLeewaySeconds: number } } | null } };

export type SwitchOrganizationMutationVariables = Exact<{
  organizationId: string | number;
  mfaCode?: string | null | undefined;
}>;


export type SwitchOrganizationMutation = { switchOrganization: { accessToken: string, accessTokenExpiresAt: string, refreshToken: string, refreshTokenExpiresAt: string, session: { id: string, boundOrganization: { id: string } | null }, activeOrganization: { id: string, name: string, tier: SensitivityTier, policy: { refreshReuseLeewaySeconds: number } } | null } };

export type RefreshSessionMutationVariables = Exact<{
  refreshToken: string;
}>;


export type RefreshSessionMutation = { refreshSession: { accessToken: string, accessTokenExpiresAt: string, refreshToken: string, refreshTokenExpiresAt: string, session: { id: string, boundOrganization: { id: string } | null }, activeOrganization: { id: string, name: string, tier: SensitivityTier, policy: { refreshReuseLeewaySeconds: number } } | null } };

export type AuthTokensFragment = { accessToken: string, accessTokenExpiresAt: string, refreshToken: string, refreshTokenExpiresAt: string, session: { id: string, boundOrganization: { id: string } | null }, activeOrganization: { id: string, name: string, tier: SensitivityTier, policy: { refreshReuseLeewaySeconds: number } } | null };

export type SignOutMutationVariables = Exact<{ [key: string]: never; }>;


export type SignOutMutation = { signOut: boolean };

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { viewer: { user: { id: string, email: string, displayName: string | null, mfaEnabled: boolean }, activeOrganization: { id: string, name: string, tier: SensitivityTier } | null, memberships: Array<{ role: Role, organization: { id: string, name: string, tier: SensitivityTier } }> } };

export type ProjectsQueryVariables = Exact<{
  first: number;
}>;


export type ProjectsQuery = { projects: { edges: Array<{ node: { id: string, name: string, createdAt: string } }>, pageInfo: { hasNextPage: boolean } } };

export type CreateProjectMutationVariables = Exact<{
  name: string;
}>;


export type CreateProjectMutation = { createProject: { id: string, name: string, createdAt: string } };

export type BeginTotpEnrollmentMutationVariables = Exact<{ [key: string]: never; }>;


export type BeginTotpEnrollmentMutation = { beginTotpEnrollment: { secret: string, otpauthUri: string } };

export type ConfirmTotpEnrollmentMutationVariables = Exact<{
  code: string;
}>;


export type ConfirmTotpEnrollmentMutation = { confirmTotpEnrollment: { id: string, mfaEnabled: boolean } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const AuthTokensFragmentDoc = new TypedDocumentString(`
    fragment AuthTokens on AuthPayload {
  accessToken
  accessTokenExpiresAt
  refreshToken
  refreshTokenExpiresAt
  session {
    id
    boundOrganization {
      id
    }
  }
  activeOrganization {
    id
    name
    tier
    policy {
      refreshReuseLeewaySeconds
    }
  }
}
    `, {"fragmentName":"AuthTokens"}) as unknown as TypedDocumentString<AuthTokensFragment, unknown>;
export const SignInDocument = new TypedDocumentString(`
    mutation SignIn($email: String!, $password: String!, $deviceName: String!, $organizationId: ID, $mfaCode: String) {
  signIn(
    email: $email
    password: $password
    deviceName: $deviceName
    organizationId: $organizationId
    mfaCode: $mfaCode
  ) {
    ...AuthTokens
  }
}
    fragment AuthTokens on AuthPayload {
  accessToken
  accessTokenExpiresAt
  refreshToken
  refreshTokenExpiresAt
  session {
    id
    boundOrganization {
      id
    }
  }
  activeOrganization {
    id
    name
    tier
    policy {
      refreshReuseLeewaySeconds
    }
  }
}`) as unknown as TypedDocumentString<SignInMutation, SignInMutationVariables>;
export const SwitchOrganizationDocument = new TypedDocumentString(`
    mutation SwitchOrganization($organizationId: ID!, $mfaCode: String) {
  switchOrganization(organizationId: $organizationId, mfaCode: $mfaCode) {
    ...AuthTokens
  }
}
    fragment AuthTokens on AuthPayload {
  accessToken
  accessTokenExpiresAt
  refreshToken
  refreshTokenExpiresAt
  session {
    id
    boundOrganization {
      id
    }
  }
  activeOrganization {
    id
    name
    tier
    policy {
      refreshReuseLeewaySeconds
    }
  }
}`) as unknown as TypedDocumentString<SwitchOrganizationMutation, SwitchOrganizationMutationVariables>;
export const RefreshSessionDocument = new TypedDocumentString(`
    mutation RefreshSession($refreshToken: String!) {
  refreshSession(refreshToken: $refreshToken) {
    ...AuthTokens
  }
}
    fragment AuthTokens on AuthPayload {
  accessToken
  accessTokenExpiresAt
  refreshToken
  refreshTokenExpiresAt
  session {
    id
    boundOrganization {
      id
    }
  }
  activeOrganization {
    id
    name
    tier
    policy {
      refreshReuseLeewaySeconds
    }
  }
}`) as unknown as TypedDocumentString<RefreshSessionMutation, RefreshSessionMutationVariables>;
export const SignOutDocument = new TypedDocumentString(`
    mutation SignOut {
  signOut
}
    `) as unknown as TypedDocumentString<SignOutMutation, SignOutMutationVariables>;
export const ViewerDocument = new TypedDocumentString(`
    query Viewer {
  viewer {
    user {
      id
      email
      displayName
      mfaEnabled
    }
    activeOrganization {
      id
      name
      tier
    }
    memberships {
      role
      organization {
        id
        name
        tier
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ViewerQuery, ViewerQueryVariables>;
export const ProjectsDocument = new TypedDocumentString(`
    query Projects($first: Int!) {
  projects(first: $first) {
    edges {
      node {
        id
        name
        createdAt
      }
    }
    pageInfo {
      hasNextPage
    }
  }
}
    `) as unknown as TypedDocumentString<ProjectsQuery, ProjectsQueryVariables>;
export const CreateProjectDocument = new TypedDocumentString(`
    mutation CreateProject($name: String!) {
  createProject(name: $name) {
    id
    name
    createdAt
  }
}
    `) as unknown as TypedDocumentString<CreateProjectMutation, CreateProjectMutationVariables>;
export const BeginTotpEnrollmentDocument = new TypedDocumentString(`
    mutation BeginTotpEnrollment {
  beginTotpEnrollment {
    secret
    otpauthUri
  }
}
    `) as unknown as TypedDocumentString<BeginTotpEnrollmentMutation, BeginTotpEnrollmentMutationVariables>;
export const ConfirmTotpEnrollmentDocument = new TypedDocumentString(`
    mutation ConfirmTotpEnrollment($code: String!) {
  confirmTotpEnrollment(code: $code) {
    id
    mfaEnabled
  }
}
    `) as unknown as TypedDocumentString<ConfirmTotpEnrollmentMutation, ConfirmTotpEnrollmentMutationVariables>;