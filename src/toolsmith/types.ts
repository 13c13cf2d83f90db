/**
 * The toolsmith's data model (seed 004's models, in our terms): what the model is asked to produce at each node
 * (zod schemas, also sent as structured-output JSON Schemas), the validation report and run artifacts, and the
 * run state that the workflow checkpoints after every node.
 */
import { z } from 'zod';
import { ValueSchema } from '../core/spec/model.js';
import { IDENTIFIER } from '../core/spec/primitives.js';

/** The nodes of the pipeline, in order; `review_output` and `review_promotion` wait for a person. */
export const NODES = [
  'intent',
  'reuse',
  'spec',
  'code',
  'validate',
  'repair',
  'execute',
  'review_output',
  'review_promotion',
  'promote',
] as const;
export type NodeName = (typeof NODES)[number];

/** The data formats a dataset may have (by file extension). */
export const DATASET_FORMATS = ['csv', 'tsv', 'json', 'ndjson', 'parquet'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export interface ColumnProfile {
  name: string;
  type: string;
  nulls: number;
  distinct: number;
  min?: string | number | null;
  max?: string | number | null;
}

/** What the model sees of a dataset (never the whole file). */
export interface DatasetProfile {
  format: DatasetFormat;
  rows: number;
  bytes: number;
  columns: ColumnProfile[];
  sample: Record<string, unknown>[];
  profileMs: number;
}

/** The dataset a run works on: the caller's path, and the content-addressed copy the factory keeps. */
export interface DatasetRef {
  /** What the caller named (shown, never opened again). */
  given: string;
  /** The kept copy (home/toolsmith/datasets/<sha256>.<ext>): what validation, execution and replays read. */
  path: string;
  sha256: string;
  format: DatasetFormat;
  bytes: number;
}

const short = z.string().max(2000);

/** intent_node's answer: what the question asks for, and how to compute it. */
export const Intent = z.object({
  operation: z.string().min(1).max(200).describe('e.g. groupby_aggregate, filter, top_n, single_value'),
  columns: z.array(z.string().max(200)).max(50).describe('Dataset columns the answer uses.'),
  metrics: z.array(z.string().max(200)).max(20).default([]),
  filters: z
    .array(z.object({ column: z.string().max(200), operator: z.string().max(20), value: z.unknown() }))
    .max(20)
    .default([]),
  sort_by: z.array(z.string().max(200)).max(10).default([]),
  sort_order: z.enum(['ascending', 'descending']).optional(),
  limit: z.number().int().min(1).max(1_000_000).nullable().optional(),
  output_format: z.enum(['value', 'row', 'table', 'series']).default('table'),
  implementation_plan: z
    .array(z.object({ step: z.number().int(), action: short, details: short.optional() }))
    .max(20)
    .default([]),
  edge_cases: z.array(short).max(20).default([]),
});
export type Intent = z.infer<typeof Intent>;

/** reuse check's answer: whether one of the promoted tools shown answers the question, and with what. */
export const ReuseDecision = z.object({
  reuse: z.boolean(),
  tool: z.string().max(128).optional(),
  arguments: z.record(z.string(), z.unknown()).optional(),
  reason: short.optional(),
});
export type ReuseDecision = z.infer<typeof ReuseDecision>;

/** spec_generator_node's answer: the tool's interface (the `dataset` parameter is always added by us). */
export const ToolInterface = z.object({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9_]{2,63}$/, 'snake_case, 3-64 characters, starting with a letter')
    .describe('snake_case tool name, e.g. rainy_days_per_year'),
  description: z.string().min(10).max(2000),
  parameters: z
    .record(z.string().regex(IDENTIFIER), ValueSchema)
    .default({})
    .describe('Parameters besides `dataset` (the data file, added automatically).'),
  arguments: z
    .record(z.string(), z.unknown())
    .default({})
    .describe('The argument values that answer this question (without dataset).'),
});
export type ToolInterface = z.infer<typeof ToolInterface>;

/** code_generator_node's (and repair's) answer: the body of the tool. */
export const ToolCode = z.object({
  source: z.string().min(1).max(50_000),
  notes: z.string().max(2000).optional(),
});
export type ToolCode = z.infer<typeof ToolCode>;

/** As in the seed: what validation found. */
export interface ValidationReport {
  schema_ok: boolean;
  tests_ok: boolean;
  sandbox_ok: boolean;
  errors: string[];
  warnings: string[];
  /** Step timings of the build (generate, typecheck, security-scan, bundle, generated-tests). */
  steps: Array<{ step: string; status: string; ms: number }>;
  durationMs: number;
}

/** As in the seed: what running the tool produced. */
export interface RunArtifacts {
  result: unknown;
  rows?: Record<string, unknown>[];
  markdown: string;
  chart?: { vegaLite: object; svg: string } | undefined;
  arguments: Record<string, unknown>;
  timing: { startMs: number; callMs: number; totalMs: number };
  sandboxed: boolean;
  errors: string[];
}

export interface Attempt {
  at: string;
  node: NodeName;
  source: string;
  errors: string[];
}

export interface Decision {
  stage: 1 | 2;
  decision: 'approve' | 'reject' | 'revise';
  actor: string;
  note?: string | undefined;
  at: string;
}

/** The checkpoint: everything the nodes produced so far. JSON only. */
export interface RunState {
  question: string;
  dataset: DatasetRef;
  /** What validation's generated tests read: the first rows of a large dataset, or the dataset itself. */
  sample?: DatasetRef;
  profile: DatasetProfile;
  /** Who asked (also the run's created_by): stage 2 may not be approved by the same actor. */
  requestedBy: string;
  intent?: Intent;
  reuse?: {
    server: string;
    tool: string;
    revision: number;
    run?: string | undefined;
    reason?: string | undefined;
  };
  tool?: ToolInterface;
  code?: ToolCode;
  validation?: ValidationReport;
  /** The validated project of the current code (a directory of the factory home). */
  projectDir?: string;
  repairs: number;
  attempts: Attempt[];
  /** Errors the next repair must fix (validation or execution), or a reviewer's note. */
  pendingErrors?: string[];
  result?: RunArtifacts;
  decisions: Decision[];
  promoted?: { server: string; revision: number; tool: string; version: number };
  /** Model calls so far (count and time), to report pipeline time without model time. */
  model: { calls: number; ms: number };
  /** Time spent in each node (ms), summed over visits. */
  nodeMs: Partial<Record<NodeName, number>>;
}
