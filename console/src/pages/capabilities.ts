/**
 * What this factory offers beyond the basics (GET /mcp/capabilities): an LLM provider (create from a
 * description, toolsmith), and a gateway the console can reach. An API without that route answers 404: every
 * capability is then "unknown" and the pages say what they can.
 */
import { useQuery } from '@tanstack/react-query';
import { ApiError, api } from '../api/client.ts';

export interface Capabilities {
  llm?: boolean;
  toolsmith?: boolean;
  /** Sources the API imports from; absent: unknown (an older factory). */
  imports?: { openapi: boolean; database: boolean };
  /** Where the console reaches the gateway's REST API (same origin), when one is configured. */
  gateway?: { url: string } | null;
}

export function useCapabilities() {
  return useQuery({
    queryKey: ['capabilities'],
    staleTime: 60_000,
    queryFn: async ({ signal }): Promise<Capabilities | null> => {
      try {
        return await api<Capabilities>('/mcp/capabilities', { signal });
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
}
