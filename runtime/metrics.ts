/** Prometheus metrics for tool calls (served at /metrics over HTTP). */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  observeCall(tool: string, outcome: 'ok' | 'error' | 'rate_limited', seconds: number): void;
}

export function createMetrics(enabled: boolean): Metrics {
  const registry = new Registry();
  if (!enabled) return { registry, observeCall: () => undefined };
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
    registry,
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
  };
}
