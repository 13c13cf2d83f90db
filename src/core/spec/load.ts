/**
 * Turn YAML/JSON text into a validated `ServerSpec`, reporting every problem at once with
 * file:line:col, JSON path and a hint. Pure: the caller reads files.
 */
import { type Document, isScalar, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ERROR_CODES, FactoryError, type Issue } from '../errors/index.js';
import { checkSpec, findLiteralSecrets, type PathIssue } from './check.js';
import { locate, locateKey } from './locate.js';
import { ServerSpec } from './model.js';
import { formatPath, type PathSegment } from './path.js';
import { salvageChecks } from './salvage.js';

export const MAX_SPEC_BYTES = 5 * 1024 * 1024;

export interface LoadOptions {
  /** Shown in positions; also decides the format when `format` is not given. */
  file?: string;
  format?: 'yaml' | 'json';
}

export interface LoadResult {
  ok: boolean;
  spec?: ServerSpec;
  issues: Issue[];
}

/** Parse and validate; never throws for bad input. */
export function loadSpecText(text: string, options: LoadOptions = {}): LoadResult {
  const file = options.file;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_SPEC_BYTES) {
    return fail([
      withFile(
        {
          code: 'SPEC_TOO_LARGE',
          message: `the spec is ${(bytes / 1048576).toFixed(1)} MiB; the maximum is ${MAX_SPEC_BYTES / 1048576} MiB`,
          path: '',
          hint: ERROR_CODES.SPEC_TOO_LARGE.hint,
        },
        file,
      ),
    ]);
  }
  if (text.trim() === '') {
    return fail([
      withFile(
        {
          code: 'SPEC_NOT_OBJECT',
          message: 'the file is empty',
          path: '',
          hint: ERROR_CODES.SPEC_NOT_OBJECT.hint,
        },
        file,
      ),
    ]);
  }
  const lineCounter = new LineCounter();
  const isJson = options.format === 'json' || (options.format === undefined && /\.json$/i.test(file ?? ''));
  if (isJson) {
    const problem = jsonSyntaxProblem(text);
    if (problem) return fail([withFile(problem, file)]);
  }
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return fail(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          code: 'SPEC_SYNTAX' as const,
          message: yamlMessage(e.code, e.message, text, e.pos[0]),
          path: '',
          hint:
            e.code === 'DUPLICATE_KEY' ? 'Remove or rename the repeated key.' : ERROR_CODES.SPEC_SYNTAX.hint,
          ...(file ? { file } : {}),
          line: pos.line,
          column: pos.col,
        };
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return fail([
      withFile(
        {
          code: 'SPEC_SYNTAX',
          message: (error as Error).message,
          path: '',
          hint: ERROR_CODES.SPEC_SYNTAX.hint,
        },
        file,
      ),
    ]);
  }
  if (hasCycle(data)) {
    return fail([
      withFile(
        {
          code: 'SPEC_SYNTAX',
          message: 'a YAML alias refers to the node that contains it (a cycle)',
          path: '',
          hint: 'Remove the self-referencing alias (*name inside &name).',
        },
        file,
      ),
    ]);
  }
  try {
    return validateSpec(data, { file, doc, lineCounter, text });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return fail([
      withFile(
        {
          code: 'SPEC_SYNTAX',
          message: 'the document is nested too deeply to validate',
          path: '',
          hint: 'Flatten the structure; specs need only a few levels of nesting.',
        },
        file,
      ),
    ]);
  }
}

/** JSON is parsed strictly (a .json spec with a trailing comma is an error, not lenient YAML). */
function jsonSyntaxProblem(text: string): Issue | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const message = (error as Error).message;
    const at = /position (\d+)/.exec(message);
    const offset = at ? Number(at[1]) : text.length;
    const before = text.slice(0, offset).split('\n');
    return {
      code: 'SPEC_SYNTAX',
      message: `invalid JSON: ${message.replace(/^JSON\.parse: /, '').replace(/ in JSON at position \d+.*$/, '')}`,
      path: '',
      hint: 'Fix the JSON at the reported position (trailing commas, single quotes and comments are not JSON).',
      line: before.length,
      column: (before[before.length - 1]?.length ?? 0) + 1,
    };
  }
}

function yamlMessage(code: string, message: string, text: string, offset: number): string {
  const first = message.split('\n')[0] ?? message;
  if (code === 'DUPLICATE_KEY') {
    const key = /^\s*["']?([^"':\n]+)/.exec(text.slice(offset))?.[1]?.trim();
    return key ? `the key "${key}" appears twice in the same mapping` : first;
  }
  return first;
}

function hasCycle(value: unknown, stack = new Set<object>(), depth = 0): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (stack.has(value) || depth > 200) return true;
  stack.add(value);
  for (const v of Array.isArray(value) ? value : Object.values(value))
    if (hasCycle(v, stack, depth + 1)) return true;
  stack.delete(value);
  return false;
}

