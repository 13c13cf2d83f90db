/**
 * The calls a generated server's own tests make: the spec's examples, or arguments synthesised from the
 * parameter schemas. Tools that need an environment variable or an upstream service run only when it is set.
 */
import type { ServerSpec, Tool, ValueSchema } from '../../core/spec/model.js';
import { collectEnv } from './env.js';
import { effectiveParameters } from './json-schema.js';

export interface TestCase {
  tool: string;
  name: string;
  arguments: Record<string, unknown>;
  expectError: boolean;
  contains?: string;
  /** Environment variables that must be set for this case to run. */
  requiresEnv: string[];
  /** Set when the case cannot run here (and why). */
  skip?: string;
}

export function planTests(spec: ServerSpec): TestCase[] {
  const env = collectEnv(spec);
  const cases: TestCase[] = [];
  const pagination = spec.pagination ?? { defaultLimit: 50, maxLimit: 1000 };
  for (const tool of spec.tools) {
    const requiresEnv = env.filter((e) => e.tools.includes(tool.name)).map((e) => e.name);
    const upstream = upstreamRequirement(spec, tool);
    const params = effectiveParameters(tool, pagination);
    if (tool.examples?.length) {
      tool.examples.forEach((ex, i) => {
        cases.push({
          tool: tool.name,
          name: `${tool.name} example ${i + 1}`,
          arguments: ex.arguments,
          expectError: ex.expect?.isError ?? false,
          ...(ex.expect?.contains !== undefined ? { contains: ex.expect.contains } : {}),
          requiresEnv,
          ...(ex.skip ? { skip: 'marked skip in the spec' } : upstream ? { skip: upstream } : {}),
        });
      });
    } else if (tool.query) {
      cases.push({
        tool: tool.name,
        name: `${tool.name} runs a trivial query`,
        arguments: { sql: 'SELECT 1 AS one' },
        expectError: false,
        contains: 'one',
        requiresEnv,
      });
      cases.push({
        tool: tool.name,
        name: `${tool.name} refuses a write`,
        arguments: { sql: 'DELETE FROM nothing_here' },
        expectError: true,
        requiresEnv: [],
      });
    } else if (tool.catalog) {
      const catalog = spec.catalogs.find((c) => c.name === tool.catalog?.catalog);
      const first = catalog?.operations[0]?.name ?? '';
      if (tool.catalog.action === 'search')
        cases.push({
          tool: tool.name,
          name: `${tool.name} searches`,
          arguments: { query: first },
          expectError: false,
          contains: first,
          requiresEnv: [],
        });
      else if (tool.catalog.action === 'describe')
        cases.push({
          tool: tool.name,
          name: `${tool.name} describes ${first}`,
          arguments: { operation: first },
          expectError: false,
          contains: 'inputSchema',
          requiresEnv: [],
        });
      else
        cases.push({
          tool: tool.name,
          name: `${tool.name} rejects an unknown operation`,
          arguments: { operation: '\u0000no-such-operation' },
          expectError: true,
          requiresEnv: [],
        });
    } else {
      const args: Record<string, unknown> = {};
      let unsynthesisable: string | undefined;
      for (const [name, p] of Object.entries(params)) {
        if (!p.required || p.default !== undefined) continue;
        const value = sample(p);
        if (value === undefined)
          unsynthesisable = `parameter "${name}" needs an example (add \`examples:\` to the tool)`;
        else args[name] = value;
      }
      const destructive = tool.annotations?.destructive === true;
      // Calling a real API's write operation with made-up data is not a test: it needs an explicit example.
      const writes =
        tool.http !== undefined &&
        !['GET', 'HEAD'].includes(tool.http.method) &&
        tool.annotations?.readOnly !== true;
      const skip =
        unsynthesisable ??
        upstream ??
        (destructive
          ? 'destructive tool without an example'
          : writes
            ? 'HTTP write operation without an example'
            : undefined);
      cases.push({
        tool: tool.name,
        name: `${tool.name} with sample arguments`,
        arguments: args,
        expectError: false,
        requiresEnv,
        ...(skip ? { skip } : {}),
      });
    }
    const required = Object.entries(params).filter(([, p]) => p.required && p.default === undefined);
    if (required.length > 0) {
      cases.push({
        tool: tool.name,
        name: `${tool.name} rejects missing arguments`,
        arguments: {},
        expectError: true,
        requiresEnv: [],
      });
    }
  }
  return cases;
}

/** http tools reach a real service; they run only when its base URL comes from the environment. */
function upstreamRequirement(spec: ServerSpec, tool: Tool): string | undefined {
  if (!tool.http) return undefined;
  const c = spec.connections.find((x) => x.name === tool.http?.connection);
  if (c?.type === 'http' && c.baseUrlEnv) return undefined;
  return 'calls an upstream HTTP API with a fixed base URL (declare baseUrlEnv to test against a mock)';
}

function sample(p: ValueSchema): unknown {
  if (p.default !== undefined) return p.default;
  if (p.enum) return p.enum[0];
  switch (p.type) {
    case 'string': {
      if (p.pattern) return undefined;
      const formats: Record<string, string> = {
        email: 'user@example.com',
        uri: 'https://example.com/',
        date: '2024-01-01',
        'date-time': '2024-01-01T00:00:00Z',
        uuid: '00000000-0000-4000-8000-000000000000',
      };
      const base = p.format ? formats[p.format]! : 'example';
      const min = p.minLength ?? 0;
      const value = base.length >= min ? base : base.padEnd(min, 'x');
      return p.maxLength !== undefined && value.length > p.maxLength ? value.slice(0, p.maxLength) : value;
    }
    case 'integer':
    case 'number': {
      let n = p.minimum ?? (p.exclusiveMinimum !== undefined ? p.exclusiveMinimum + 1 : 1);
      if (p.maximum !== undefined && n > p.maximum) n = p.maximum;
      return p.type === 'integer' ? Math.ceil(n) : n;
    }
    case 'boolean':
      return true;
    case 'array': {
      const item = p.items ? sample(p.items) : 'example';
      if (item === undefined) return undefined;
      return Array.from({ length: Math.max(p.minItems ?? 1, 1) }, () => item);
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(p.properties ?? {})) {
        if (!v.required) continue;
        const s = sample(v);
        if (s === undefined) return undefined;
        out[k] = s;
      }
      return out;
    }
  }
}
