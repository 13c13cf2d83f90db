/**
 * The code kind: a TypeScript function body from the spec, emitted as src/tools/<name>.ts with typed `args`
 * and imported by src/server.ts. The body may read environment variables with ctx.env('NAME') and load the
 * pure Node built-ins and the packages MCP Factory ships for code tools. The code check (./code-check) parses
 * the body as the generator wraps it and refuses a body that is more than a function body or that reaches code
 * execution or the host; host built-ins need the spec's explicit `hostAccess` (and, for remote callers, a
 * token allowed it — identity/policy.ts).
 */
import { z } from 'zod';
import { tsObject } from '../codegen/json-schema.js';
import { lit } from '../codegen/literals.js';
import { FactoryError } from '../errors/index.js';
import type { Tool } from '../spec/model.js';
import {
  CODE_TOOL_PACKAGES,
  type CodeFinding,
  checkCodeBody,
  HOST_MODULES,
  isBlocking,
  wrapBody,
} from './code-check/index.js';
import type { ToolKind } from './types.js';

export { CODE_TOOL_PACKAGES } from './code-check/index.js';

const HostAccess = z
  .strictObject({
    modules: z
      .array(z.enum(HOST_MODULES))
      .min(1)
      .max(HOST_MODULES.length)
      .describe('Host built-ins the body may import (fs covers fs/promises).'),
    reason: z
      .string()
      .min(10)
      .max(500)
      .describe('Why this tool needs the host: recorded with the server and shown in reviews.'),
  })
  .describe(
    'Trusted local use only: lets the body import built-ins that reach the host (files, processes, sockets). Remote callers need a token allowed host access.',
  );

export const CodeImpl = z.strictObject({
  source: z
    .string()
    .min(1)
    .max(200_000)
    .describe(
      'TypeScript function body. Receives `args` (typed from parameters) and `ctx`; returns the result.',
    ),
  hostAccess: HostAccess.optional(),
});
export type CodeImpl = z.infer<typeof CodeImpl>;

const ENV_READ = /\bctx\s*\.\s*env\(\s*['"]([A-Z_][A-Z0-9_]*)['"]\s*\)/g;
/** `ctx.dataset('name', …)` with a literal connection name. */
const DATASET_USE = /\bctx\s*\.\s*dataset\(\s*(['"`])([^'"`]*)\1/g;

/** The dataset connections a body names literally (ctx.dataset('data', …)), in order, each once. */
export function datasetConnectionsUsed(code: CodeImpl): string[] {
  return [...new Set([...code.source.matchAll(DATASET_USE)].map((m) => m[2]!))];
}

/** The findings of a tool's body, as the generator will wrap it. */
export function codeFindings(code: CodeImpl, tool: Tool): CodeFinding[] {
  return checkCodeBody({
    toolLiteral: lit(tool.name),
    argsType: argsTypeOf(tool),
    source: code.source,
    hostModules: code.hostAccess?.modules,
  });
}

export const codeKind: ToolKind<'code', CodeImpl> = {
  name: 'code',
  schema: CodeImpl,
  authoring: {
    promptLine:
      'code: { source } — the BODY of `async function run(args: Args, ctx: ToolContext): Promise<unknown>` in strict TypeScript. `args` is typed from the parameters (a parameter that is neither required nor defaulted may be undefined). `ctx.db(connection).query(text, values)` resolves to { rows, affectedRows } and uses the driver\'s placeholders ($1, $2 for PostgreSQL; ? for MySQL and SQLite); `ctx.dataset(connection, file).query(sql, values)` runs one DuckDB statement over the view `dataset` of a data file (CSV, TSV, JSON, NDJSON, Parquet) of a dataset connection, values bound to $1, $2, and resolves to { rows, columns, truncated }; `ctx.env("NAME")` returns a required environment variable; `ctx.log.info(message, fields)` (stderr and the client); `ctx.signal` (aborted on timeout or cancellation: pass it to fetch and waits); `await ctx.progress(done, total?, message?)` for long work; `ctx.user` (HTTP with OAuth: { subject, clientId?, scopes, claims }, undefined otherwise) for per-caller filtering; `await ctx.elicit(message, requestedSchema)` asks the user → { action: "accept", content } or { action: "decline" | "cancel" }, and `(await ctx.sample(promptOrMessages, { maxTokens })).text` asks the client\'s model (on 2026-07-28 the body runs again with the answer, so ask before doing anything with effects); the global `fetch`. No import, require, eval, new Function, child_process or shell, no file-system access, no process.env, no `.constructor`, no computed property calls. Return a JSON-serialisable value; throw an Error for bad input. To return images, audio or files instead, `return ctx.content([{ type: "image", data, mimeType: "image/png" }, { type: "text", text }])` (blocks: text, image and audio with base64 or Uint8Array `data`, resource { uri, mimeType?, text | blob }, resource_link { uri, name }; pass the structured value as a second argument when the tool declares `returns`). Prefer sql, http and static tools; use code for computation.',
  },

  check(code, { tool, at, add, connection }) {
    for (const name of datasetConnectionsUsed(code)) connection(name, at('code', 'source'), 'dataset');
    for (const f of codeFindings(code, tool).filter(isBlocking))
      add(
        'SPEC_UNSAFE_CODE',
        `${f.severity} ${f.rule} at line ${f.line}, column ${f.column} of the code: ${f.message}`,
        at('code', 'source'),
        f.hint,
      );
  },

  emit(code, { tool, identifier, fileStem }) {
    // The spec was checked when it was loaded; a spec built in code is checked here, before anything is written.
    const blocking = codeFindings(code, tool).filter(isBlocking);
    if (blocking.length > 0)
      throw new FactoryError(
        'SPEC_UNSAFE_CODE',
        `code of tool "${tool.name}": ${blocking.length} finding(s); first: ${blocking[0]?.rule} at line ${blocking[0]?.line}: ${blocking[0]?.message}`,
        { details: { tool: tool.name, findings: blocking } },
      );
    const stem = fileStem(tool.name);
    const run = identifier(`run_${tool.name}`);
    const path = `src/tools/${stem}.ts`;
    return {
      handler: `(args, ctx) => ${run}(args as unknown as Parameters<typeof ${run}>[0], ctx)`,
      imports: [`import ${run} from './tools/${stem}.js';`],
      files: { [path]: wrapBody(lit(tool.name), argsTypeOf(tool), code.source).text },
      sourceFile: path,
    };
  },

  dependencies: (code) =>
    CODE_TOOL_PACKAGES.filter((name) => new RegExp(`import\\(\\s*['"]${name}['"]\\s*\\)`).test(code.source)),

  // The roots variable of the dataset connection the body queries is required by the tool.
  connection: (code, spec) =>
    datasetConnectionsUsed(code).find((name) =>
      spec.connections.some((c) => c.name === name && c.type === 'dataset'),
    ),

  environment: (code, tool) =>
    [...code.source.matchAll(ENV_READ)].map((m) => ({
      name: m[1]!,
      purpose: `read by the code of ${tool.name}`,
      secret: /KEY|TOKEN|SECRET|PASS/i.test(m[1]!),
    })),

  label: (code) =>
    code.hostAccess ? `TypeScript (host access: ${code.hostAccess.modules.join(', ')})` : 'TypeScript',
};

function argsTypeOf(tool: Tool): string {
  return tsObject(tool.parameters, '', (p) => !!p.required || p.default !== undefined);
}
