import { useEffect, useState } from 'react';
import { errorCode, SessionEndedError } from '../api/errors';
import type { AuthTokens, Session } from '../api/session';
import type { ViewerQuery } from '../gql/graphql';
import { viewerQuery } from '../operations';
import { describeError } from './messages';
import { OrgSwitcher, type OrgChoice } from './OrgSwitcher';
import { Projects } from './Projects';
import { EnrollTotpPrompt, ReauthPrompt, TotpPrompt } from './prompts';

type Viewer = ViewerQuery['viewer'];

/** What entering an org still needs from the user, from the code the switch answered. */
type Pending = { need: 'totp' | 'enroll' | 'reauth'; org: OrgChoice };

const NEEDS: Readonly<Record<string, Pending['need']>> = {
  MFA_REQUIRED: 'totp',
  MFA_ENROLLMENT_REQUIRED: 'enroll',
  REAUTHENTICATION_REQUIRED: 'reauth',
};

export function Workspace({ session, tokens }: { session: Session; tokens: AuthTokens }) {
  const [viewer, setViewer] = useState<Viewer | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [error, setError] = useState<string | null>(null);
  const active = tokens.activeOrganization;

  useEffect(() => {
    let current = true;
    session.request(viewerQuery, {}).then(
      ({ viewer }) => current && setViewer(viewer),
      (err) => current && !(err instanceof SessionEndedError) && setError(describeError(err)),
    );
    return () => {
      current = false;
    };
  }, [session, tokens.session.id, active?.id]);

  async function enter(org: OrgChoice) {
    setError(null);
    setPending(null);
    try {
      await session.switchOrganization(org.id);
    } catch (err) {
      const need = NEEDS[errorCode(err) ?? ''];
      if (need) setPending({ need, org });
      else if (!(err instanceof SessionEndedError)) setError(describeError(err));
    }
  }

  const done = () => setPending(null);
  return (
    <>
      <header className="bar">
        <span>
          Signed in as <strong>{viewer?.user.email ?? '…'}</strong>
        </span>
        <span data-testid="active-org">
          {active ? (
            <>
              Active organization: <strong>{active.name}</strong> <span className={`tier ${active.tier}`}>{active.tier}</span>
            </>
          ) : (
            'No active organization'
          )}
        </span>
        <button type="button" onClick={() => void session.signOut()}>
          Sign out
        </button>
      </header>
      {error && <p role="alert">{error}</p>}
      <div className="columns">
        <OrgSwitcher memberships={viewer?.memberships ?? []} activeId={active?.id ?? null} onChoose={enter} />
        <section>
          {pending?.need === 'totp' && (
            <TotpPrompt org={pending.org} onCancel={done} onCode={(code) => session.switchOrganization(pending.org.id, code).then(done)} />
          )}
          {pending?.need === 'enroll' && <EnrollTotpPrompt session={session} org={pending.org} onCancel={done} onEnrolled={() => enter(pending.org)} />}
          {pending?.need === 'reauth' && viewer && (
            <ReauthPrompt org={pending.org} onCancel={done} onSignIn={(password, mfaCode) => session.signIn({ email: viewer.user.email, password, organizationId: pending.org.id, mfaCode }).then(done)} />
          )}
          {active ? <Projects key={active.id} session={session} orgName={active.name} /> : <p>Choose an organization to see its projects.</p>}
        </section>
      </div>
    </>
  );
}
