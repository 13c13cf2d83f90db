/**
 * The file a code tool becomes (src/tools/<name>.ts) and the proof that the spec's body stays a body: the
 * generator and the check build the same text here, and the check parses it with a real TypeScript parser.
 * The parse must give exactly the three statements the generator writes, one `run` function whose body
 * closes at the generator's own last `}`, and both marker comments where the generator put them — so a body
 * that closes the function early (with `}`, or by opening a string, template, regex or comment that the
 * generator's text then ends) is refused instead of putting code at module top level, where it would run when
 * the server starts.
 */
import { parse } from '@babel/parser';
import { type AstNode, isNode } from './fold.js';

export const BODY_BEGINS = '// --- code.source begins ---';
export const BODY_ENDS = '// --- code.source ends ---';

export interface WrappedBody {
  text: string;
  /** Offset of the first character of the body in `text`. */
  bodyStart: number;
  /** Offset just past the body (the newline before the end marker). */
  bodyEnd: number;
  /** 1-based line of the body's first line in `text`. */
  firstLine: number;
}

/** src/tools/<name>.ts: the spec's body inside a typed `run` (the markers let compiler errors map back). */
export function wrapBody(toolName: string, argsType: string, source: string): WrappedBody {
  const head = [
    `// Code tool ${toolName}, from the spec. The body below is the spec's \`code.source\`.`,
    "import type { ToolContext } from '../runtime/tool.js';",
    '',
    `export type Args = ${argsType};`,
    '',
    'export default async function run(args: Args, ctx: ToolContext): Promise<unknown> {',
    '  void args;',
    '  void ctx;',
    BODY_BEGINS,
    '',
  ].join('\n');
  const tail = ['', BODY_ENDS, '}', ''].join('\n');
  return {
    text: head + source + tail,
    bodyStart: head.length,
    bodyEnd: head.length + source.length,
    firstLine: head.split('\n').length,
  };
}

export interface ParsedBody {
  /** The body's own statements (after the generator's `void args; void ctx;`). */
  statements: AstNode[];
}

export type BodyProblem = { message: string; offset: number };

/** Parse the wrapped file; a problem when it does not parse or the body escapes its function. */
export function parseWrapped(wrapped: WrappedBody): ParsedBody | BodyProblem {
  let file: { program: AstNode; comments?: AstNode[] | null };
  try {
    file = parse(wrapped.text, {
      sourceType: 'module',
      plugins: ['typescript'],
      createImportExpressions: true,
      errorRecovery: false,
      allowReturnOutsideFunction: false,
      allowAwaitOutsideFunction: false,
      allowImportExportEverywhere: false,
      allowUndeclaredExports: false,
    }) as unknown as { program: AstNode; comments?: AstNode[] | null };
  } catch (error) {
    const e = error as { message?: string; pos?: number };
    const message = String(e.message ?? error).replace(/\s*\(\d+:\d+\)$/, '');
    return {
      message: `does not parse: ${message}`,
      offset: typeof e.pos === 'number' ? e.pos : wrapped.bodyStart,
    };
  }
  const program = file.program;
  const top = (program.body as AstNode[]) ?? [];
  const directives = (program.directives as AstNode[]) ?? [];
  const escaped = (offset: number): BodyProblem => ({
    message:
      'the code leaves the function body: it must be only the statements of one function (no `}` that closes it, no unterminated string, template, regular expression or comment, no code at module level)',
    offset,
  });
  if (top.length !== 3 || directives.length > 0 || program.interpreter)
    return escaped(firstOutside(top, wrapped) ?? wrapped.bodyStart);
  const [imports, args, run] = top as [AstNode, AstNode, AstNode];
  const fn = isNode(run.declaration) ? run.declaration : undefined;
  const body = fn && isNode(fn.body) ? fn.body : undefined;
  const tailBrace = wrapped.text.lastIndexOf('}');
  if (
    imports.type !== 'ImportDeclaration' ||
    imports.end !== wrapped.text.indexOf('\n', wrapped.text.indexOf('import type')) ||
    args.type !== 'ExportNamedDeclaration' ||
    run.type !== 'ExportDefaultDeclaration' ||
    !fn ||
    fn.type !== 'FunctionDeclaration' ||
    !body ||
    body.end !== tailBrace + 1 ||
    run.end !== tailBrace + 1
  )
    return escaped(wrapped.bodyStart);
  const comments = file.comments ?? [];
  const beginAt = wrapped.bodyStart - BODY_BEGINS.length - 1;
  const endAt = wrapped.bodyEnd + 1;
  const marker = (at: number, text: string) =>
    comments.some((c) => c.type === 'CommentLine' && c.start === at && `//${String(c.value)}` === text);
  if (!marker(beginAt, BODY_BEGINS) || !marker(endAt, BODY_ENDS)) return escaped(wrapped.bodyEnd);
  const statements = (body.body as AstNode[]) ?? [];
  if ((body.directives as AstNode[] | undefined)?.length) return escaped(wrapped.bodyStart);
  const own = statements.slice(2);
  for (const s of statements.slice(0, 2))
    if (s.type !== 'ExpressionStatement' || (s.end ?? 0) > beginAt) return escaped(wrapped.bodyStart);
  for (const s of own)
    if ((s.start ?? -1) < wrapped.bodyStart || (s.end ?? Number.POSITIVE_INFINITY) > wrapped.bodyEnd)
      return escaped(s.start ?? wrapped.bodyStart);
  return { statements: own };
}

function firstOutside(top: AstNode[], wrapped: WrappedBody): number | undefined {
  const last = top[top.length - 1];
  return last && typeof last.start === 'number' && last.start >= wrapped.bodyStart ? last.start : undefined;
}
