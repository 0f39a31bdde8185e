/**
 * Sign-in: the user's team API key, checked with `GET /team` before it is kept (in sessionStorage: it leaves when
 * the tab closes, and no cookie carries it to the gateway on its own).
 */
import { useState } from 'preact/hooks';
import { call, storeKey, type Team } from '../api';
import { ErrorMessage, Field, Page } from '../components';
import { navigate } from '../router';

export function SignInPage({ next, onSignedIn }: { next: string; onSignedIn: (team: Team) => void }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const key = (form.elements.namedItem('key') as HTMLInputElement).value.trim();
    if (key === '') {
      setError(new Error('Enter your API key.'));
      return;
    }
    setBusy(true);
    try {
      const team = (await call<Team>('GET', '/team', undefined, key)).data;
      storeKey(key);
      onSignedIn(team);
      navigate(next.startsWith('/') && next !== '/signin' ? next : '/overview', { replace: true });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="signin">
      <Page title="Sign in to Sluice">
        <form onSubmit={(e) => void submit(e)} class="card" aria-describedby="signin-help">
          <p id="signin-help">
            Use your team's API key (it was printed when the gateway first started, or set with <code>SLUICE_API_KEY</code>). It is kept in
            this tab only.
          </p>
          <Field label="API key" name="key" type="password" autoComplete="current-password" required />
          <ErrorMessage error={error} />
          <button type="submit" class="button-primary" disabled={busy}>
            {busy ? 'Checking…' : 'Sign in'}
          </button>
        </form>
      </Page>
    </div>
  );
}
