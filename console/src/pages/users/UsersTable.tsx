import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { api } from '../../api/client.ts';
import type { User } from '../../api/types.ts';
import { useToasts } from '../../app/toasts.tsx';
import { Badge } from '../../components/Badge.tsx';
import { Button } from '../../components/Button.tsx';
import { type Column, DataTable } from '../../components/DataTable.tsx';
import { ConfirmDialog, Dialog } from '../../components/Dialog.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { TimeAgo } from '../../components/TimeAgo.tsx';

const USERS_KEY = ['users'] as const;

export function UsersTable({
  users,
  roles,
  teams,
  manage,
  self,
}: {
  users: User[];
  roles: string[];
  teams: string[];
  manage: boolean;
  self?: string | undefined;
}) {
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<User>();
  const [disabling, setDisabling] = useState<User>();
  const change = useMutation({
    mutationFn: ({ name, body }: { name: string; body: Record<string, unknown> }) =>
      api<User>(`/users/${encodeURIComponent(name)}`, { method: 'POST', body }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: USERS_KEY }),
  });

  const columns: Array<Column<User>> = [
    {
      key: 'name',
      header: 'Name',
      sortValue: (u) => u.name,
      render: (u) => (
        <>
          {u.name} {u.name === self ? <span className="muted">(you)</span> : null}
        </>
      ),
    },
    { key: 'role', header: 'Role', sortValue: (u) => u.role, render: (u) => u.role },
    {
      key: 'team',
      header: 'Team',
      sortValue: (u) => u.team ?? undefined,
      render: (u) => u.team ?? <span className="muted">all</span>,
    },
    { key: 'email', header: 'Email', render: (u) => u.email ?? '—' },
    {
      key: 'state',
      header: 'State',
      sortValue: (u) => (u.disabled ? 1 : 0),
      render: (u) => (u.disabled ? <Badge tone="bad">disabled</Badge> : <Badge tone="ok">active</Badge>),
    },
    {
      key: 'created',
      header: 'Created',
      sortValue: (u) => u.createdAt,
      render: (u) => <TimeAgo at={u.createdAt} />,
    },
  ];
  if (manage)
    columns.push({
      key: 'actions',
      header: 'Actions',
      render: (u) => (
        <div className="actions">
          <Button onClick={() => setEditing(u)} aria-label={`Edit ${u.name}`}>
            Edit
          </Button>
          {u.disabled ? (
            <Button
              aria-label={`Enable ${u.name}`}
              onClick={() =>
                change.mutate(
                  { name: u.name, body: { disabled: false } },
                  {
                    onSuccess: () => toasts.notify(`Enabled ${u.name}`),
                    onError: (error) => toasts.fail(`Could not enable ${u.name}`, error),
                  },
                )
              }
            >
              Enable
            </Button>
          ) : (
            <Button
              variant="danger"
              aria-label={`Disable ${u.name}`}
              disabled={u.name === self}
              onClick={() => setDisabling(u)}
            >
              Disable
            </Button>
          )}
        </div>
      ),
    });

  return (
    <>
      <DataTable
        caption="Users"
        columns={columns}
        rows={users}
        rowKey={(u) => u.name}
        initialSort={{ key: 'name', direction: 'ascending' }}
      />
      {editing ? (
        <EditUserDialog
          user={editing}
          roles={roles}
          teams={teams}
          onClose={() => setEditing(undefined)}
          onSave={async (body) => {
            await change.mutateAsync({ name: editing.name, body });
            toasts.notify(`Updated ${editing.name}`);
            setEditing(undefined);
          }}
        />
      ) : null}
      <ConfirmDialog
        open={disabling !== undefined}
        onOpenChange={(open) => {
          if (!open) setDisabling(undefined);
        }}
        title={`Disable ${disabling?.name}?`}
        description="Their sessions and personal tokens stop working at once. Their history is kept and they can be enabled again."
        confirmLabel="Disable user"
        onConfirm={async () => {
          if (!disabling) return;
          try {
            await api(`/users/${encodeURIComponent(disabling.name)}`, { method: 'DELETE' });
            toasts.notify(`Disabled ${disabling.name}`);
          } catch (error) {
            toasts.fail(`Could not disable ${disabling.name}`, error);
          } finally {
            void queryClient.invalidateQueries({ queryKey: USERS_KEY });
          }
        }}
      />
    </>
  );
}

function EditUserDialog({
  user,
  roles,
  teams,
  onClose,
  onSave,
}: {
  user: User;
  roles: string[];
  teams: string[];
  onClose(): void;
  onSave(body: Record<string, unknown>): Promise<void>;
}) {
  const ids = { role: useId(), team: useId(), email: useId() };
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const role = String(form.get('role'));
    const team = String(form.get('team') ?? '');
    const email = String(form.get('email') ?? '').trim();
    // Only what changed is sent, so the audit entry names exactly the change.
    const body: Record<string, unknown> = {};
    if (role !== user.role) body.role = role;
    if ((team || null) !== user.team) body.team = team || null;
    if ((email || null) !== (user.email ?? null)) body.email = email || null;
    if (Object.keys(body).length === 0) return onClose();
    setBusy(true);
    try {
      await onSave(body);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Dialog open onOpenChange={(open) => !open && onClose()} title={`Edit ${user.name}`}>
      <form onSubmit={submit} className="stack">
        <div className="field">
          <label htmlFor={ids.role}>Role</label>
          <select id={ids.role} name="role" defaultValue={user.role}>
            {(roles.includes(user.role) ? roles : [user.role, ...roles]).map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.team}>Team</label>
          <select id={ids.team} name="team" defaultValue={user.team ?? ''}>
            <option value="">No team (all servers the role reaches)</option>
            {(user.team && !teams.includes(user.team) ? [user.team, ...teams] : teams).map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.email}>Email</label>
          <input id={ids.email} name="email" type="email" defaultValue={user.email ?? ''} />
        </div>
        {error ? <ErrorPanel title="Could not save" error={error} /> : null}
        <div className="dialog-actions">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={busy}>
            Save
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
