/**
 * Declared requirements of each scenario, read from the scenario descriptions compiled into the installed
 * suite ("Implement tool `test_simple_text`", "**Endpoint**: `logging/setLevel`", "- `slow_compute` —
 * task-supporting ..."). Best effort: the bundle is minified, so a scenario whose description cannot be
 * found simply declares nothing.
 */
import type { DeclaredRequirements } from './types.js';

export function parseDeclaredRequirements(cliSource: string): Record<string, DeclaredRequirements> {
  const out: Record<string, DeclaredRequirements> = {};
  const re =
    /name=`([a-z0-9][a-z0-9/-]*)`,[\s\S]{0,400}?description=(`(?:[^`\\]|\\[\s\S])*`|"(?:[^"\\]|\\[\s\S])*")/g;
  for (const m of cliSource.matchAll(re)) {
    const literal = m[2] as string;
    let d: string;
    try {
      d =
        literal[0] === '"'
          ? (JSON.parse(literal) as string)
          : literal.slice(1, -1).replace(/\\`/g, '`').replace(/\\n/g, '\n');
    } catch {
      continue;
    }
    const fixtures = new Set<string>();
    for (const x of d.matchAll(
      /\b(tool|prompt|resource|template)s?\s+(?:named\s+|called\s+)?`([^`\s$]+)`/gi,
    )) {
      fixtures.add(x[2] as string);
    }
    for (const x of d.matchAll(/^\s*[-*]\s+`([a-z][a-z0-9_]*_[a-z0-9_]+)`/gm)) fixtures.add(x[1] as string);
    for (const x of d.matchAll(/`(test:\/\/[^`\s]+)`/g)) fixtures.add(x[1] as string);
    const endpoints = new Set(
      [...d.matchAll(/\*\*Endpoint\*\*:\s*`([a-z]+\/[A-Za-z/]+)`/g)].map((x) => x[1] as string),
    );
    out[m[1] as string] = { fixtures: [...fixtures], endpoints: [...endpoints] };
  }
  return out;
}
