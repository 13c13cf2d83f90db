import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { api } from '../api/client.ts';
import { Button } from '../components/Button.tsx';
import { ErrorPanel } from '../components/ErrorPanel.tsx';
import { useAuthState } from './auth.tsx';

interface Providers {
  password: boolean;
  oidc: boolean;
}

/**
 * Sign in with an API token or a user name and password. The credential goes once to POST /auth/session, which
 * answers with an HttpOnly cookie: the console never stores it.
 */
export function SignInPage() {
  const auth = useAuthState();
  const [mode, setMode] = useState<'password' | 'token'>('password');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const ids = { user: useId(), password: useId(), token: useId() };
  // Which sign-in methods this factory offers; an older factory without the endpoint offers the two basic ones.
  const providers = useQuery({
    queryKey: ['auth', 'providers'],
    queryFn: () => api<Providers>('/auth/providers'),
    retry: false,
    staleTime: Number.POSITIVE_INFINITY,
  });

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const credentials =
      mode === 'token'
        ? { token: String(form.get('token') ?? '').trim() }
        : { user: String(form.get('user') ?? '').trim(), password: String(form.get('password') ?? '') };
    setBusy(true);
    setError(undefined);
    try {
      await auth.signIn(credentials);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <h1>Sign in to MCP Factory</h1>
        {auth.problem ? (
          <ErrorPanel title="The factory could not check your session" error={auth.problem} />
        ) : null}
        <fieldset className="segmented">
          <legend className="visually-hidden">Sign-in method</legend>
          <button type="button" aria-pressed={mode === 'password'} onClick={() => setMode('password')}>
            User and password
          </button>
          <button type="button" aria-pressed={mode === 'token'} onClick={() => setMode('token')}>
            API token
          </button>
        </fieldset>
        <form onSubmit={submit} className="stack">
          {mode === 'password' ? (
            <>
              <div className="field">
                <label htmlFor={ids.user}>User name</label>
                <input id={ids.user} name="user" autoComplete="username" required spellCheck={false} />
              </div>
              <div className="field">
                <label htmlFor={ids.password}>Password</label>
                <input
                  id={ids.password}
                  name="password"
                  type="password"
                  autoComplete="current-password"
                  required
                />
              </div>
            </>
          ) : (
            <div className="field">
              <label htmlFor={ids.token}>API token</label>
              <input
                id={ids.token}
                name="token"
                type="password"
                autoComplete="off"
                spellCheck={false}
                required
                aria-describedby={`${ids.token}-help`}
              />
              <p id={`${ids.token}-help`} className="help">
                Made with <code>mcp-factory token create NAME</code> or on the Tokens page. It is sent once
                and kept in a secure cookie, never in the page.
              </p>
            </div>
          )}
          {error ? <ErrorPanel title="Sign-in failed" error={error} /> : null}
          <Button type="submit" variant="primary" busy={busy}>
            Sign in
          </Button>
        </form>
        {providers.data?.oidc ? (
          <p className="signin-sso">
            <a className="btn btn-secondary" href="/auth/oidc/start?console=1">
              Sign in with single sign-on
            </a>
          </p>
        ) : null}
      </div>
    </main>
  );
}
