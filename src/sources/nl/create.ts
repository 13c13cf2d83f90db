/**
 * Natural language → validated, generated, type-checked, security-scanned, bundled and tested server, with a
 * repair loop: a type error, a blocking security finding or a failing generated test goes back to the model
 * (compiler errors, findings or failing test output), which answers with corrected code-tool bodies (when only
 * code tools are at fault) or a corrected spec. At most `maxBuildRepairs` rounds (default 3), then the last
 * failure is thrown with the history of the rounds.
 *
 * Isolation, for now: model code is never run before it has type-checked and passed the security scan; it then
 * runs only inside the generated project's own tests, in child processes started by `node --test` in the
 * temporary project directory, with provider keys and other secret-named variables removed from their
 * environment. A stronger sandbox (container / microVM) is future work.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type CreateOptions, type CreateResult, createServerProject } from '../../build/create.js';
import { FactoryError, type Issue, makeIssue } from '../../core/errors/index.js';
import type { ServerSpec, ServerSpecInput } from '../../core/spec/model.js';
import type { ExecutionLog } from '../../platform/execution-log.js';
import { envReferences } from './checks.js';
import {
  extractionResult,
  type SpecFromPromptOptions,
  type SpecFromPromptResult,
  startSession,
} from './extract.js';
import {
  type BuildStage,
  buildRepairPrompt,
  CODE_REPAIR_SCHEMA,
  type CodeToolFailure,
  codeRepairPrompt,
  issuesText,
  specRepairPrompt,
} from './prompts.js';
import { type Judgement, type NlSession, unwrap, type ValidSpec } from './session.js';

type CodeAnswer =
  | { kind: 'unusable' }
  | { kind: 'valid'; valid: ValidSpec }
  | { kind: 'invalid'; issues: Issue[]; patched: ServerSpecInput };

export const DEFAULT_MAX_BUILD_REPAIRS = 3;

/** Failures the model can repair; anything else (OUTPUT_EXISTS, BUNDLE_FAILED, …) is thrown at once. */
export const REPAIRABLE_BUILD_ERRORS = [
  'TYPECHECK_FAILED',
  'SECURITY_BLOCKED',
  'GENERATED_TESTS_FAILED',
] as const;

export interface BuildContext {
  log: ExecutionLog;
  /** 1 for the first build, 2 after the first repair, … */
  attempt: number;
  specDir: string;
  outDir: string;
  /** The environment overrides for the generated tests (secrets of this process removed). */
  testEnv: NodeJS.ProcessEnv;
}

/** How the extracted spec is built (and repaired). */
export interface BuildFromPromptOptions<R = CreateResult> {
  /** Output directory; default ./<server name> (relative to specDir). */
  outDir?: string;
  force?: boolean;
  typecheck?: boolean;
  runTests?: boolean;
  securityThreshold?: CreateOptions['securityThreshold'];
  scanner?: CreateOptions['scanner'];
  /** Extra environment for the generated tests (e.g. DATABASE_URL of a test database). */
  testEnv?: NodeJS.ProcessEnv;
  /** Repair rounds after a failed build. Default 3. */
  maxBuildRepairs?: number;
  /**
   * What builds the server; default `createServerProject`. The HTTP API can pass its control plane's create:
   * throw FactoryErrors TYPECHECK_FAILED / SECURITY_BLOCKED / GENERATED_TESTS_FAILED to get repairs.
   */
  build?: (spec: ServerSpec, context: BuildContext) => Promise<R>;
  onProgress?: CreateOptions['onProgress'];
}

export interface CreateFromPromptOptions<R = CreateResult>
  extends SpecFromPromptOptions,
    BuildFromPromptOptions<R> {}

export interface CreateFromPromptResult<R = CreateResult> extends SpecFromPromptResult {
  result: R;
  /** Builds run (1 when the first one passed). */
  buildAttempts: number;
}

/** A validated spec from a description, with the conversation kept open for build repairs. */
export interface PromptDraft extends SpecFromPromptResult {
  /** Build the server; failures go back to the same model (at most maxBuildRepairs rounds). */
  build<R = CreateResult>(options?: BuildFromPromptOptions<R>): Promise<CreateFromPromptResult<R>>;
}

