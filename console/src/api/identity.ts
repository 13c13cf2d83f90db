/** Roles as the API defines them (GET /auth/permissions), for the users page's role pickers. */
import { useQuery } from '@tanstack/react-query';
import { api } from './client.ts';

export interface PermissionTable {
  permissions: string[];
  roles: Record<string, Array<{ permission: string; reach: string }>>;
}

/** `service` is the role of API tokens made before roles, never a person's. */
export function personRoles(table: PermissionTable | undefined): string[] {
  return Object.keys(table?.roles ?? {}).filter((role) => role !== 'service');
}

export function usePermissionTable() {
  return useQuery({
    queryKey: ['auth', 'permissions'],
    queryFn: ({ signal }) => api<PermissionTable>('/auth/permissions', { signal }),
    staleTime: Number.POSITIVE_INFINITY,
  });
}
