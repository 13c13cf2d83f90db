/** A toolsmith run as GET /mcp/analyze and GET /mcp/analyze/:run answer it (toolsmith/service.ts RunView). */
export interface RunView {
  id: string;
  question: string;
  status: 'running' | 'waiting' | 'done' | 'failed';
  toolState: 'DRAFT' | 'STAGED' | 'APPROVED' | 'PROMOTED' | 'REJECTED' | 'ARCHIVED';
  node: string;
  next: string;
  createdBy?: string;
  createdAt?: string;
  updatedAt?: string;
  error: string | null;
  tool?: { name: string; version: number | null; description: string; parameters: Record<string, unknown> };
  dataset?: { given: string; sha256: string; format: string; bytes: number; rows: number };
  plan?: unknown;
  code?: string;
  validation?: {
    schema_ok: boolean;
    tests_ok: boolean;
    sandbox_ok: boolean;
    errors: string[];
    warnings: string[];
    steps: Array<{ step: string; status: string; ms: number }>;
    durationMs: number;
  };
  result?: {
    markdown: string;
    value: unknown;
    svg?: string;
    arguments: Record<string, unknown>;
    timing: unknown;
  };
  repairs?: number;
  decisions?: Array<{
    stage: 1 | 2;
    decision: 'approve' | 'reject' | 'revise';
    actor: string;
    note?: string;
    at: string;
  }>;
}
