import { type UseQueryResult, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { api } from '../../api/client.ts';
import type { Team } from '../../api/types.ts';
import { useToasts } from '../../app/toasts.tsx';
import { Button } from '../../components/Button.tsx';
import { type Column, DataTable } from '../../components/DataTable.tsx';
import { ConfirmDialog } from '../../components/Dialog.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';

const TEAMS_KEY = ['teams'] as const;

/** Teams (tenants) with their user and server counts; teams.manage creates and deletes empty ones. */
export function TeamsSection({
  teams,
  manage,
}: {
  teams: UseQueryResult<{ teams: Team[] }>;
  manage: boolean;
}) {
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const ids = { heading: useId(), name: useId() };
  const [deleting, setDeleting] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const name = String(new FormData(formElement).get('name') ?? '').trim();
    setBusy(true);
    setError(undefined);
    try {
      await api('/teams', { method: 'POST', body: { name } });
      formElement.reset();
      toasts.notify(`Created team ${name}`);
      await queryClient.invalidateQueries({ queryKey: TEAMS_KEY });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  const columns: Array<Column<Team>> = [
    { key: 'name', header: 'Team', sortValue: (t) => t.name, render: (t) => t.name },
    {
      key: 'users',
      header: 'Users',
      className: 'num',
      sortValue: (t) => t.users,
      render: (t) => t.users ?? '—',
    },
    {
      key: 'servers',
      header: 'Servers',
      className: 'num',
      sortValue: (t) => t.servers,
      render: (t) => t.servers ?? '—',
    },
  ];
  if (manage)
    columns.push({
      key: 'actions',
      header: 'Actions',
      render: (t) => (
        <Button
          variant="danger"
          aria-label={`Delete team ${t.name}`}
          disabled={Boolean(t.users || t.servers)}
          title={t.users || t.servers ? 'Only an empty team can be deleted' : undefined}
          onClick={() => setDeleting(t.name)}
        >
          Delete
        </Button>
      ),
    });

  return (
    <section aria-labelledby={ids.heading}>
      <h2 id={ids.heading}>Teams</h2>
      {manage ? (
        <form className="toolbar" onSubmit={create}>
          <div className="field field-inline">
            <label htmlFor={ids.name}>New team name</label>
            <input id={ids.name} name="name" required maxLength={64} spellCheck={false} />
          </div>
          <Button type="submit" busy={busy}>
            Create team
          </Button>
        </form>
      ) : null}
      {error ? <ErrorPanel title="Could not create the team" error={error} /> : null}
      {teams.isPending ? (
        <Spinner label="Loading teams…" />
      ) : teams.isError ? (
        <ErrorPanel
          title="Could not list the teams"
          error={teams.error}
          onRetry={() => void teams.refetch()}
        />
      ) : teams.data.teams.length === 0 ? (
        <EmptyState title="No teams">
          <p>Without teams every user's reach is set by their role alone.</p>
        </EmptyState>
      ) : (
        <DataTable caption="Teams" columns={columns} rows={teams.data.teams} rowKey={(t) => t.name} />
      )}
      <ConfirmDialog
        open={deleting !== undefined}
        onOpenChange={(open) => {
          if (!open) setDeleting(undefined);
        }}
        title={`Delete team ${deleting}?`}
        description="The team has no users or servers left; deleting it cannot be undone."
        confirmLabel="Delete team"
        onConfirm={async () => {
          if (!deleting) return;
          try {
            await api(`/teams/${encodeURIComponent(deleting)}`, { method: 'DELETE' });
            toasts.notify(`Deleted team ${deleting}`);
          } catch (failure) {
            toasts.fail(`Could not delete team ${deleting}`, failure);
          } finally {
            void queryClient.invalidateQueries({ queryKey: TEAMS_KEY });
          }
        }}
      />
    </section>
  );
}
