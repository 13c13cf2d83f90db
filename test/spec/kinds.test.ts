/**
 * The tool-kinds table (core/kinds): every kind is one Tool field in table order, and the generic code — the
 * checker, parameters, output plan, annotations, emission, test cases, environment — takes its behaviour from
 * the kind that the tool uses.
 */
import { describe, expect, it } from 'vitest';
import { collectEnv } from '../../src/build/generator/env.js';
import { planTests } from '../../src/build/generator/test-plan.js';
import { tsObject, wrapInResult } from '../../src/core/codegen/json-schema.js';
import { implementationOf, implementationsOf, KINDS } from '../../src/core/kinds/index.js';
import { annotationHints, effectiveParameters, outputPlan } from '../../src/core/kinds/tool.js';
import {
  IMPLEMENTATION_KINDS,
  type ServerSpec,
  type ServerSpecInput,
  specJsonSchema,
  Tool,
  validateSpec,
} from '../../src/core/spec/index.js';
import { llmSpecSchema, systemPrompt } from '../../src/sources/nl/prompts.js';

const connections: ServerSpecInput['connections'] = [
  { name: 'db', type: 'postgresql', envVar: 'DB_URL' },
  { name: 'api', type: 'http', baseUrlEnv: 'API_URL' },
];

/** A validated spec around the given tools (throws with the issues when it is not valid). */
function specWith(tools: ServerSpecInput['tools'], extra: Partial<ServerSpecInput> = {}): ServerSpec {
  const result = validateSpec({ name: 'kinds', connections, tools, ...extra });
  if (!result.spec) throw new Error(JSON.stringify(result.issues, null, 2));
  return result.spec;
}

function toolWith(fields: Record<string, unknown>) {
  return specWith([{ name: 't', description: 'd', ...fields }]).tools[0]!;
}

function issuesOf(tools: ServerSpecInput['tools'], extra: Partial<ServerSpecInput> = {}) {
  return validateSpec({ name: 'kinds', connections, tools, ...extra }).issues.map((i) => ({
    code: i.code,
    path: i.path,
    message: i.message,
    hint: i.hint,
  }));
}

const PAGINATION = { defaultLimit: 50, maxLimit: 1000 };

describe('the KINDS table', () => {
  it('has one uniquely named kind per tool field, in the order of the spec', () => {
    const names = KINDS.map((k) => k.name);
    expect(new Set(names).size).toBe(names.length);
    expect(IMPLEMENTATION_KINDS).toEqual(names);
    const fields = Object.keys(Tool.shape);
    expect(fields.slice(-names.length)).toEqual(names);
  });

  it('publishes every kind as an optional tool property', () => {
    const tool = (specJsonSchema().properties as Record<string, { items: Record<string, unknown> }>).tools
      .items as { properties: Record<string, unknown>; required?: string[] };
    for (const kind of KINDS) {
      expect(tool.properties[kind.name], kind.name).toBeDefined();
      expect(tool.required ?? []).not.toContain(kind.name);
    }
  });

  it('finds the kind a tool uses, and all of them on a broken tool', () => {
    const tool = Tool.parse({ name: 'x', description: 'y', static: { text: 'a' }, code: { source: 'b' } });
    expect(implementationsOf(tool).map((i) => i.kind.name)).toEqual(['code', 'static']);
    expect(implementationOf(tool)?.impl).toEqual({ source: 'b' });
    expect(implementationOf(Tool.parse({ name: 'x', description: 'y' }))).toBeUndefined();
  });
});

