/**
 * The code check of the `code` tool kind, by effect. Every attack of the corpus is first shown to work when the
 * body is wrapped as the generator wraps it and run (it writes its marker file), then shown to be refused: the
 * spec does not validate, and a create from it fails with SPEC_UNSAFE_CODE before anything is written to the
 * output directory or run (the marker never appears). Benign bodies, the examples and every template pass.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { FactoryError } from '../../src/core/errors/index.js';
import { codeFindings } from '../../src/core/kinds/code.js';
import { checkCodeBody, wrapBody } from '../../src/core/kinds/code-check/index.js';
import { loadSpecText, ServerSpec, validateSpec } from '../../src/core/spec/index.js';
import { instantiateTemplate, TEMPLATES } from '../../src/sources/templates/index.js';
import { REPRESENTATIVE } from '../templates/helpers.js';
import { ATTACKS, BENIGN } from './code-body-corpus.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'mcpf-code-body-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function specOf(body: string, extra: Record<string, unknown> = {}, args: Record<string, unknown> = {}) {
  return {
    name: 'attack',
    version: '1.0.0',
    tools: [
      {
        name: 'pwn',
        description: 'A tool.',
        parameters: Object.fromEntries(Object.keys(args).map((k) => [k, { type: 'string' }])),
        code: { source: body, ...extra },
        examples: [{ arguments: args }],
      },
    ],
  };
}

/** Wrap the body exactly as the generator does, strip the types, and run it as a module: did it write `marker`? */
function runWrapped(
  dir: string,
  body: (marker: string) => string,
  args: Record<string, unknown>,
): { ran: boolean; output: string } {
  mkdirSync(dir, { recursive: true });
  const marker = join(dir, 'marker');
  const text = wrapBody('"pwn"', '{ [key: string]: unknown }', body(JSON.stringify(marker))).text;
  let js: string;
  try {
    js = transformSync(text, { loader: 'ts', format: 'esm' }).code;
  } catch (error) {
    return { ran: false, output: `does not compile: ${(error as Error).message.split('\n')[0]}` };
  }
  writeFileSync(join(dir, 'tool.mjs'), js);
  writeFileSync(
    join(dir, 'runner.mjs'),
    [
      "import run from './tool.mjs';",
      "const ctx = { env: (n) => process.env[n] ?? '', log: { info() {}, warn() {}, error() {}, debug() {} }, signal: AbortSignal.timeout(10000), db() { throw new Error('no db'); } };",
      'await run(JSON.parse(process.argv[2]), ctx);',
    ].join('\n'),
  );
  const r = spawnSync(process.execPath, ['runner.mjs', JSON.stringify(args)], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { ran: existsSync(marker), output: `${r.stdout}${r.stderr}`.slice(-400) };
}

describe('the attack corpus', () => {
  it('has at least 40 cases, most of them proven live', () => {
    expect(ATTACKS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(ATTACKS.map((a) => a.name)).size).toBe(ATTACKS.length);
    expect(ATTACKS.filter((a) => a.live).length).toBeGreaterThanOrEqual(40);
  });

  // Without the check these bodies do what they say: the corpus is real, so refusing it means something.
  it('live cases write their marker when run unchecked; the others do not even run', () => {
    const failures: string[] = [];
    ATTACKS.forEach((attack, i) => {
      const result = runWrapped(join(work, `live-${i}`), attack.body, attack.args ?? {});
      if (result.ran !== attack.live)
        failures.push(`${attack.name} (live: ${attack.live}): ${result.output}`);
    });
    expect(failures).toEqual([]);
  }, 120_000);

  for (const attack of ATTACKS) {
    it(`refuses: ${attack.name}`, async () => {
      const dir = join(work, `refuse-${ATTACKS.indexOf(attack)}`);
      mkdirSync(dir, { recursive: true });
      const marker = join(dir, 'marker');
      const spec = specOf(attack.body(JSON.stringify(marker)), attack.code, attack.args);

      // 1. The spec does not validate, and says where and why.
      const validated = validateSpec(spec);
      expect(validated.ok).toBe(false);
      const issue = validated.issues.find((i) => i.code === 'SPEC_UNSAFE_CODE');
      expect(issue, JSON.stringify(validated.issues)).toBeDefined();
      expect(issue!.path).toBe('tools[0].code.source');
      expect(issue!.hint).toBeTruthy();
      expect(issue!.message).toMatch(/^(high|critical) code-[a-z-]+ at line \d+, column \d+ of the code: /);

      // 2. A create from it (the schema-valid spec, past the loader) fails before writing or running anything.
      const parsed = ServerSpec.parse(spec);
      const out = join(dir, 'out', 'server');
      let thrown: unknown;
      try {
        await createServerProject({ spec: parsed, specDir: dir, outDir: out, runTests: true });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(FactoryError);
      expect((thrown as FactoryError).code).toBe('SPEC_UNSAFE_CODE');
      expect(existsSync(out)).toBe(false);
      expect(existsSync(join(dir, 'out')) ? readdirSync(join(dir, 'out')) : []).toEqual([]);
      expect(existsSync(marker)).toBe(false);
    });
  }
});

describe('benign code', () => {
  for (const b of BENIGN) {
    it(`passes: ${b.name}`, () => {
      const result = validateSpec(specOf(b.body, {}, b.args));
      expect(result.issues).toEqual([]);
      expect(result.ok).toBe(true);
    });
  }

  it('passes for the examples and every template (with their declared host access)', () => {
    const problems: string[] = [];
    for (const file of ['examples/text-tools.yaml', 'examples/inventory.yaml']) {
      const r = loadSpecText(readFileSync(join(import.meta.dirname, '../..', file), 'utf8'));
      for (const i of r.issues) problems.push(`${file}: ${i.path} ${i.message}`);
    }
    let codeTools = 0;
    for (const t of TEMPLATES)
      for (const set of [REPRESENTATIVE[t.name]!, { ...REPRESENTATIVE[t.name]!, writable: 'true' }]) {
        if (t.name !== 'filesystem' && set.writable) continue;
        const r = validateSpec(instantiateTemplate(t.name, { name: 'x', set }));
        for (const i of r.issues) problems.push(`${t.name}: ${i.path} ${i.message}`);
        codeTools += (r.spec?.tools ?? []).filter((tool) => tool.code).length;
      }
    expect(problems).toEqual([]);
    expect(codeTools).toBeGreaterThan(10);
  });

  it('records granted host access as info findings, and refuses the same body without it', () => {
    const spec = validateSpec(
      instantiateTemplate('filesystem', { name: 'x', set: REPRESENTATIVE.filesystem! }),
    ).spec!;
    const tool = spec.tools[0]!;
    const findings = codeFindings(tool.code!, tool);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.rule === 'host-access-granted' && f.severity === 'info')).toBe(true);
    const { hostAccess: _granted, ...without } = tool.code!;
    const refused = codeFindings(without, tool);
    expect(refused.some((f) => f.rule === 'code-host-module' && f.severity === 'high')).toBe(true);
  });
});

