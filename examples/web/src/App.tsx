import { useSyncExternalStore } from 'react';
import type { Session } from './api/session';
import { SignInForm } from './components/SignInForm';
import { Workspace } from './components/Workspace';

export function App({ session }: { session: Session }) {
  const { tokens, endedBecause } = useSyncExternalStore(session.subscribe, session.getState);
  return (
    <main>
      <h1>orgbound</h1>
      {tokens ? <Workspace session={session} tokens={tokens} /> : <SignInForm session={session} endedBecause={endedBecause} />}
    </main>
  );
}
