/**
 * One natural-language → spec conversation: the model's answers are parsed as data, validated exactly like a
 * hand-written spec (`validateSpec`) plus the NL checks, and every problem goes back to the model for repair
 * within a bounded number of rounds. Each round is a step in the execution log; each call an LLM-call record.
 */

import type { ProgressEvent } from '../../build/create.js';
import { FactoryError, type Issue, makeIssue } from '../../core/errors/index.js';
import { MAX_SPEC_BYTES, validateSpec } from '../../core/spec/load.js';
import type { ServerSpec, ServerSpecInput } from '../../core/spec/model.js';
import type { JsonReply, LlmClient, LlmMessage } from '../../llm/client.js';
import { redact } from '../../llm/redact.js';
import { ExecutionLog } from '../../platform/execution-log.js';
import { checkGeneratedSpec } from './checks.js';
import { llmSpecSchema, malformedRepairPrompt, specRepairPrompt } from './prompts.js';

export interface ValidSpec {
  spec: ServerSpec;
  input: ServerSpecInput;
  warnings: string[];
}

type Evaluation = ({ ok: true } & ValidSpec) | { ok: false; issues: Issue[] };

/** What a caller of `ask` makes of one answer. */
export interface Judgement<T> {
  result: T;
  outcome: RoundRecord['outcome'];
  issues: Issue[];
}

type SpecAnswer =
  | { kind: 'malformed'; error: string }
  | { kind: 'valid'; valid: ValidSpec }
  | { kind: 'invalid'; issues: Issue[]; value: unknown };

/** One round of the conversation, for reports and the failure details. */
export interface RoundRecord {
  round: number;
  purpose: string;
  outcome: 'valid' | 'invalid' | 'malformed' | 'build-failed' | 'built';
  codes: string[];
  problems: number;
}

export interface SessionOptions {
  llm: LlmClient;
  log: ExecutionLog;
  system: string;
  /** The first user message (description, name constraint, research context). */
  request: string;
  maxRepairs: number;
  specDir: string;
  knownText: string;
  serverName?: string | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((event: ProgressEvent) => void) | undefined;
}

/** What failed, kept for callers that want the log or the last candidate after an error. */
export interface NlFailureContext {
  log: ExecutionLog;
  rounds: RoundRecord[];
  /** The model's last spec (may be invalid; secret-looking values redacted). */
  candidate?: unknown;
}

const failures = new WeakMap<object, NlFailureContext>();

/** The execution log and rounds behind an error thrown by specFromPrompt / createFromPrompt. */
export function nlFailureContext(error: unknown): NlFailureContext | undefined {
  return typeof error === 'object' && error !== null ? failures.get(error) : undefined;
}

export class NlSession {
  log: ExecutionLog;
  readonly rounds: RoundRecord[] = [];
  private lastCandidate: unknown;

  constructor(readonly options: SessionOptions) {
    this.log = options.log;
  }

  get llmCalls(): number {
    return this.rounds.length;
  }

  /** Re-title the log once the server's name is known (when the caller did not bring a log). */
  rebrand(subject: string): void {
    if (this.log.subject === subject) return;
    const next = new ExecutionLog(subject);
    next.steps.push(...this.log.steps);
    next.llmCalls.push(...this.log.llmCalls);
    this.log = next;
  }

  /** Attach the log and rounds to an error on its way out. */
  fail<E>(error: E): E {
    if (typeof error === 'object' && error !== null && !failures.has(error)) {
      failures.set(error, {
        log: this.log,
        rounds: this.rounds,
        ...(this.lastCandidate !== undefined ? { candidate: redactDeep(this.lastCandidate) } : {}),
      });
    }
    return error;
  }

  /** One model call, as a step of the log and a progress event. */
  async ask<T>(
    purpose: string,
    messages: LlmMessage[],
    schema: Record<string, unknown>,
    judge: (reply: JsonReply) => Judgement<T>,
  ): Promise<{ reply: JsonReply; result: T }> {
    const emit = this.options.onProgress ?? (() => undefined);
    const step = `llm: ${purpose}`;
    emit({ step, status: 'start' });
    const t0 = performance.now();
    try {
      const out = await this.log.step(
        step,
        async () => {
          const reply = await this.options.llm.generateJson({
            purpose,
            system: this.options.system,
            messages,
            schema,
            schemaName: schema === llmSpecSchema() ? 'mcp_server_spec' : 'code_tool_bodies',
            log: this.log,
            ...(this.options.signal ? { signal: this.options.signal } : {}),
          });
          const judged = judge(reply);
          this.rounds.push({
            round: this.rounds.length + 1,
            purpose,
            outcome: judged.outcome,
            codes: [...new Set(judged.issues.map((i) => i.code))],
            problems: judged.issues.length,
          });
          return { reply, result: judged.result, outcome: judged.outcome, issues: judged.issues };
        },
        (r) => ({
          provider: this.options.llm.provider,
          model: this.options.llm.model,
          outcome: r.outcome,
          problems: r.issues.length,
          ...(r.issues.length ? { codes: [...new Set(r.issues.map((i) => i.code))] } : {}),
          tokensIn: r.reply.tokensIn,
          tokensOut: r.reply.tokensOut,
          retries: r.reply.retries,
        }),
      );
      emit({
        step,
        status: 'done',
        ms: performance.now() - t0,
        detail:
          out.outcome === 'valid'
            ? `valid spec (${out.reply.tokensIn} in / ${out.reply.tokensOut} out tokens)`
            : out.outcome === 'malformed'
              ? 'not JSON: asking again'
              : `${out.issues.length} problem(s): asking for a repair`,
      });
      return { reply: out.reply, result: out.result };
    } catch (error) {
      emit({ step, status: 'failed', ms: performance.now() - t0, detail: (error as Error).message });
      throw error;
    }
  }

