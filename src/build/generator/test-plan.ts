/**
 * The calls a generated server's own tests make: the spec's examples, the cases a tool's kind plans, or
 * arguments synthesised from the parameter schemas. Tools that need an environment variable or an upstream
 * service run only when it is set.
 */
import { implementationOf, type TestCase } from '../../core/kinds/index.js';
import { effectiveParameters } from '../../core/kinds/tool.js';
import type { ServerSpec, ValueSchema } from '../../core/spec/model.js';
import { collectEnv } from './env.js';

export type { TestCase } from '../../core/kinds/index.js';

/** The variables each tool cannot run without. */
export function requiresEnvFor(spec: ServerSpec): (tool: string) => string[] {
  const env = collectEnv(spec);
  return (tool) => env.filter((e) => e.tools.includes(tool)).map((e) => e.name);
}

/**
 * `covered`: write tools the write scenarios (write-plan.ts) exercise; their skipped examples are left out here
 * (the scenarios run them safely), their missing-argument cases stay.
 */
export function planTests(spec: ServerSpec, covered: ReadonlySet<string> = new Set()): TestCase[] {
  const requiresEnvOf = requiresEnvFor(spec);
  const cases: TestCase[] = [];
  const pagination = spec.pagination ?? { defaultLimit: 50, maxLimit: 1000 };
  for (const tool of spec.tools) {
    const requiresEnv = requiresEnvOf(tool.name);
    const found = implementationOf(tool);
    const upstream = found?.kind.unreachable?.(found.impl, spec);
    const params = effectiveParameters(tool, pagination);
    const planned = found?.kind.testCases?.(found.impl, { spec, tool, requiresEnv });
    if (covered.has(tool.name)) {
      // Run by the write scenarios (test/writes.json) against a scratch copy or rolled back.
    } else if (tool.examples?.length) {
      tool.examples.forEach((ex, i) => {
        cases.push({
          tool: tool.name,
          name: `${tool.name} example ${i + 1}`,
          arguments: ex.arguments,
          expectError: ex.expect?.isError ?? false,
          ...(ex.expect?.contains !== undefined ? { contains: ex.expect.contains } : {}),
          ...(ex.expect?.equals !== undefined ? { equals: ex.expect.equals } : {}),
          requiresEnv,
          ...(ex.skip ? { skip: 'marked skip in the spec' } : upstream ? { skip: upstream } : {}),
        });
      });
    } else if (planned) {
      cases.push(...planned);
    } else {
      const sample = sampleArguments(params);
      const unsynthesisable =
        sample.missing !== undefined
          ? `parameter "${sample.missing}" needs an example (add \`examples:\` to the tool)`
          : undefined;
      const destructive = tool.annotations?.destructive === true;
      const skip =
        unsynthesisable ??
        upstream ??
        (destructive ? 'destructive tool without an example' : found?.kind.needsExample?.(found.impl, tool));
      cases.push({
        tool: tool.name,
        name: sampleCaseName(tool.name),
        arguments: sample.args,
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

/** The name of a tool's case with synthesised arguments (the mock upstream may run it when this plan skips it). */
export function sampleCaseName(tool: string): string {
  return `${tool} with sample arguments`;
}

/**
 * Arguments for the required parameters without a default, made up from their schemas; `missing` names a
 * parameter none can be made up for (the arguments then lack it).
 */
export function sampleArguments(params: Record<string, ValueSchema>): {
  args: Record<string, unknown>;
  missing?: string;
} {
  const args: Record<string, unknown> = {};
  let missing: string | undefined;
  for (const [name, p] of Object.entries(params)) {
    if (!p.required || p.default !== undefined) continue;
    const value = sampleValue(p);
    if (value === undefined) missing = name;
    else args[name] = value;
  }
  return missing === undefined ? { args } : { args, missing };
}

/** A value that satisfies `p`, or undefined when none can be made up (a pattern). */
export function sampleValue(p: ValueSchema): unknown {
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
      const item = p.items ? sampleValue(p.items) : 'example';
      if (item === undefined) return undefined;
      return Array.from({ length: Math.max(p.minItems ?? 1, 1) }, () => item);
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(p.properties ?? {})) {
        if (!v.required) continue;
        const s = sampleValue(v);
        if (s === undefined) return undefined;
        out[k] = s;
      }
      return out;
    }
  }
}
