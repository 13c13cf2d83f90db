/**
 * The ToolKind contract: everything the factory knows about one way of implementing a tool (sql, http, code,
 * static, query, catalog) — its spec field, semantic checks, the handler it emits, default annotations, the
 * test cases it plans, the environment it needs and how the docs name it. Generic code (the spec model, the
 * checker, the generator, the test plan, the docs) iterates the KINDS table (./index.ts) and never names a kind.
 *
 * Every hook is pure. `Impl` is the value of the tool's field (`tool.sql`, `tool.http`, …) after defaults;
 * hooks are only called for the kind the tool actually uses.
 */
import type { z } from 'zod';
import type { JsonSchema } from '../codegen/json-schema.js';
import type { Connection, ServerSpec, Tool, ValueSchema } from '../spec/model.js';
import type { PathSegment } from '../spec/path.js';
import type { AddIssue } from '../spec/rules.js';

export interface Pagination {
  defaultLimit: number;
  maxLimit: number;
}

export interface ToolKind<Name extends string = string, Impl = unknown, ImplInput = Impl> {
  /** The tool field that selects this kind: `sql: { … }`. The table order is the spec's field order. */
  readonly name: Name;
  /** Schema of that field. */
  readonly schema: z.ZodType<Impl, ImplInput>;
  /** Description of the (optional) field on a tool, when it needs one beyond the schema's own. */
  readonly fieldDescription?: string;
  /**
   * Set for the kinds offered to spec authors by name: the "no implementation" hint lists them and the
   * system prompt of the natural-language path explains each with this line.
   */
  readonly authoring?: { promptLine: string };
  /** Produced only by importers: left out of the spec schema shown to the model. */
  readonly importerOnly?: boolean;

  /** Semantic checks of the field (references, placeholders, conflicts with other tool fields). */
  check?(impl: Impl, ctx: KindCheckContext): void;
  /** Parameters the kind adds to the declared ones (accepted in examples; may not be declared). */
  addedParameters?(impl: Impl): readonly string[];
  /** The parameters the tool really takes; default: the declared ones. */
  parameters?(impl: Impl, tool: Tool, pagination: Pagination): Record<string, ValueSchema>;
  /** How the value maps to structuredContent; default: from the tool's `returns`. */
  output?(impl: Impl, tool: Tool): OutputPlan;
  /** Annotation hints inferred from the implementation; the tool's own `annotations` win. */
  annotations?(impl: Impl): AnnotationDefaults;

  /** The handler expression in src/server.ts and whatever it needs. */
  emit(impl: Impl, ctx: KindEmitContext): EmittedHandler;
  /** Shipped packages the implementation loads (added to the generated package.json). */
  dependencies?(impl: Impl): readonly string[];

  /** Test cases that replace the call with synthesised arguments when the tool has no examples. */
  testCases?(impl: Impl, ctx: KindTestContext): TestCase[];
  /** Why no call of this tool can run in the generated tests (e.g. a fixed upstream URL). */
  unreachable?(impl: Impl, spec: ServerSpec): string | undefined;
  /** Why a call with made-up arguments is not a test of this tool (it needs an explicit example). */
  needsExample?(impl: Impl, tool: Tool): string | undefined;

  /** The connection whose required variables the tool cannot run without. */
  connection?(impl: Impl, spec: ServerSpec): string | undefined;
  /** Environment variables the implementation itself reads (each required by the tool). */
  environment?(impl: Impl, tool: Tool, spec: ServerSpec): KindEnvVar[];

  /** The "Implementation" column of the generated README (Markdown). */
  label(impl: Impl): string;
}

export interface KindCheckContext {
  spec: ServerSpec;
  tool: Tool;
  /** Declared parameter names. */
  params: ReadonlySet<string>;
  /** A path below the tool: `at('sql', 'statement')`. */
  at(...rest: PathSegment[]): PathSegment[];
  add: AddIssue;
  /** Resolves a connection reference; reports an undefined connection or one of the wrong kind. */
  connection(name: string, path: PathSegment[], want: 'sql' | 'http' | 'dataset'): Connection | undefined;
}

export interface KindEmitContext {
  spec: ServerSpec;
  tool: Tool;
  pagination: Pagination;
  /** A fresh identifier in src/server.ts derived from a name. */
  identifier(name: string): string;
  /** A fresh file stem under src/tools/ derived from a name. */
  fileStem(name: string): string;
  /** Where a spec `file:` (relative to the spec) lands in the project; the generator copies it there. */
  assetPath?(file: string): string;
}

export interface EmittedHandler {
  /** `(args, ctx) => …`: the function toolHandler wraps. */
  handler: string;
  /** Import lines src/server.ts needs for it. */
  imports?: string[];
  /** Further project files, by path. */
  files?: Record<string, string>;
  /** The file that holds the spec's own source (compiler errors there map back to the spec). */
  sourceFile?: string;
  /** The handler is synchronous and cannot hang: the runtime skips its timer and abort signal. */
  sync?: boolean;
}

export interface AnnotationDefaults {
  readOnly?: boolean | undefined;
  destructive?: boolean | undefined;
  idempotent?: boolean | undefined;
  openWorld?: boolean | undefined;
}

export interface OutputPlan {
  schema?: JsonSchema;
  mode: 'object' | 'wrap' | 'none';
}

/** One call a generated server's own tests make. */
export interface TestCase {
  tool: string;
  name: string;
  arguments: Record<string, unknown>;
  expectError: boolean;
  contains?: string;
  /** The exact result (structuredContent, else the JSON of its text), numbers within 1e-9 relative. */
  equals?: unknown;
  /** Environment variables that must be set for this case to run. */
  requiresEnv: string[];
  /** Set when the case cannot run here (and why). */
  skip?: string;
}

export interface KindTestContext {
  spec: ServerSpec;
  tool: Tool;
  /** Variables the tool cannot run without. */
  requiresEnv: string[];
}

export interface KindEnvVar {
  name: string;
  purpose: string;
  secret: boolean;
}
