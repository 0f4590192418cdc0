import { useEffect, useState } from 'react';
import type { Session } from '../api/session';
import { beginTotpEnrollmentMutation, confirmTotpEnrollmentMutation } from '../operations';
import { describeError } from './messages';
import type { OrgChoice } from './OrgSwitcher';
import { useSubmit } from './use-submit';

function CodeField() {
  return (
    <label>
      TOTP code
      <input name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required />
    </label>
  );
}

/** The org asks for MFA fresher than this session's (MFA_REQUIRED): one code, then the switch again. */
export function TotpPrompt(props: { org: OrgChoice; onCode: (code: string) => Promise<unknown>; onCancel: () => void }) {
  const { busy, error, onSubmit } = useSubmit((form) => props.onCode(String(form.get('code'))));
  return (
    <form className="card prompt" onSubmit={onSubmit} aria-label="Two-factor code">
      <h2>{props.org.name} needs a two-factor code</h2>
      <p>Enter the current code from your authenticator app.</p>
      <CodeField />
      {error && <p role="alert">{error}</p>}
      <button type="submit" disabled={busy}>
        Verify
      </button>{' '}
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  );
}

/** The org needs MFA and the user has none (MFA_ENROLLMENT_REQUIRED): enroll TOTP, then switch. */
export function EnrollTotpPrompt(props: { session: Session; org: OrgChoice; onEnrolled: () => Promise<unknown>; onCancel: () => void }) {
  const [enrollment, setEnrollment] = useState<{ secret: string; otpauthUri: string } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const { session } = props;
  useEffect(() => {
    // Each call starts over with a new secret: only the latest one may be shown.
    let current = true;
    session.request(beginTotpEnrollmentMutation, {}).then(
      ({ beginTotpEnrollment }) => current && setEnrollment(beginTotpEnrollment),
      (err) => current && setLoadError(describeError(err)),
    );
    return () => {
      current = false;
    };
  }, [session]);
  // Confirming counts as this session's MFA, so the switch that follows needs no code.
  const { busy, error, onSubmit } = useSubmit(async (form) => {
    await session.request(confirmTotpEnrollmentMutation, { code: String(form.get('code')) });
    await props.onEnrolled();
  });
  return (
    <form className="card prompt" onSubmit={onSubmit} aria-label="Set up two-factor authentication">
      <h2>{props.org.name} requires two-factor authentication</h2>
      {enrollment ? (
        <p>
          Add this secret to your authenticator app: <code>{enrollment.secret}</code> (or open <a href={enrollment.otpauthUri}>the otpauth link</a>), then
          enter its first code.
        </p>
      ) : (
        <p>{loadError ?? 'Preparing…'}</p>
      )}
      <CodeField />
      {error && <p role="alert">{error}</p>}
      <button type="submit" disabled={busy || !enrollment}>
        Turn on and continue
      </button>{' '}
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  );
}

/**
 * A session-per-org organization (REGULATED), or leaving a session bound to one
 * (REAUTHENTICATION_REQUIRED): a new sign-in with the password again, and a code where the org asks.
 */
export function ReauthPrompt(props: { org: OrgChoice; onSignIn: (password: string, mfaCode?: string) => Promise<unknown>; onCancel: () => void }) {
  const needsCode = props.org.tier !== 'STANDARD';
  const { busy, error, onSubmit } = useSubmit((form) => props.onSignIn(String(form.get('password')), needsCode ? String(form.get('code')) : undefined));
  return (
    <form className="card prompt" onSubmit={onSubmit} aria-label="Sign in again">
      <h2>Sign in to {props.org.name}</h2>
      <p>This organization needs a sign-in of its own: enter your password again{needsCode ? ' and a two-factor code' : ''}.</p>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {needsCode && <CodeField />}
      {error && <p role="alert">{error}</p>}
      <button type="submit" disabled={busy}>
        Sign in to {props.org.name}
      </button>{' '}
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  );
}
