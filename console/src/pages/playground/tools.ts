/**
 * The tools of a server with their input schemas: GET /mcp/servers/:name/tools when the API has it, else the
 * tools of the server's status (names and descriptions; the playground then asks for JSON arguments).
 */
import { useQuery } from '@tanstack/react-query';
import { ApiError, api } from '../../api/client.ts';
import type { JsonSchema } from '../../components/schema-form/index.ts';

export interface ToolInfo {
  name: string;
  title?: string | null;
  description: string | null;
  inputSchema?: JsonSchema;
}

export async function fetchServerTools(server: string, signal?: AbortSignal): Promise<ToolInfo[]> {
  const base = `/mcp/servers/${encodeURIComponent(server)}`;
  try {
    const answer = await api<{ tools: ToolInfo[] }>(`${base}/tools`, signal ? { signal } : {});
    return answer.tools;
  } catch (error) {
    // An API without the tools route answers 404 with no such route (not SERVER_NOT_FOUND): use the status.
    if (!(error instanceof ApiError) || error.status !== 404 || error.code === 'SERVER_NOT_FOUND')
      throw error;
  }
  const status = await api<{ tools: ToolInfo[] }>(base, signal ? { signal } : {});
  return status.tools;
}

export function useServerTools(server: string) {
  return useQuery({
    queryKey: ['server-tools', server],
    enabled: server !== '',
    queryFn: ({ signal }) => fetchServerTools(server, signal),
  });
}