describe('checks come from the kind', () => {
  it('lists the kinds offered to authors when a tool has none', () => {
    expect(issuesOf([{ name: 'a', description: 'b' }])).toEqual([
      {
        code: 'SPEC_MISSING_FIELD',
        path: 'tools[0]',
        message: 'tool "a" has no implementation',
        hint: 'Add exactly one of `sql`, `http`, `code` or `static`.',
      },
    ]);
  });

  it('names every implementation of a tool that has several, in table order', () => {
    const issues = issuesOf([{ name: 'a', description: 'b', static: { text: 'x' }, code: { source: 'y' } }]);
    expect(issues.map((i) => i.message)).toEqual(['tool "a" has 2 implementations (code, static)']);
  });

  it('runs each kind check against its own field', () => {
    const issues = issuesOf(
      [
        { name: 's', description: 'd', sql: { connection: 'api', statement: 'SELECT :x' } },
        { name: 'h', description: 'd', http: { connection: 'db', path: '/{{y}}' } },
        { name: 'st', description: 'd', static: { text: '{{z}}' } },
        { name: 'q', description: 'd', parameters: { a: { type: 'string' } }, query: { connection: 'db' } },
        { name: 'c', description: 'd', catalog: { catalog: 'nope', action: 'search' } },
      ],
      {},
    );
    expect(issues.map((i) => `${i.code} ${i.path}`)).toEqual([
      'SPEC_WRONG_CONNECTION_KIND tools[0].sql.connection',
      'SPEC_INVALID_SQL tools[0].sql.statement',
      'SPEC_WRONG_CONNECTION_KIND tools[1].http.connection',
      'SPEC_INVALID_TEMPLATE tools[1].http.path',
      'SPEC_INVALID_TEMPLATE tools[2].static.text',
      'SPEC_INVALID_VALUE tools[3].parameters',
      'SPEC_UNDEFINED_REFERENCE tools[4].catalog.catalog',
    ]);
  });

  it('accepts the parameters a kind adds in examples, and only those', () => {
    const paged = {
      name: 'p',
      description: 'd',
      sql: { connection: 'db', statement: 'SELECT 1', paginate: true },
      examples: [{ arguments: { limit: 1, cursor: 'c' } }],
    };
    expect(issuesOf([paged])).toEqual([]);
    const unpaged = { ...paged, sql: { connection: 'db', statement: 'SELECT 1' } };
    expect(issuesOf([unpaged]).map((i) => i.path)).toEqual([
      'tools[0].examples[0].arguments.limit',
      'tools[0].examples[0].arguments.cursor',
    ]);
  });
});

describe('what the kind decides about a tool', () => {
  it('parameters: declared, added by pagination, or substituted', () => {
    const declared = { id: { type: 'integer', required: true } } as const;
    expect(
      effectiveParameters(
        toolWith({ parameters: declared, http: { connection: 'api', path: '/{{id}}' } }),
        PAGINATION,
      ),
    ).toEqual(declared);
    const paged = effectiveParameters(
      toolWith({ sql: { connection: 'db', statement: 'SELECT 1', paginate: true } }),
      { defaultLimit: 7, maxLimit: 70 },
    );
    expect(paged.limit).toMatchObject({ default: 7, maximum: 70 });
    expect(Object.keys(paged)).toEqual(['limit', 'cursor']);
    expect(Object.keys(effectiveParameters(toolWith({ query: { connection: 'db' } }), PAGINATION))).toEqual([
      'sql',
      'params',
    ]);
    const spec = specWith([{ name: 'i', description: 'd', catalog: { catalog: 'ops', action: 'invoke' } }], {
      catalogs: [
        {
          name: 'ops',
          operations: [{ name: 'o', description: 'd', http: { connection: 'api', path: '/' } }],
        },
      ],
    });
    expect(Object.keys(effectiveParameters(spec.tools[0]!, PAGINATION))).toEqual(['operation', 'arguments']);
  });

  it('output: the kind plans it, else the tool returns decide', () => {
    const row = toolWith({
      parameters: { id: { type: 'integer' } },
      returns: { type: 'object' },
      sql: { connection: 'db', statement: 'SELECT 1 WHERE 1 = :id', result: 'row' },
    });
    expect(outputPlan(row)).toEqual({
      schema: wrapInResult({ type: ['object', 'null'], properties: {} }),
      mode: 'wrap',
    });
    expect(outputPlan(toolWith({ query: { connection: 'db' } })).mode).toBe('object');
    expect(outputPlan(toolWith({ static: { text: 'x' }, returns: { type: 'string' } }))).toEqual({
      schema: wrapInResult({ type: 'string' }),
      mode: 'wrap',
    });
    expect(outputPlan(toolWith({ code: { source: 'return 1;' } }))).toEqual({ mode: 'none' });
  });

  it('annotations: inferred from the kind, overridden by the tool', () => {
    expect(annotationHints(toolWith({ http: { connection: 'api', method: 'DELETE', path: '/' } }))).toEqual({
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: true,
    });
    expect(annotationHints(toolWith({ static: { text: 'x' } }))).toEqual({
      readOnlyHint: true,
      openWorldHint: false,
    });
    expect(
      annotationHints(toolWith({ static: { text: 'x' }, annotations: { readOnly: false, openWorld: true } })),
    ).toEqual({ readOnlyHint: false, openWorldHint: true });
    expect(annotationHints(toolWith({ code: { source: 'return 1;' } }))).toBeUndefined();
  });
});

