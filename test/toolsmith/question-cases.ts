/** The question set (cases/cases.json) as typed data, shared by its checks, its pipeline run and the eval test. */
import casesJson from './cases/cases.json' with { type: 'json' };

export interface QuestionCase {
  id: string;
  dataset: string;
  question: string;
  toolName: string;
  description: string;
  parameters: Record<string, unknown>;
  arguments: Record<string, unknown>;
  sql: string;
  values: string[];
  notes?: string;
  expected: Record<string, unknown>[];
}

export const CASES = casesJson as QuestionCase[];
