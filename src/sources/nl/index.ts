/** Natural language → server: spec extraction with repair, the build repair loop, research. */
export { type EnvReference, envReferences, formatEnvReferences } from './checks.js';
export {
  type BuildContext,
  type BuildFromPromptOptions,
  type CreateFromPromptOptions,
  type CreateFromPromptResult,
  createFromPrompt,
  DEFAULT_MAX_BUILD_REPAIRS,
  draftFromPrompt,
  type PromptDraft,
  REPAIRABLE_BUILD_ERRORS,
  scrubbedTestEnv,
} from './create.js';
export {
  DEFAULT_MAX_REPAIRS,
  type ResearchReport,
  type SpecFromPromptOptions,
  type SpecFromPromptResult,
  specFromPrompt,
} from './extract.js';
export { MAX_PROMPT_CHARS, type PromptInput, validatePrompt } from './input.js';
export { llmSpecSchema, systemPrompt } from './prompts.js';
export {
  formatUntrustedContext,
  type ResearchProvider,
  type ResearchSnippet,
  researchQuery,
  type TavilyOptions,
  TavilyResearch,
} from './research.js';
export { type NlFailureContext, nlFailureContext, type RoundRecord } from './session.js';
