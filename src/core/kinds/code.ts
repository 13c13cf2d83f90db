/**
 * The code kind: a TypeScript function body from the spec, emitted as src/tools/<name>.ts with typed `args`
 * and imported by src/server.ts. The body may read environment variables with ctx.env('NAME') and load the
 * packages MCP Factory ships for code tools.
 */
import { z } from 'zod';
import { tsObject } from '../codegen/json-schema.js';
import { lit } from '../codegen/literals.js';
import type { Tool } from '../spec/model.js';
import type { ToolKind } from './types.js';

export const CodeImpl = z.strictObject({
  source: z
    .string()
    .min(1)
    .max(200_000)
    .describe(
      'TypeScript function body. Receives `args` (typed from parameters) and `ctx`; returns the result.',
    ),
});
export type CodeImpl = z.infer<typeof CodeImpl>;

/** Packages MCP Factory ships that code tools may load with `await import('name')`. */
export const CODE_TOOL_PACKAGES = ['nodemailer'] as const;

const ENV_READ = /\bctx\s*\.\s*env\(\s*['"]([A-Z_][A-Z0-9_]*)['"]\s*\)/g;

export const codeKind: ToolKind<'code', CodeImpl> = {
  name: 'code',
  schema: CodeImpl,
  authoring: {
    promptLine:
      'code: { source } — the BODY of `async function run(args: Args, ctx: ToolContext): Promise<unknown>` in strict TypeScript. `args` is typed from the parameters (a parameter that is neither required nor defaulted may be undefined). `ctx.db(connection).query(text, values)` resolves to { rows, affectedRows } and uses the driver\'s placeholders ($1, $2 for PostgreSQL; ? for MySQL and SQLite); `ctx.env("NAME")` returns a required environment variable; `ctx.log.info(message, fields)`; `ctx.signal`; the global `fetch`. No import, require, eval, new Function, child_process or shell, no file-system writes, no process.env. Return a JSON-serialisable value; throw an Error for bad input. Prefer sql, http and static tools; use code for computation.',
  },

  emit(code, { tool, identifier, fileStem }) {
    const stem = fileStem(tool.name);
    const run = identifier(`run_${tool.name}`);
    const path = `src/tools/${stem}.ts`;
    return {
      handler: `(args, ctx) => ${run}(args as unknown as Parameters<typeof ${run}>[0], ctx)`,
      imports: [`import ${run} from './tools/${stem}.js';`],
      files: { [path]: codeToolFile(tool, code) },
      sourceFile: path,
    };
  },

  dependencies: (code) =>
    CODE_TOOL_PACKAGES.filter((name) => new RegExp(`import\\(\\s*['"]${name}['"]\\s*\\)`).test(code.source)),

  environment: (code, tool) =>
    [...code.source.matchAll(ENV_READ)].map((m) => ({
      name: m[1]!,
      purpose: `read by the code of ${tool.name}`,
      secret: /KEY|TOKEN|SECRET|PASS/i.test(m[1]!),
    })),

  label: () => 'TypeScript',
};

/** src/tools/<name>.ts: the spec's body inside a typed `run` (markers let compiler errors map back). */
function codeToolFile(tool: Tool, code: CodeImpl): string {
  const argsType = tsObject(tool.parameters, '', (p) => !!p.required || p.default !== undefined);
  return [
    `// Code tool ${lit(tool.name)}, from the spec. The body below is the spec's \`code.source\`.`,
    "import type { ToolContext } from '../runtime/tool.js';",
    '',
    `export type Args = ${argsType};`,
    '',
    'export default async function run(args: Args, ctx: ToolContext): Promise<unknown> {',
    '  void args;',
    '  void ctx;',
    '// --- code.source begins ---',
    code.source,
    '// --- code.source ends ---',
    '}',
    '',
  ].join('\n');
}
