/** Query hooks and actions over the servers endpoints (GET /mcp/servers …, operation-routes.ts). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, api } from './client.ts';
import type {
  AuditEntry,
  Deployment,
  EnvVariable,
  MetricPoint,
  RevisionSpec,
  ServerHealthAnswer,
  ServerRecord,
  ServerStats,
  ServerStatus,
  TriggerRun,
} from './types.ts';

const enc = encodeURIComponent;

export const serverKeys = {
  all: ['servers'] as const,
  one: (name: string) => ['servers', name] as const,
  part: (name: string, part: string, ...rest: Array<string | number>) =>
    ['servers', name, part, ...rest] as const,
};

export function useServers() {
  return useQuery({
    queryKey: serverKeys.all,
    queryFn: ({ signal }) => api<{ servers: ServerRecord[] }>('/mcp/servers?summary=1', { signal }),
    refetchInterval: 15_000,
  });
}

export function useServer(name: string) {
  return useQuery({
    queryKey: serverKeys.one(name),
    queryFn: ({ signal }) => api<ServerStatus>(`/mcp/servers/${enc(name)}`, { signal }),
    refetchInterval: 10_000,
  });
}

export function useServerStats(name: string, minutes: number) {
  return useQuery({
    queryKey: serverKeys.part(name, 'stats', minutes),
    queryFn: ({ signal }) =>
      api<ServerStats>(`/mcp/servers/${enc(name)}/stats?minutes=${minutes}`, { signal }),
    refetchInterval: 30_000,
  });
}

/**
 * An endpoint the console needs that an older factory may lack (work/notes/console-needs.md): 404 and 405 mean
 * "not available here", which the pages show as such instead of as an error.
 */
export async function optional<T>(path: string, signal?: AbortSignal): Promise<T | null> {
  try {
    return await api<T>(path, signal ? { signal } : {});
  } catch (error) {
    if (
      error instanceof ApiError &&
      (error.code === 'API_NOT_FOUND' || error.code === 'API_METHOD_NOT_ALLOWED')
    )
      return null;
    throw error;
  }
}

/** A server's stored health checks over the last `minutes` (null: this factory does not store them). */
export function useServerHealth(name: string, minutes: number) {
  return useQuery({
    queryKey: serverKeys.part(name, 'health', minutes),
    queryFn: async ({ signal }) => {
      const answer = await optional<ServerHealthAnswer>(
        `/mcp/servers/${enc(name)}/health?minutes=${minutes}`,
        signal,
      );
      return answer?.history ? { since: answer.since ?? null, history: answer.history } : null;
    },
    refetchInterval: 30_000,
  });
}

export function useRevisionSpec(name: string, revision: number | undefined) {
  return useQuery({
    queryKey: serverKeys.part(name, 'spec', revision ?? -1),
    enabled: revision !== undefined,
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: ({ signal }) =>
      optional<RevisionSpec>(`/mcp/servers/${enc(name)}/revisions/${revision}/spec`, signal),
  });
}

/** Every deployment the caller may see, in one request (GET /mcp/deployments): the list's figures come from it. */
export function useAllDeployments() {
  return useQuery({
    queryKey: ['deployments'],
    queryFn: ({ signal }) => optional<{ deployments: Deployment[] }>('/mcp/deployments', signal),
    refetchInterval: 15_000,
  });
}

/** Every deployment of one server, including stopped and failed ones, newest first. */
export function useServerDeployments(name: string) {
  return useQuery({
    queryKey: serverKeys.part(name, 'deployments'),
    queryFn: ({ signal }) =>
      optional<{ deployments: Deployment[] }>(`/mcp/servers/${enc(name)}/deployments`, signal),
    refetchInterval: 15_000,
  });
}

/** The server's story from the audit trail: revisions, status changes, rollbacks, deployments. */
export function useServerHistory(name: string) {
  return useQuery({
    queryKey: serverKeys.part(name, 'history'),
    queryFn: ({ signal }) =>
      optional<{ name: string; entries: AuditEntry[] }>(
        `/mcp/servers/${enc(name)}/history?limit=200`,
        signal,
      ),
  });
}

export function useMetrics(name: string, minutes: number) {
  return useQuery({
    queryKey: serverKeys.part(name, 'metrics', minutes),
    queryFn: ({ signal }) =>
      optional<{ points: MetricPoint[]; stepSeconds?: number }>(
        `/mcp/servers/${enc(name)}/metrics?minutes=${minutes}`,
        signal,
      ),
    refetchInterval: 30_000,
  });
}

export function useEnvNames(name: string) {
  return useQuery({
    queryKey: serverKeys.part(name, 'env'),
    queryFn: ({ signal }) => optional<{ variables: EnvVariable[] }>(`/mcp/servers/${enc(name)}/env`, signal),
  });
}

export function useTriggerRuns(name: string) {
  return useQuery({
    queryKey: serverKeys.part(name, 'triggers'),
    queryFn: ({ signal }) =>
      api<{ name: string; runs: TriggerRun[] }>(`/mcp/servers/${enc(name)}/triggers?limit=200`, { signal }),
  });
}

export type ServerAction =
  | { kind: 'deploy'; target: string; env?: Record<string, string>; replicas?: number }
  | { kind: 'stop' }
  | { kind: 'start' }
  | { kind: 'rollback'; revision: number }
  | { kind: 'remove' };

/** The request behind each action button. */
export function actionRequest(
  name: string,
  action: ServerAction,
): { path: string; method: 'POST' | 'DELETE'; body?: unknown } {
  const base = `/mcp/servers/${enc(name)}`;
  switch (action.kind) {
    case 'deploy':
      return {
        path: `/mcp/deploy/${enc(name)}`,
        method: 'POST',
        body: {
          target: action.target,
          ...(action.env && Object.keys(action.env).length > 0 ? { env: action.env } : {}),
          ...(action.replicas !== undefined ? { replicas: action.replicas } : {}),
        },
      };
    case 'stop':
      return { path: `${base}/stop`, method: 'POST' };
    case 'start':
      return { path: `${base}/start`, method: 'POST' };
    case 'rollback':
      return { path: `${base}/rollback`, method: 'POST', body: { revision: action.revision } };
    case 'remove':
      return { path: base, method: 'DELETE' };
  }
}

export function useServerAction(name: string) {
  const queryClient = useQueryClient();
  return useMutation({
    // A deploy's variables hold environment values (secrets): drop the mutation from the cache once settled.
    gcTime: 0,
    mutationFn: (action: ServerAction) => {
      const request = actionRequest(name, action);
      return api<unknown>(request.path, {
        method: request.method,
        ...(request.body !== undefined ? { body: request.body } : {}),
      });
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: serverKeys.all }),
  });
}