const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|SESSION|COOKIE|AUTH/i;
const LLM_KEY_VARS = [
  'ANTHROPIC_API_KEY',
  'OPENAI_API_KEY',
  'GOOGLE_GENERATIVE_AI_API_KEY',
  'GEMINI_API_KEY',
  'TAVILY_API_KEY',
];

/** Environment overrides for the generated tests: this process's secrets removed unless the spec needs them. */
export function scrubbedTestEnv(spec: ServerSpec, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const needed = new Set(envReferences(spec).map((r) => r.name));
  const out: NodeJS.ProcessEnv = {};
  for (const name of Object.keys(env)) {
    if (needed.has(name)) continue;
    if (SECRET_NAME.test(name) || LLM_KEY_VARS.includes(name)) out[name] = undefined;
  }
  return out;
}

/**
 * Phase 1 of `createFromPrompt`: the validated spec (for review, --emit-spec, or an API that builds elsewhere),
 * with `build()` to continue into phase 2 with the same model and log.
 */
export async function draftFromPrompt(
  prompt: string,
  options: SpecFromPromptOptions = {},
): Promise<PromptDraft> {
  const specDir = resolve(options.specDir ?? process.cwd());
  const started = await startSession(prompt, { ...options, specDir });
  const { session } = started;
  let valid: ValidSpec;
  try {
    valid = await session.untilValid('extract spec', [{ role: 'user', content: session.options.request }]);
  } catch (error) {
    throw session.fail(error);
  }
  if (started.ownLog) session.rebrand(`${valid.spec.name}@${valid.spec.version}`);
  const summary = (v: ValidSpec): SpecFromPromptResult => extractionResult(started, v);
  let building = false;
  return {
    ...summary(valid),
    async build<R = CreateResult>(
      buildOptions: BuildFromPromptOptions<R> = {},
    ): Promise<CreateFromPromptResult<R>> {
      if (building) throw new FactoryError('INTERNAL', 'build() of a prompt draft was called twice');
      building = true;
      const maxBuildRepairs = buildOptions.maxBuildRepairs ?? DEFAULT_MAX_BUILD_REPAIRS;
      try {
        for (let attempt = 1; ; attempt++) {
          const outDir = resolve(specDir, buildOptions.outDir ?? valid.spec.name);
          const testEnv: NodeJS.ProcessEnv = {
            ...scrubbedTestEnv(valid.spec),
            ...(buildOptions.testEnv ?? {}),
          };
          const context: BuildContext = { log: session.log, attempt, specDir, outDir, testEnv };
          try {
            const result = buildOptions.build
              ? await buildOptions.build(valid.spec, context)
              : ((await createServerProject({
                  spec: valid.spec,
                  specDir,
                  outDir,
                  log: session.log,
                  testEnv,
                  // The model wrote this code: its tests run without network (bubblewrap, where installed).
                  sandboxTests: true,
                  ...(buildOptions.force !== undefined ? { force: buildOptions.force } : {}),
                  ...(buildOptions.typecheck !== undefined ? { typecheck: buildOptions.typecheck } : {}),
                  ...(buildOptions.runTests !== undefined ? { runTests: buildOptions.runTests } : {}),
                  ...(buildOptions.securityThreshold
                    ? { securityThreshold: buildOptions.securityThreshold }
                    : {}),
                  ...(buildOptions.scanner ? { scanner: buildOptions.scanner } : {}),
                  ...(buildOptions.onProgress ? { onProgress: buildOptions.onProgress } : {}),
                })) as R);
            session.noteBuild('built', [], `build ${attempt}`);
            return { ...summary(valid), result, buildAttempts: attempt };
          } catch (error) {
            if (!isRepairable(error)) throw error;
            session.noteBuild(
              'build-failed',
              error.issues.length ? error.issues : [makeIssue(error.code, error.message)],
              `build ${attempt}`,
            );
            if (attempt > maxBuildRepairs) throw exhausted(error, attempt, session);
            valid = await repairBuild(session, valid, error, attempt);
          }
        }
      } catch (error) {
        throw session.fail(error);
      }
    },
  };
}

