import { useState, type FormEvent } from 'react';
import { SessionEndedError } from '../api/errors';
import { describeError } from './messages';

/** Form submission state: runs `action` with the form's fields, keeps `busy` and a user-facing `error`. */
export function useSubmit(action: (form: FormData) => Promise<unknown>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    setBusy(true);
    setError(null);
    try {
      await action(new FormData(formElement));
      formElement.reset();
    } catch (err) {
      // A session that ended has already sent the app back to the sign-in screen.
      if (!(err instanceof SessionEndedError)) setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, onSubmit };
}
