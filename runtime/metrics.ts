/**
 * Prometheus metrics for tool calls, served at /metrics over HTTP. prom-client is loaded only when the HTTP
 * transport starts with metrics on: a stdio server has nowhere to serve them and skips the cost.
 */
export interface Metrics {
  observeCall(tool: string, outcome: 'ok' | 'error' | 'rate_limited', seconds: number): void;
  /** Exposition text, or undefined when metrics are off. */
  render(): Promise<{ contentType: string; body: string } | undefined>;
}

export const NO_METRICS: Metrics = { observeCall: () => undefined, render: async () => undefined };

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
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}
