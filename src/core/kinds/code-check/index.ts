/**
 * The code check: the body of a `code` tool, wrapped exactly as the generator writes it and parsed with a real
 * TypeScript parser (Babel), must be one function body and must not reach code execution or the host (see
 * analyze.ts). Every finding but a granted host access is HIGH or CRITICAL and refuses the spec. Pure.
 */
import { analyzeStatements } from './analyze.js';
import { CODE_RULES, type CodeFinding, type CodeRule } from './rules.js';
import { parseWrapped, wrapBody } from './wrap.js';

export { CODE_TOOL_PACKAGES, classifyModule, HOST_MODULES, type HostModule } from './modules.js';
export { CODE_RULES, type CodeFinding, type CodeRule, type CodeSeverity } from './rules.js';
export { BODY_BEGINS, BODY_ENDS, wrapBody } from './wrap.js';

export interface CodeCheckInput {
  /** The tool name as it appears in the generated file's header comment (a JS string literal). */
  toolLiteral: string;
  /** The TypeScript type of `args`, as the generator writes it. */
  argsType: string;
  source: string;
  /** Host built-ins the spec opts into with `code.hostAccess.modules`. */
  hostModules?: readonly string[] | undefined;
}

/** Every finding of the body, in source order (info findings record granted host access). */
export function checkCodeBody(input: CodeCheckInput): CodeFinding[] {
  const wrapped = wrapBody(input.toolLiteral, input.argsType, input.source);
  const at = (offset: number) => position(input.source, offset - wrapped.bodyStart);
  const finding = (rule: CodeRule, message: string, offset: number): CodeFinding => ({
    rule,
    severity: CODE_RULES[rule].severity,
    message,
    hint: CODE_RULES[rule].hint,
    ...at(offset),
  });
  const parsed = parseWrapped(wrapped);
  if ('message' in parsed) return [finding('code-structure', parsed.message, parsed.offset)];
  try {
    return analyzeStatements(parsed.statements, { hostModules: new Set(input.hostModules ?? []) }).map((f) =>
      finding(f.rule, f.message, f.offset),
    );
  } catch (error) {
    // A body nested too deeply for the walk is refused, never passed unchecked.
    if (!(error instanceof RangeError)) throw error;
    return [finding('code-structure', 'the code is nested too deeply to check', wrapped.bodyStart)];
  }
}

/** True when a finding refuses the body (everything above info). */
export function isBlocking(finding: CodeFinding): boolean {
  return finding.severity !== 'info';
}

/** 1-based line and column of an offset into the body (clamped to the body). */
function position(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, Math.max(0, Math.min(offset, source.length)));
  const lines = before.split(/\r\n|[\n\r\u2028\u2029]/);
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}