describe('emission, tests and environment come from the kind', () => {
  it('the code kind emits its own file, import and source mapping', () => {
    const spec = specWith([
      {
        name: 't',
        description: 'd',
        parameters: { n: { type: 'integer', required: true } },
        code: { source: "return ctx.env('SHOP_API_KEY') + args.n;" },
      },
    ]);
    const tool = spec.tools[0]!;
    const used = new Set<string>();
    const found = implementationOf(tool)!;
    const emitted = found.kind.emit(found.impl, {
      spec,
      tool,
      pagination: PAGINATION,
      identifier: (name) => name.replace(/\W/g, '_'),
      fileStem: (name) => {
        used.add(name);
        return name;
      },
    });
    expect(emitted.imports).toEqual(["import run_t from './tools/t.js';"]);
    expect(emitted.sourceFile).toBe('src/tools/t.ts');
    expect(emitted.files?.['src/tools/t.ts']).toContain('export type Args = {\n  "n": number;\n};');
    expect(emitted.handler).toContain('run_t(args as unknown');
    expect(used).toEqual(new Set(['t']));
  });

  it('the static kind is synchronous', () => {
    const tool = toolWith({ static: { text: 'hi' } });
    const found = implementationOf(tool)!;
    expect(found.kind.emit(found.impl, {} as never)).toEqual({
      handler: '(args) => renderText("hi", args)',
      sync: true,
    });
  });

  it('environment: the connection a tool uses and the variables its code reads', () => {
    const spec = specWith([
      { name: 'q', description: 'd', query: { connection: 'db' } },
      { name: 'c', description: 'd', code: { source: "return ctx.env('SHOP_TOKEN');" } },
    ]);
    const env = collectEnv(spec);
    expect(env.find((e) => e.name === 'DB_URL')?.tools).toEqual(['q']);
    expect(env.find((e) => e.name === 'SHOP_TOKEN')).toEqual({
      name: 'SHOP_TOKEN',
      purpose: 'read by the code of c',
      required: true,
      secret: true,
      tools: ['c'],
    });
  });

  it('test cases: planned by the kind, or skipped for a reason the kind gives', () => {
    const spec = specWith([
      { name: 'q', description: 'd', query: { connection: 'db' } },
      { name: 'w', description: 'd', http: { connection: 'api', method: 'POST', path: '/' } },
    ]);
    const cases = planTests(spec);
    expect(cases.filter((c) => c.tool === 'q').map((c) => c.name)).toEqual([
      'q runs a trivial query',
      'q refuses a write',
      'q rejects missing arguments',
    ]);
    expect(cases.find((c) => c.tool === 'w')?.skip).toBe('HTTP write operation without an example');
  });
});

describe('what the model is told', () => {
  it('hides importer-only kinds from its schema and explains each authored kind', () => {
    const tool = (llmSpecSchema().properties as Record<string, { items: { properties: object } }>).tools
      .items;
    const prompt = systemPrompt({ includeSchema: false });
    for (const kind of KINDS) {
      expect(Object.keys(tool.properties).includes(kind.name), kind.name).toBe(!kind.importerOnly);
      if (kind.authoring) expect(prompt).toContain(`  - ${kind.authoring.promptLine}\n`);
    }
  });
});

describe('core/codegen', () => {
  it('types code-tool arguments from value schemas', () => {
    expect(
      tsObject(
        {
          a: { type: 'string', enum: ['x', 'y'] },
          b: { type: 'array', items: { type: 'integer' }, nullable: true },
        },
        '',
        () => false,
      ),
    ).toBe('{\n  "a"?: "x" | "y";\n  "b"?: Array<number> | null;\n}');
  });
});
