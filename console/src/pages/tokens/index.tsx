import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { api } from '../../api/client.ts';
import type { TokenInfo } from '../../api/types.ts';
import { useAuth } from '../../app/auth.tsx';
import { useToasts } from '../../app/toasts.tsx';
import { Button } from '../../components/Button.tsx';
import { type Column, DataTable } from '../../components/DataTable.tsx';
import { ConfirmDialog } from '../../components/Dialog.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import { TimeAgo } from '../../components/TimeAgo.tsx';
import { NewTokenNotice } from './NewTokenNotice.tsx';

const KEY = ['auth', 'tokens'] as const;

/** Splits "a, b c" into ["a", "b", "c"]; absent when empty (no restriction). */
export function patternList(text: string): string[] | undefined {
  const items = text.split(/[\s,]+/).filter(Boolean);
  return items.length > 0 ? items : undefined;
}

/** The signed-in user's personal API tokens: list, make (the value is shown once), revoke. */
export default function TokensPage() {
  const auth = useAuth();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const tokens = useQuery({
    queryKey: KEY,
    queryFn: ({ signal }) => api<{ tokens: TokenInfo[] }>('/auth/tokens', { signal }),
  });
  const [made, setMade] = useState<{ name: string; token: string }>();
  const [revoking, setRevoking] = useState<string>();
  const revoke = useMutation({
    mutationFn: (name: string) => api(`/auth/tokens/${encodeURIComponent(name)}`, { method: 'DELETE' }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: KEY }),
  });
  const isUser = auth.user?.kind !== 'token';

  const columns: Array<Column<TokenInfo>> = [
    { key: 'name', header: 'Name', sortValue: (t) => t.name, render: (t) => t.name },
    { key: 'prefix', header: 'Starts with', render: (t) => (t.prefix ? <code>{t.prefix}…</code> : '—') },
    { key: 'role', header: 'Role', sortValue: (t) => t.role ?? undefined, render: (t) => t.role ?? '—' },
    {
      key: 'limits',
      header: 'Limited to',
      render: (t) =>
        [
          t.allowedServers?.length ? `servers ${t.allowedServers.join(', ')}` : '',
          t.allowedTools?.length ? `tools ${t.allowedTools.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; ') || <span className="muted">everything the role allows</span>,
    },
    {
      key: 'created',
      header: 'Created',
      sortValue: (t) => t.createdAt,
      render: (t) => <TimeAgo at={t.createdAt} />,
    },
    {
      key: 'expires',
      header: 'Expires',
      sortValue: (t) => t.expiresAt ?? undefined,
      render: (t) => (t.expiresAt ? <TimeAgo at={t.expiresAt} /> : 'never'),
    },
    { key: 'used', header: 'Last used', render: (t) => <TimeAgo at={t.lastUsedAt} /> },
    {
      key: 'actions',
      header: 'Actions',
      render: (t) => (
        <Button variant="danger" onClick={() => setRevoking(t.name)} aria-label={`Revoke token ${t.name}`}>
          Revoke
        </Button>
      ),
    },
  ];

  return (
    <>
      <h1>Tokens</h1>
      <p className="help">
        Personal API tokens act as you (with your role or viewer) for scripts and MCP clients. Their values
        are shown once, when made.
      </p>
      {made ? <NewTokenNotice name={made.name} token={made.token} onDone={() => setMade(undefined)} /> : null}
      {isUser ? (
        <CreateTokenForm
          role={auth.user?.role ?? 'viewer'}
          onMade={(answer) => {
            setMade(answer);
            void queryClient.invalidateQueries({ queryKey: KEY });
          }}
        />
      ) : (
        <p className="muted">
          You signed in with an API token: personal tokens are made by a signed-in user (user name and
          password).
        </p>
      )}
      <h2>Your tokens</h2>
      {tokens.isPending ? (
        <Spinner label="Loading tokens…" />
      ) : tokens.isError ? (
        <ErrorPanel
          title="Could not list your tokens"
          error={tokens.error}
          onRetry={() => void tokens.refetch()}
        />
      ) : tokens.data.tokens.length === 0 ? (
        <EmptyState title="No personal tokens">
          <p>Make one above when a script or an MCP client needs to act as you.</p>
        </EmptyState>
      ) : (
        <DataTable caption="Your tokens" columns={columns} rows={tokens.data.tokens} rowKey={(t) => t.id} />
      )}
      <ConfirmDialog
        open={revoking !== undefined}
        onOpenChange={(open) => {
          if (!open) setRevoking(undefined);
        }}
        title={`Revoke ${revoking}?`}
        description="Scripts and clients using it stop working at once. This cannot be undone."
        confirmLabel="Revoke token"
        onConfirm={async () => {
          if (!revoking) return;
          try {
            await revoke.mutateAsync(revoking);
            toasts.notify(`Revoked ${revoking}`);
          } catch (error) {
            toasts.fail(`Could not revoke ${revoking}`, error);
          }
        }}
      />
    </>
  );
}

function CreateTokenForm({
  role,
  onMade,
}: {
  role: string;
  onMade(made: { name: string; token: string }): void;
}) {
  const ids = { name: useId(), role: useId(), days: useId(), servers: useId(), tools: useId() };
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const servers = patternList(String(form.get('servers') ?? ''));
    const tools = patternList(String(form.get('tools') ?? ''));
    const body = {
      name: String(form.get('name') ?? '').trim(),
      role: String(form.get('role') ?? role),
      expiresInDays: Number(form.get('days') ?? 90),
      ...(servers ? { servers } : {}),
      ...(tools ? { tools } : {}),
    };
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api<{ token: string; name: string }>('/auth/tokens', { method: 'POST', body });
      formElement.reset();
      onMade({ name: answer.name, token: answer.token });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="card form-grid" onSubmit={submit} aria-labelledby={`${ids.name}-heading`}>
      <h2 id={`${ids.name}-heading`}>Make a token</h2>
      <div className="field">
        <label htmlFor={ids.name}>Token name</label>
        <input
          id={ids.name}
          name="name"
          required
          maxLength={64}
          pattern="[A-Za-z0-9_.\-]+"
          spellCheck={false}
        />
      </div>
      <div className="field">
        <label htmlFor={ids.role}>Role</label>
        <select id={ids.role} name="role" defaultValue={role}>
          <option value={role}>{role} (yours)</option>
          {role !== 'viewer' ? <option value="viewer">viewer (read only)</option> : null}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.days}>Expires after (days)</label>
        <input id={ids.days} name="days" type="number" min={1} max={365} defaultValue={90} required />
      </div>
      <div className="field">
        <label htmlFor={ids.servers}>Only these servers (optional)</label>
        <input id={ids.servers} name="servers" placeholder="inventory, billing-*" spellCheck={false} />
      </div>
      <div className="field">
        <label htmlFor={ids.tools}>Only these tools (optional)</label>
        <input id={ids.tools} name="tools" placeholder="inventory__search_*" spellCheck={false} />
      </div>
      {error ? <ErrorPanel title="Could not make the token" error={error} /> : null}
      <div>
        <Button type="submit" variant="primary" busy={busy}>
          Make token
        </Button>
      </div>
    </form>
  );
}