/** Small bodies that each trip exactly the named rule (no other construct in them is refused). */
const RULE_CASES: Array<[string, string, string]> = [
  ['code-structure', 'return 1;\n}\nfunction again() {', 'leaves the function body'],
  ['code-structure', 'namespace N { export const a = 1; }\nreturn N.a;', 'a namespace'],
  ['code-eval', 'return eval("1");', 'eval'],
  ['code-function-constructor', 'return new Function("return 1");', 'Function'],
  ['code-function-constructor', 'const f = () => 1;\nreturn f.constructor;', '.constructor'],
  ['code-require', 'return typeof require;', 'require'],
  ['code-dynamic-import', 'const m = await import(String(args.m));\nreturn m;', 'computed'],
  ['code-import', "const m = await import('left-pad');\nreturn m;", 'not an allowed module'],
  ['code-host-module', "const m = await import('node:net');\nreturn typeof m;", 'host'],
  ['code-import-meta', 'return import.meta.url;', 'import.meta'],
  ['code-process', 'return Object.keys(process.env);', 'process.env'],
  ['code-process', 'return process.env.MCP_FACTORY_HOME;', 'factory'],
  ['code-process', "process.env.PATH = '/tmp';\nreturn 1;", 'changes'],
  ['code-global-object', 'return typeof globalThis;', 'globalThis'],
  ['code-reflection', 'return Object.getPrototypeOf(args);', 'getPrototypeOf'],
  ['code-reflection', '(Object.prototype as any).polluted = 1;\nreturn 1;', 'prototype'],
  ['code-reflection', 'return Reflect.ownKeys(args);', 'Reflect'],
  [
    'code-obfuscation',
    'const o: Record<string, unknown> = {};\nconst k = String(args.k);\nreturn (o as any)[k][k];',
    'same way',
  ],
  [
    'code-obfuscation',
    'const handlers: Record<string, () => number> = { a: () => 1 };\nreturn handlers[String(args.k)]!();',
    'computed',
  ],
  ['code-obfuscation', 'const o: any = {};\nconst v = o[String(args.k)];\nreturn [1].map(v);', 'passed on'],
  ['code-smuggled-name', "const name = 'child_' + 'process';\nreturn name;", 'host module'],
  ['code-smuggled-name', "return ['con', 'structor'].join('');", 'constructor'],
];

describe('each rule on its own', () => {
  it.each(RULE_CASES)('%s: %j', (rule, source, words) => {
    const findings = checkCodeBody({ toolLiteral: '"t"', argsType: '{ [key: string]: unknown }', source });
    expect(findings.map((f) => f.rule)).toContain(rule);
    expect(new Set(findings.map((f) => f.rule))).toEqual(new Set([rule]));
    expect(findings.find((f) => f.rule === rule)!.message).toContain(words);
  });
});

describe('positions and messages', () => {
  it('reports the line and column inside code.source', () => {
    const findings = checkCodeBody({
      toolLiteral: '"t"',
      argsType: '{}',
      source: "const a = 1;\nconst cp = await import('node:child_process');\nreturn a;",
    });
    expect(findings).toEqual([
      expect.objectContaining({ rule: 'code-host-module', severity: 'high', line: 2, column: 18 }),
    ]);
  });

  it('names a parse error in the body as a structure finding', () => {
    const [finding] = checkCodeBody({ toolLiteral: '"t"', argsType: '{}', source: 'const = ;' });
    expect(finding).toMatchObject({ rule: 'code-structure', severity: 'critical' });
    expect(finding!.message).toContain('does not parse');
  });

  it('keeps the generated file byte-identical to what the check parsed', () => {
    const source = 'return 1;';
    const wrapped = wrapBody('"t"', '{}', source);
    expect(wrapped.text.slice(wrapped.bodyStart, wrapped.bodyEnd)).toBe(source);
    expect(wrapped.text.endsWith('// --- code.source ends ---\n}\n')).toBe(true);
  });
});