interface SourceMap {
  file: string | undefined;
  doc: Document;
  lineCounter: LineCounter;
  /** The document text: lets positions point inside a value (at a placeholder). */
  text?: string;
}

/** Validate an already-parsed object (JSON from the API or --json); positions only when a source map is given. */
export function validateSpec(data: unknown, source?: SourceMap): LoadResult {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return fail([
      place(
        {
          code: 'SPEC_NOT_OBJECT',
          message: 'the spec must be a mapping with name, version and tools',
          path: [],
        },
        source,
      ),
    ]);
  }
  const secrets = findLiteralSecrets(data);
  const parsed = ServerSpec.safeParse(data);
  if (!parsed.success) {
    const issues = [
      ...parsed.error.issues.flatMap((zi) => fromZodIssue(zi, data)),
      ...salvageChecks(data as Record<string, unknown>),
      ...secrets,
    ].map((pi) => place(pi, source));
    return fail(sortByPosition(dedupe(issues)));
  }
  const semantic = [...checkSpec(parsed.data), ...secrets].map((pi) => place(pi, source));
  if (semantic.length > 0) return fail(sortByPosition(dedupe(semantic)));
  return { ok: true, spec: parsed.data, issues: [] };
}

/** Like `loadSpecText`, but throws a `FactoryError` carrying every issue. */
export function parseSpecOrThrow(text: string, options: LoadOptions = {}): ServerSpec {
  const result = loadSpecText(text, options);
  if (!result.ok || !result.spec) throw specError(result.issues, options.file);
  return result.spec;
}

export function specError(issues: Issue[], file?: string): FactoryError {
  const first = issues[0];
  return new FactoryError(
    first?.code ?? 'SPEC_INVALID_VALUE',
    `${file ?? 'spec'}: ${issues.length} problem${issues.length === 1 ? '' : 's'} found`,
    {
      issues,
    },
  );
}

export const MAX_ISSUES = 200;

function fail(issues: Issue[]): LoadResult {
  if (issues.length <= MAX_ISSUES) return { ok: false, issues };
  const kept = issues.slice(0, MAX_ISSUES);
  const rest = issues.length - MAX_ISSUES;
  return {
    ok: false,
    issues: [
      ...kept,
      {
        code: kept[0]!.code,
        message: `…and ${rest} more problem${rest === 1 ? '' : 's'}`,
        path: '',
        hint: 'Fix the ones above and validate again.',
      },
    ],
  };
}

function withFile(issue: Issue, file: string | undefined): Issue {
  return file ? { ...issue, file } : issue;
}

function place(pi: PathIssue, source: SourceMap | undefined): Issue {
  const issue: Issue = {
    code: pi.code,
    message: pi.message,
    path: formatPath(pi.path),
    hint: pi.hint ?? ERROR_CODES[pi.code].hint,
  };
  if (!source) return issue;
  if (pi.code === 'SPEC_INVALID_TYPE' && issue.hint.startsWith('Quote the value')) {
    // YAML turned `1.0` into the number 1: quote what the person wrote, not what the parser made of it.
    const node = source.doc.getIn(pi.path, true);
    const written = isScalar(node) ? (node as { source?: string }).source : undefined;
    if (written) issue.hint = issue.hint.replace(/"[^"]*"/, JSON.stringify(written));
  }
  const pos =
    (pi.needle ? locateInside(source, pi.path, pi.needle) : undefined) ??
    (pi.code === 'SPEC_UNKNOWN_FIELD'
      ? locateKey(source.doc, source.lineCounter, pi.path)
      : locate(source.doc, source.lineCounter, pi.path));
  return {
    ...issue,
    ...(source.file ? { file: source.file } : {}),
    ...(pos ? { line: pos.line, column: pos.column } : {}),
  };
}

/** Position of `needle` inside the source text of the value at `path` (multi-line SQL, long templates). */
function locateInside(
  source: SourceMap,
  path: PathSegment[],
  needle: string,
): { line: number; column: number } | undefined {
  const node = source.doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  if (!source.text || !node?.range) return undefined;
  const at = source.text.slice(node.range[0], node.range[1]).indexOf(needle);
  if (at < 0) return undefined;
  const pos = source.lineCounter.linePos(node.range[0] + at);
  return { line: pos.line, column: pos.col };
}

/** Document order: what a person fixes top to bottom. Issues without a position keep their relative order. */
function sortByPosition(issues: Issue[]): Issue[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort(
      (a, b) =>
        (a.issue.line ?? 0) - (b.issue.line ?? 0) ||
        (a.issue.column ?? 0) - (b.issue.column ?? 0) ||
        a.index - b.index,
    )
    .map((x) => x.issue);
}

