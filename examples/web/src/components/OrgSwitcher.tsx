import type { ViewerQuery } from '../gql/graphql';

export type OrgChoice = ViewerQuery['viewer']['memberships'][number]['organization'];

export function OrgSwitcher(props: { memberships: ViewerQuery['viewer']['memberships']; activeId: string | null; onChoose: (org: OrgChoice) => void }) {
  return (
    <nav aria-label="Organizations" className="card">
      <h2>Organizations</h2>
      <ul>
        {props.memberships.map(({ organization: org, role }) => (
          <li key={org.id}>
            <button type="button" aria-pressed={org.id === props.activeId} onClick={() => props.onChoose(org)}>
              {org.name}
            </button>{' '}
            <span className={`tier ${org.tier}`}>{org.tier}</span> <small>{role}</small>
          </li>
        ))}
      </ul>
    </nav>
  );
}
