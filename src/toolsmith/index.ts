/**
 * The toolsmith (seed 004): a question about a dataset becomes a generated, validated, sandboxed, reviewed and
 * promoted data-analysis tool. `Toolsmith` (service.ts) is the programmatic API the surfaces are layers over.
 */
export { DATA_CONNECTION, DATA_ROOTS_ENV } from './candidate.js';
export { keepDataset, profileDataset } from './dataset.js';
export { type OpenToolsmithOptions, openToolsmith } from './open.js';
export { DEFAULT_POLICY, loadPolicy, parsePolicy, ToolsmithPolicy } from './policy.js';
export { type Caller, type RunView, runView, Toolsmith, type ToolsmithOptions } from './service.js';
export type { DatasetProfile, DatasetRef, RunArtifacts, RunState, ValidationReport } from './types.js';