/**
 * A description → a working server in `outDir`: `draftFromPrompt` then `build`. Returns the spec, the env-var
 * references, the execution log (also written to EXECUTION_LOG.md / execution_log.json of the server) and the
 * build result.
 */
export async function createFromPrompt<R = CreateResult>(
  prompt: string,
  options: CreateFromPromptOptions<R> = {},
): Promise<CreateFromPromptResult<R>> {
  const specDir = resolve(options.specDir ?? process.cwd());
  if (options.outDir && !options.force && !options.build && existsSync(resolve(specDir, options.outDir))) {
    // Fail before spending tokens.
    throw new FactoryError('OUTPUT_EXISTS', `${resolve(specDir, options.outDir)} already exists`, {
      details: { outDir: resolve(specDir, options.outDir) },
    });
  }
  const draft = await draftFromPrompt(prompt, { ...options, specDir });
  return draft.build<R>(options);
}

function isRepairable(error: unknown): error is FactoryError {
  return error instanceof FactoryError && (REPAIRABLE_BUILD_ERRORS as readonly string[]).includes(error.code);
}

function stageOf(code: string): BuildStage {
  return code === 'TYPECHECK_FAILED'
    ? 'type-check'
    : code === 'SECURITY_BLOCKED'
      ? 'security scan'
      : 'generated tests';
}

function exhausted(error: FactoryError, builds: number, session: NlSession): FactoryError {
  const { provider, model } = session.options.llm;
  return new FactoryError(
    error.code,
    `${error.message} — still failing after ${builds} builds (${builds - 1} repair round(s) by ${provider} ${model})`,
    {
      issues: error.issues,
      details: {
        ...(error.details ?? {}),
        rounds: session.rounds,
        hint: 'Run again with --emit-spec to get the spec, fix the reported tool by hand, then create from the file.',
      },
      cause: error,
    },
  );
}

const CODE_PATH = /^tools\[(\d+)\]\.code\.source$/;

const TAP_NOISE = /^(?:duration_ms|location|failureType|code|name|operator|stack|type)\s*:/;

/**
 * The part of the TAP output that explains the failures: each `not ok` line with its error, expected and actual
 * values (the assertion messages name the case and so the tool); stacks, timings and repeats are dropped.
 */
