/**
 * The data of a conformance run: the suite's check records (checks.json), what the probe saw on the server,
 * what a scenario declares it needs, classified failures, per-scenario and per-revision results, and the
 * report written to conformance.json. Types only.
 */

/** One entry of a scenario's checks.json, as the suite writes it. */
export interface SuiteCheck {
  id: string;
  name?: string;
  description?: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | (string & {});
  timestamp?: string;
  errorMessage?: string;
  details?: Record<string, unknown>;
}

/** What the server under test exposes, as listed by the probe (evidence for "the fixture X is missing"). */
export interface ServerProbe {
  ok: boolean;
  error?: string;
  capabilities: Record<string, unknown>;
  tools: Array<{ name: string; inputSchema?: unknown }>;
  prompts: Array<{ name: string }>;
  resources: Array<{ uri: string }>;
  resourceTemplates: Array<{ uriTemplate: string }>;
}

/** Fixtures and endpoints a scenario's description says the server must implement. */
export interface DeclaredRequirements {
  fixtures: string[];
  endpoints: string[];
}

export type EntityKind = 'tool' | 'prompt' | 'resource';

/** An entity a failure message says the server lacks. */
export interface MissingEntity {
  kind: EntityKind;
  name: string;
}

/** Why a failure was classified the way it was. `rule` names the classification rule that decided. */
export interface Evidence {
  rule: string;
  kind?: string;
  name?: string;
  method?: string;
  all?: MissingEntity[] | string[];
  entities?: MissingEntity[];
  declaredByScenario?: boolean;
  referenceFixture?: boolean;
  serverProbe?: string;
}

/**
 * `fixture-required`: the server lacks a test fixture (tool, prompt, resource), an optional capability or
 * an optional extension the scenario needs; `protocol`: a real protocol problem; `dependent`: the check
 * could not run because an earlier step failed (resolved per scenario, never reported).
 */
export type FailureClassification = 'fixture-required' | 'protocol' | 'dependent';

export interface CheckClassification {
  classification: FailureClassification;
  evidence: Evidence;
}

export interface ClassifiedFailure extends CheckClassification {
  id: string;
  message: string;
  details?: Record<string, unknown>;
}

export type ScenarioClassification = 'pass' | 'fixture-required' | 'protocol';

export interface ScenarioResult {
  scenario: string;
  status: 'pass' | 'fail';
  classification: ScenarioClassification;
  reason: string;
  checks: { total: number; failed: number; warnings: number };
  failures: ClassifiedFailure[];
  warnings: Array<{ id: string; message: string }>;
}

/** A scenario result with whether the suite's requirements file scores it. */
export interface ScenarioReport extends ScenarioResult {
  scored: boolean;
  notScoredReason: string | null;
  resultsDir?: string;
}

export interface VersionReport {
  suite: string;
  mode: string;
  requirementsFile: string | null;
  suiteExitCode: number | null;
  suiteTimedOut: boolean;
  durationMs: number;
  serverProbe: {
    ok: boolean;
    error: string | undefined;
    capabilities: Record<string, unknown>;
    tools: string[];
    prompts: string[];
    resources: string[];
    resourceTemplates: string[];
  };
  summary: {
    scenarios: number;
    pass: number;
    fixtureRequired: number;
    protocol: number;
    protocolScored: number;
  };
  scenarios: ScenarioReport[];
}

/** A revision whose run failed before the suite produced results. */
export interface VersionFailure {
  error: string;
  scenarios: ScenarioReport[];
}

export interface ConformanceReport {
  generatedAt: string;
  server: string | null;
  url: string | null;
  tools: { node: string; nodeBinary: string };
  versions: Record<string, VersionReport | VersionFailure>;
  error?: string;
  durationMs: number;
  /** True when every (counted) failure of every revision is fixture-required. */
  ok: boolean;
}

export const isVersionFailure = (v: VersionReport | VersionFailure): v is VersionFailure => 'error' in v;
