import { useState, type FormEvent } from 'react';
import type { Session } from '../api/session';
import { describeCode, describeError } from './messages';

export function SignInForm({ session, endedBecause }: { session: Session; endedBecause: string | null }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await session.signIn({ email: String(form.get('email')), password: String(form.get('password')) });
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-label="Sign in">
      <h2>Sign in</h2>
      {endedBecause && <p className="notice">{describeCode(endedBecause)} Sign in again.</p>}
      <label>
        Email
        <input name="email" type="email" autoComplete="username" required />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {error && <p role="alert">{error}</p>}
      <button type="submit" disabled={busy}>
        Sign in
      </button>
    </form>
  );
}
