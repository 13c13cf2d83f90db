import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { api } from '../../api/client.ts';
import { useToasts } from '../../app/toasts.tsx';
import { Button } from '../../components/Button.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';

/** POST /users: name, role, team, email and an optional first password (else they sign in through OIDC). */
export function CreateUserForm({ roles, teams }: { roles: string[]; teams: string[] }) {
  const ids = {
    heading: useId(),
    name: useId(),
    role: useId(),
    team: useId(),
    email: useId(),
    password: useId(),
  };
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const text = (key: string) => String(form.get(key) ?? '').trim();
    const body = {
      name: text('name'),
      role: text('role'),
      team: text('team') || null,
      ...(text('email') ? { email: text('email') } : {}),
      ...(form.get('password') ? { password: String(form.get('password')) } : {}),
    };
    setBusy(true);
    setError(undefined);
    try {
      await api('/users', { method: 'POST', body });
      formElement.reset();
      toasts.notify(`Created user ${body.name}`);
      await queryClient.invalidateQueries({ queryKey: ['users'] });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="card form-grid" onSubmit={submit} aria-labelledby={ids.heading}>
      <h2 id={ids.heading}>Create a user</h2>
      <div className="field">
        <label htmlFor={ids.name}>User name</label>
        <input id={ids.name} name="name" required maxLength={64} autoComplete="off" spellCheck={false} />
      </div>
      <div className="field">
        <label htmlFor={ids.role}>Role</label>
        <select
          id={ids.role}
          name="role"
          defaultValue={roles.includes('viewer') ? 'viewer' : roles[0]}
          required
        >
          {roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.team}>Team</label>
        <select id={ids.team} name="team" defaultValue="">
          <option value="">No team</option>
          {teams.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.email}>Email (optional)</label>
        <input id={ids.email} name="email" type="email" autoComplete="off" />
      </div>
      <div className="field">
        <label htmlFor={ids.password}>First password (optional)</label>
        <input id={ids.password} name="password" type="password" autoComplete="new-password" />
      </div>
      {error ? <ErrorPanel title="Could not create the user" error={error} /> : null}
      <div>
        <Button type="submit" variant="primary" busy={busy}>
          Create user
        </Button>
      </div>
    </form>
  );
}
