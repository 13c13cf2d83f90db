/**
 * Prometheus metrics for tool calls, served at /metrics over HTTP. prom-client is loaded only when the HTTP
 * transport starts with metrics on: a stdio server has nowhere to serve them and skips the cost.
 */
export interface Metrics {
  observeCall(tool: string, outcome: 'ok' | 'error' | 'rate_limited', seconds: number): void;
  /** One trigger run attempt's end (runtime/triggers/runner.ts); `trigger` is its index in the spec. */
  observeTrigger(trigger: string, type: string, outcome: string, seconds: number): void;
  /** One command tool run (runtime/command.ts): outcome ok | failed | timeout | refused, bytes of output. */
  observeCommand?(tool: string, backend: string, outcome: string, seconds: number, bytesOut: number): void;
  /** Exposition text, or undefined when metrics are off. */
  render(): Promise<{ contentType: string; body: string } | undefined>;
}

export const NO_METRICS: Metrics = {
  observeCall: () => undefined,
  observeTrigger: () => undefined,
  render: async () => undefined,
};

export async function createPrometheusMetrics(): Promise<Metrics> {
  const { Counter, collectDefaultMetrics, Histogram, Registry } = await import('prom-client');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const calls = new Counter({
    name: 'mcp_tool_calls_total',
    help: 'Tool calls by tool and outcome',
    labelNames: ['tool', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'mcp_tool_call_duration_seconds',
    help: 'Tool call latency',
    labelNames: ['tool'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const triggerRuns = new Counter({
    name: 'mcp_trigger_runs_total',
    help: 'Trigger run attempts by trigger (spec index), type and outcome',
    labelNames: ['trigger', 'type', 'outcome'],
    registers: [registry],
  });
  const triggerDuration = new Histogram({
    name: 'mcp_trigger_run_duration_seconds',
    help: 'Trigger run attempt duration (event accepted to tool result)',
    labelNames: ['trigger', 'type'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: [registry],
  });
  const commandRuns = new Counter({
    name: 'mcp_command_runs_total',
    help: 'Command tool runs by tool, backend and outcome',
    labelNames: ['tool', 'backend', 'outcome'],
    registers: [registry],
  });
  const commandOutput = new Counter({
    name: 'mcp_command_output_bytes_total',
    help: 'Bytes of stdout and stderr kept from command tool runs',
    labelNames: ['tool', 'backend'],
    registers: [registry],
  });
  // Labelled children are resolved once per tool and outcome: label hashing on every call is measurable.
  const counters = new Map<string, { inc(): void }>();
  const timers = new Map<string, { observe(v: number): void }>();
  return {
    observeCall(tool, outcome, seconds) {
      const key = `${tool}\u0000${outcome}`;
      let counter = counters.get(key);
      if (!counter) {
        counter = calls.labels({ tool, outcome });
        counters.set(key, counter);
      }
      counter.inc();
      let timer = timers.get(tool);
      if (!timer) {
        timer = duration.labels({ tool });
        timers.set(tool, timer);
      }
      timer.observe(seconds);
    },
    observeTrigger(trigger, type, outcome, seconds) {
      triggerRuns.labels({ trigger, type, outcome }).inc();
      triggerDuration.labels({ trigger, type }).observe(seconds);
    },
    observeCommand(tool, backend, outcome, _seconds, bytesOut) {
      commandRuns.labels({ tool, backend, outcome }).inc();
      commandOutput.labels({ tool, backend }).inc(bytesOut);
    },
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}
