import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { personRoles, usePermissionTable } from '../../api/identity.ts';
import type { Team, User } from '../../api/types.ts';
import { useAuth } from '../../app/auth.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorPanel } from '../../components/ErrorPanel.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import { CreateUserForm } from './CreateUserForm.tsx';
import { TeamsSection } from './TeamsSection.tsx';
import { UsersTable } from './UsersTable.tsx';

export const USERS_KEY = ['users'] as const;
export const TEAMS_KEY = ['teams'] as const;

/** Users and teams the caller may see; admins create users, change roles and teams, and disable users. */
export default function UsersPage() {
  const auth = useAuth();
  const users = useQuery({
    queryKey: USERS_KEY,
    queryFn: ({ signal }) => api<{ users: User[] }>('/users', { signal }),
  });
  const teams = useQuery({
    queryKey: TEAMS_KEY,
    queryFn: ({ signal }) => api<{ teams: Team[] }>('/teams', { signal }),
  });
  const table = usePermissionTable();
  const roles = personRoles(table.data);
  const manage = auth.can('users.manage');
  const teamNames = (teams.data?.teams ?? []).map((t) => t.name);

  return (
    <>
      <h1>Users</h1>
      {manage ? <CreateUserForm roles={roles} teams={teamNames} /> : null}
      <h2>People</h2>
      {users.isPending ? (
        <Spinner label="Loading users…" />
      ) : users.isError ? (
        <ErrorPanel
          title="Could not list the users"
          error={users.error}
          onRetry={() => void users.refetch()}
        />
      ) : users.data.users.length === 0 ? (
        <EmptyState title="No users yet">
          <p>
            {manage ? 'Create the first one above' : 'An administrator creates users'}, or run{' '}
            <code>mcp-factory user create NAME --role ROLE</code>.
          </p>
        </EmptyState>
      ) : (
        <UsersTable
          users={users.data.users}
          roles={roles}
          teams={teamNames}
          manage={manage}
          self={auth.user?.name}
        />
      )}
      <TeamsSection teams={teams} manage={auth.can('teams.manage')} />
    </>
  );
}
