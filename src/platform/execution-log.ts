/** Records each generation step (and, later, each LLM call) with timings; rendered into the generated project. */
export interface StepRecord {
  step: string;
  status: 'ok' | 'failed' | 'skipped';
  startedAt: string;
  durationMs: number;
  details?: Record<string, unknown>;
  error?: string;
}

export interface LlmCallRecord {
  provider: string;
  model: string;
  systemPrompt: string;
  userPrompt: string;
  rawResponse: string;
  tokensIn: number;
  tokensOut: number;
  latencyMs: number;
  estimatedCostUsd?: number;
  retries: number;
  at: string;
}

export class ExecutionLog {
  readonly steps: StepRecord[] = [];
  readonly llmCalls: LlmCallRecord[] = [];
  readonly startedAt = new Date();
  /** Start order of each record of `steps`: steps that overlap are listed in the order they started. */
  readonly #order: number[] = [];
  #started = 0;

  #record(order: number, record: StepRecord): void {
    // Records copied in from another log (a re-titled one) come first and keep their order.
    const copied = this.steps.length - this.#order.length;
    let at = this.#order.length;
    while (at > 0 && this.#order[at - 1]! > order) at--;
    this.steps.splice(copied + at, 0, record);
    this.#order.splice(at, 0, order);
  }

  constructor(readonly subject: string) {}

  async step<T>(
    name: string,
    fn: () => Promise<T> | T,
    details?: (result: T) => Record<string, unknown>,
  ): Promise<T> {
    const startedAt = new Date().toISOString();
    const order = this.#started++;
    const t0 = performance.now();
    try {
      const result = await fn();
      this.#record(order, {
        step: name,
        status: 'ok',
        startedAt,
        durationMs: round(performance.now() - t0),
        ...(details ? { details: details(result) } : {}),
      });
      return result;
    } catch (error) {
      this.#record(order, {
        step: name,
        status: 'failed',
        startedAt,
        durationMs: round(performance.now() - t0),
        error: (error as Error).message,
      });
      throw error;
    }
  }

  skip(name: string, reason: string): void {
    this.#record(this.#started++, {
      step: name,
      status: 'skipped',
      startedAt: new Date().toISOString(),
      durationMs: 0,
      details: { reason },
    });
  }

  logLlmCall(call: Omit<LlmCallRecord, 'at'>): void {
    this.llmCalls.push({ ...call, at: new Date().toISOString() });
  }

  get totalMs(): number {
    return round(this.steps.reduce((n, s) => n + s.durationMs, 0));
  }

  toJSON(): Record<string, unknown> {
    return {
      subject: this.subject,
      startedAt: this.startedAt.toISOString(),
      totalMs: this.totalMs,
      steps: this.steps,
      llmCalls: this.llmCalls,
    };
  }

  toMarkdown(): string {
    const esc = (s: string) =>
      s
        .replace(/\|/g, '\\|')
        .replace(/[\r\n]+/g, ' ')
        .replace(/</g, '&lt;');
    const lines = [
      `# Execution log: ${esc(this.subject)}`,
      '',
      `Started ${this.startedAt.toISOString()}; ${this.steps.length} steps in ${this.totalMs} ms.`,
      '',
      '| # | Step | Status | ms | Details |',
      '| --- | --- | --- | ---: | --- |',
    ];
    this.steps.forEach((s, i) => {
      const details = s.error ? `error: ${s.error}` : s.details ? JSON.stringify(s.details) : '';
      lines.push(
        `| ${i + 1} | ${esc(s.step)} | ${s.status} | ${s.durationMs} | ${esc(details).slice(0, 400)} |`,
      );
    });
    if (this.llmCalls.length) {
      lines.push('', '## LLM calls', '');
      this.llmCalls.forEach((c, i) => {
        lines.push(
          `### ${i + 1}. ${esc(c.provider)} ${esc(c.model)} (${c.latencyMs} ms, ${c.tokensIn} in / ${c.tokensOut} out, ${c.retries} retries)`,
          '',
          '<details><summary>prompts and response</summary>',
          '',
          '```text',
          `SYSTEM: ${c.systemPrompt}`.replace(/```/g, '` ` `'),
          `USER: ${c.userPrompt}`.replace(/```/g, '` ` `'),
          `RESPONSE: ${c.rawResponse}`.replace(/```/g, '` ` `'),
          '```',
          '',
          '</details>',
          '',
        );
      });
    }
    return `${lines.join('\n')}\n`;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
