import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Session } from './api/session';
import { App } from './App';
import './styles.css';

const session = new Session({
  url: import.meta.env.VITE_API_URL ?? 'http://localhost:4000/graphql',
  deviceName: `Web example (${navigator.platform || 'browser'})`,
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App session={session} />
  </StrictMode>,
);