function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.code}|${i.path}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const UNKNOWN_FIELD_HINTS: Record<string, string> = {
  url: 'Connection URLs are secrets: put the URL in an environment variable and write `envVar: DATABASE_URL`.',
  connectionString:
    'Connection URLs are secrets: put the URL in an environment variable and write `envVar: DATABASE_URL`.',
  password:
    'Passwords must come from the environment: use `envVar` (databases) or `auth` with env references (http).',
  token: 'Tokens must come from the environment: use `auth: { type: bearer, envVar: API_TOKEN }`.',
  apiKey:
    'Keys must come from the environment: use `auth: { type: api_key, name: X-API-Key, envVar: API_KEY }`.',
  connection: 'Put the connection inside the implementation, e.g. `sql: { connection: db, statement: ... }`.',
  outputSchema: 'The output schema is called `returns`.',
  inputSchema: 'Parameters are declared under `parameters:` as `name: { type: string }`.',
};

function getAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg as string];
  }
  return cur;
}

function typeName(expected: string): string {
  return expected === 'record' || expected === 'object'
    ? 'a mapping'
    : expected === 'array'
      ? 'a list'
      : expected;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)?.slice(0, 60)}`;
}

function fromZodIssue(zi: z.core.$ZodIssue, data: unknown): PathIssue[] {
  const path = zi.path.filter((p): p is string | number => typeof p !== 'symbol') as PathSegment[];
  const last = path[path.length - 1];
  switch (zi.code) {
    case 'unrecognized_keys':
      return zi.keys.map((key) => {
        const hint = UNKNOWN_FIELD_HINTS[key];
        return {
          code: (key === 'password' || key === 'token' || key === 'apiKey'
            ? 'SPEC_LITERAL_SECRET'
            : 'SPEC_UNKNOWN_FIELD') as PathIssue['code'],
          message: `unknown field "${key}"`,
          path: [...path, key],
          ...(hint ? { hint } : {}),
        };
      });
    case 'invalid_type': {
      const actual = getAt(data, path);
      if (actual === undefined) {
        return [
          {
            code: 'SPEC_MISSING_FIELD',
            message: `missing required field "${String(last ?? '')}" (${zi.expected})`,
            path,
          },
        ];
      }
      const hint =
        zi.expected === 'string' && (typeof actual === 'number' || typeof actual === 'boolean')
          ? `Quote the value: "${String(actual)}" (YAML reads it as a ${typeof actual}).`
          : undefined;
      return [
        {
          code: 'SPEC_INVALID_TYPE',
          message: `expected ${typeName(zi.expected)}, got ${describeValue(actual)}`,
          path,
          ...(hint ? { hint } : {}),
        },
      ];
    }
    case 'invalid_union': {
      if (last === 'type') path.pop();
      const actual = getAt(data, path);
      const discriminator = (zi as { note?: string }).note?.includes('discriminator');
      if (discriminator || (actual && typeof actual === 'object' && 'type' in actual)) {
        const options = (zi as unknown as { options?: unknown[] }).options;
        const type = actual && typeof actual === 'object' ? (actual as { type?: unknown }).type : undefined;
        return [
          {
            code: type === undefined ? 'SPEC_MISSING_FIELD' : 'SPEC_INVALID_VALUE',
            message: type === undefined ? 'missing field "type"' : `unsupported type ${JSON.stringify(type)}`,
            path: [...path, 'type'],
            hint: options
              ? `Use one of: ${options.join(', ')}.`
              : 'Check the allowed `type` values in the schema.',
          },
        ];
      }
      // Report the branch that got furthest (most specific) for non-discriminated unions.
      const branches = (zi.errors ?? []) as z.core.$ZodIssue[][];
      const best = branches.sort((a, b) => a.length - b.length)[0];
      if (best && best.length > 0)
        return best.flatMap((inner) => fromZodIssue({ ...inner, path: [...zi.path, ...inner.path] }, data));
      return [{ code: 'SPEC_INVALID_VALUE', message: `invalid value: ${describeValue(actual)}`, path }];
    }
    case 'invalid_value':
      return [
        {
          code: 'SPEC_INVALID_VALUE',
          message: `${JSON.stringify(getAt(data, path))} is not allowed`,
          path,
          hint: `Use one of: ${zi.values.map((v) => JSON.stringify(v)).join(', ')}.`,
        },
      ];
    case 'invalid_format':
    case 'too_small':
    case 'too_big':
    case 'not_multiple_of':
    case 'custom': {
      const isName = last === 'name' || last === 'tool';
      const actual = getAt(data, path);
      return [
        {
          code: isName && zi.code === 'invalid_format' ? 'SPEC_INVALID_NAME' : 'SPEC_INVALID_VALUE',
          message: `${actual === undefined ? 'value' : JSON.stringify(actual)?.slice(0, 80)} ${zi.message.replace(/^Invalid (string|input): /, '')}`,
          path,
        },
      ];
    }
    case 'invalid_key':
      return [
        {
          code: 'SPEC_INVALID_NAME',
          message: `invalid key: ${zi.issues.map((i) => i.message).join('; ')}`,
          path,
        },
      ];
    default:
      return [{ code: 'SPEC_INVALID_VALUE', message: zi.message, path }];
  }
}
