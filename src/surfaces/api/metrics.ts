/** Prometheus metrics of the HTTP API: requests and latency by route (the pattern, not the raw path) and status. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ApiMetrics {
  readonly registry: Registry;
  observe(method: string, route: string, status: number, seconds: number): void;
  inFlight(delta: 1 | -1): void;
  rateLimited(token: string): void;
  authFailure(reason: string): void;
  render(): Promise<{ contentType: string; body: string }>;
}

export function createApiMetrics(prefix = 'mcpf_api_'): ApiMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: `${prefix}requests_total`,
    help: 'HTTP API requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: `${prefix}request_duration_seconds`,
    help: 'HTTP API request latency (until the response headers) by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const inflight = new Gauge({
    name: `${prefix}requests_in_flight`,
    help: 'HTTP API requests being handled',
    registers: [registry],
  });
  const limited = new Counter({
    name: `${prefix}rate_limited_total`,
    help: 'Requests refused by the per-token rate limit',
    labelNames: ['token'],
    registers: [registry],
  });
  const authFailures = new Counter({
    name: `${prefix}auth_failures_total`,
    help: 'Requests refused for a missing or invalid token',
    labelNames: ['reason'],
    registers: [registry],
  });
  return {
    registry,
    observe(method, route, status, seconds) {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
    inFlight: (delta) => inflight.inc(delta),
    rateLimited: (token) => limited.inc({ token }),
    authFailure: (reason) => authFailures.inc({ reason }),
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