export function failingTestExcerpt(output: string, max = 4000): string {
  const lines = output.split('\n');
  const picked: string[] = [];
  let inFailure = false;
  let keyIndent = -1;
  let dropping = false;
  for (const line of lines) {
    const trimmed = line.trim();
    const indent = line.length - line.trimStart().length;
    if (/^not ok\b/.test(trimmed)) {
      inFailure = true;
      keyIndent = -1;
      dropping = false;
      picked.push(trimmed);
      continue;
    }
    if (!inFailure) continue;
    if (/^(?:ok \d|# Subtest|# (?:pass|fail|tests|suites|skip|todo|cancelled|duration_ms)\b)/.test(trimmed)) {
      inFailure = false;
      continue;
    }
    if (trimmed === '---' || trimmed === '...' || trimmed === '') continue;
    const isKey = /^[A-Za-z_]+\s*:/.test(trimmed) && (keyIndent < 0 || indent <= keyIndent);
    if (isKey) {
      keyIndent = indent;
      dropping = TAP_NOISE.test(trimmed);
    }
    if (!dropping) picked.push(`  ${trimmed}`);
  }
  const unique = picked.filter((l, i) => l.startsWith('not ok') || picked.indexOf(l) === i);
  const text = (unique.length ? unique : lines.slice(-40)).join('\n').trim();
  return text.length > max ? `${text.slice(0, max)}\n…` : text;
}

/** Tools whose test cases appear in the failure text. */
export function failingTools(spec: ServerSpec, excerpt: string): string[] {
  return spec.tools
    .filter((t) => {
      const name = t.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return new RegExp(
        `(?:^|[\\s'"\`(])${name} (?:example \\d+|with sample arguments|rejects missing arguments|runs a trivial query|refuses a write|searches|describes|rejects an unknown operation)`,
        'm',
      ).test(excerpt);
    })
    .map((t) => t.name);
}

async function repairBuild(
  session: NlSession,
  current: ValidSpec,
  error: FactoryError,
  attempt: number,
): Promise<ValidSpec> {
  const stage = stageOf(error.code);
  const spec = current.spec;
  const codeTools = new Map<string, string[]>();
  let other = false;
  let feedback: string;
  if (error.code === 'GENERATED_TESTS_FAILED') {
    const output = typeof error.details?.output === 'string' ? error.details.output : error.message;
    feedback = failingTestExcerpt(output);
    const tools = failingTools(spec, feedback);
    if (tools.length === 0) other = true;
    for (const name of tools) {
      if (spec.tools.find((t) => t.name === name)?.code) codeTools.set(name, [feedback]);
      else other = true;
    }
  } else {
    feedback = issuesText(error.issues);
    for (const issue of error.issues) {
      const m = CODE_PATH.exec(issue.path);
      const tool = m ? spec.tools[Number(m[1])] : undefined;
      if (tool?.code) codeTools.set(tool.name, [...(codeTools.get(tool.name) ?? []), issue.message]);
      else other = true;
    }
    if (error.issues.length === 0) other = true;
  }
  const request = { role: 'user' as const, content: session.options.request };
  if (codeTools.size > 0 && !other) {
    const failures: CodeToolFailure[] = [...codeTools].map(([name, problems]) => {
      const tool = spec.tools.find((t) => t.name === name)!;
      return { name, source: tool.code?.source ?? '', parameters: tool.parameters, problems };
    });
    const { result } = await session.ask(
      `repair code (build ${attempt} ${stage})`,
      [{ role: 'user', content: codeRepairPrompt(stage, current.input, failures) }],
      CODE_REPAIR_SCHEMA,
      (reply): Judgement<CodeAnswer> => {
        const patched = reply.json.ok ? patchBodies(current.input, reply.json.value, codeTools) : undefined;
        if (!patched) {
          return {
            result: { kind: 'unusable' },
            outcome: 'malformed',
            issues: [makeIssue('LLM_BAD_OUTPUT', 'the answer did not hold corrected tool bodies')],
          };
        }
        const evaluation = session.evaluate(patched);
        if (!evaluation.ok)
          return {
            result: { kind: 'invalid', issues: evaluation.issues, patched },
            outcome: 'invalid',
            issues: evaluation.issues,
          };
        const { spec: s, input, warnings } = evaluation;
        return {
          result: { kind: 'valid', valid: { spec: s, input, warnings } },
          outcome: 'valid',
          issues: [],
        };
      },
    );
    if (result.kind === 'valid') return result.valid;
    if (result.kind === 'invalid') {
      return session.untilValid(`repair spec (build ${attempt})`, [
        request,
        { role: 'assistant', content: JSON.stringify(result.patched) },
        { role: 'user', content: specRepairPrompt(result.issues) },
      ]);
    }
    // Unusable answer: fall through to a whole-spec repair.
  }
  return session.untilValid(`repair spec (build ${attempt} ${stage})`, [
    request,
    { role: 'assistant', content: JSON.stringify(current.input) },
    { role: 'user', content: buildRepairPrompt(stage, feedback) },
  ]);
}

/** Replace the bodies of the named code tools; undefined when the answer has none of them. */
function patchBodies(
  input: ServerSpecInput,
  answer: unknown,
  allowed: Map<string, string[]>,
): ServerSpecInput | undefined {
  const tools = (unwrap(answer) as { tools?: unknown })?.tools;
  if (!Array.isArray(tools)) return undefined;
  const next = structuredClone(input) as ServerSpecInput;
  let changed = 0;
  for (const t of tools) {
    if (typeof t !== 'object' || t === null) continue;
    const { name, source } = t as { name?: unknown; source?: unknown };
    if (typeof name !== 'string' || typeof source !== 'string' || !allowed.has(name)) continue;
    const tool = next.tools?.find((x) => x.name === name);
    if (!tool?.code) continue;
    tool.code = { ...tool.code, source };
    changed++;
  }
  return changed > 0 ? next : undefined;
}