  /** Parse + validate a candidate spec (the model's JSON) like a hand-written one, plus the NL checks. */
  evaluate(value: unknown): Evaluation {
    let data = unwrap(value);
    if (this.options.serverName && isObject(data)) data = { ...data, name: this.options.serverName };
    this.lastCandidate = data;
    let result: ReturnType<typeof validateSpec>;
    try {
      result = validateSpec(data);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      return {
        ok: false,
        issues: [
          makeIssue('SPEC_SYNTAX', 'the spec is nested too deeply to validate', '', 'Return a flat spec.'),
        ],
      };
    }
    if (!result.ok || !result.spec) return { ok: false, issues: result.issues };
    const nl = checkGeneratedSpec(result.spec, {
      specDir: this.options.specDir,
      knownText: this.options.knownText,
    });
    if (nl.issues.length) return { ok: false, issues: nl.issues };
    return { ok: true, spec: result.spec, input: data as ServerSpecInput, warnings: nl.warnings };
  }

  /**
   * Ask with `first`, then repair until the spec is valid: at most `maxRepairs` repair rounds. Throws the
   * validator's issues (code of the first) or LLM_BAD_OUTPUT when the budget is spent.
   */
  async untilValid(purpose: string, first: LlmMessage[]): Promise<ValidSpec> {
    let messages = first;
    let lastIssues: Issue[] = [];
    let lastMalformed: string | undefined;
    const request: LlmMessage = { role: 'user', content: this.options.request };
    for (let round = 0; round <= this.options.maxRepairs; round++) {
      const label = round === 0 ? purpose : `${purpose}: repair ${round}/${this.options.maxRepairs}`;
      const { reply, result } = await this.ask(
        label,
        messages,
        llmSpecSchema(),
        (r): Judgement<SpecAnswer> => {
          if (r.text.length > MAX_SPEC_BYTES) {
            const error = `the answer has ${r.text.length} characters; a spec may have at most ${MAX_SPEC_BYTES}`;
            return {
              result: { kind: 'malformed', error },
              outcome: 'malformed',
              issues: [makeIssue('SPEC_TOO_LARGE', error)],
            };
          }
          if (!r.json.ok) {
            return {
              result: { kind: 'malformed', error: r.json.error },
              outcome: 'malformed',
              issues: [makeIssue('LLM_BAD_OUTPUT', `not a JSON object: ${r.json.error}`)],
            };
          }
          const evaluation = this.evaluate(r.json.value);
          return evaluation.ok
            ? { result: { kind: 'valid', valid: evaluation }, outcome: 'valid', issues: [] }
            : {
                result: { kind: 'invalid', issues: evaluation.issues, value: r.json.value },
                outcome: 'invalid',
                issues: evaluation.issues,
              };
        },
      );
      if (result.kind === 'valid') {
        const { spec, input, warnings } = result.valid;
        return { spec, input, warnings };
      }
      if (result.kind === 'malformed') {
        lastMalformed = result.error;
        lastIssues = [];
        messages = [
          request,
          { role: 'assistant', content: truncate(reply.text) },
          { role: 'user', content: malformedRepairPrompt(result.error) },
        ];
      } else {
        lastMalformed = undefined;
        lastIssues = result.issues;
        messages = [
          request,
          { role: 'assistant', content: JSON.stringify(unwrap(result.value)) },
          { role: 'user', content: specRepairPrompt(result.issues) },
        ];
      }
    }
    const answers = this.options.maxRepairs + 1;
    const model = `${this.options.llm.provider} (${this.options.llm.model})`;
    if (lastMalformed !== undefined) {
      const message = `${model} did not return a usable JSON spec in ${answers} answer(s): ${lastMalformed}`;
      throw this.fail(
        new FactoryError('LLM_BAD_OUTPUT', message, {
          issues: [
            makeIssue(
              'LLM_BAD_OUTPUT',
              message,
              '',
              'Retry, use a stronger model, or write the spec by hand (mcp-factory create --spec).',
            ),
          ],
          details: { rounds: this.rounds },
        }),
      );
    }
    throw this.fail(
      new FactoryError(
        lastIssues[0]?.code ?? 'SPEC_INVALID_VALUE',
        `${model} did not produce a valid spec in ${answers} answer(s); ${lastIssues.length} problem(s) remain`,
        {
          issues: lastIssues,
          details: {
            rounds: this.rounds,
            hint: 'Run again with --emit-spec to review the closest spec, fix it by hand, then create from the file.',
          },
        },
      ),
    );
  }

  /** Record a build outcome (type-check, scan, tests) as a round without a model call. */
  noteBuild(outcome: 'build-failed' | 'built', issues: Issue[], purpose: string): void {
    this.rounds.push({
      round: this.rounds.length + 1,
      purpose,
      outcome,
      codes: [...new Set(issues.map((i) => i.code))],
      problems: issues.length,
    });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{ "spec": { … } }` or `{ "server": { … } }` around the spec is accepted. */
export function unwrap(value: unknown): unknown {
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'spec' || keys[0] === 'server' || keys[0] === 'mcp_server_spec')) {
    const inner = value[keys[0]];
    if (isObject(inner) && ('tools' in inner || 'name' in inner)) return inner;
  }
  return value;
}

const ANSWER_LIMIT = 60_000;

function truncate(text: string): string {
  return text.length > ANSWER_LIMIT ? `${text.slice(0, ANSWER_LIMIT)}…` : text;
}

function redactDeep(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(redactDeep);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)]));
  return value;
}
