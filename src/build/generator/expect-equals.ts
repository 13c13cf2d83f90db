/**
 * `expect.equals` of a tool example: the result's structuredContent — or, when it has none, the JSON parsed from
 * its text (the text itself when it is not JSON) — must deep-equal the expected value; numbers compare with a
 * relative tolerance of 1e-9, object keys in any order, arrays in order.
 *
 * One implementation for both runners: `mcp-factory test --all` (build/verify/cases.ts) calls these functions,
 * and the generated test/server.test.mjs embeds their source (EXPECT_EQUALS_SOURCE), so they must stay
 * self-contained plain functions (no imports, no references outside their own bodies).
 */

/** Deep equality with numbers equal within a relative tolerance of 1e-9. */
export function approxEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === b) return true;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
    return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => approxEqual(item, b[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((k) => Object.hasOwn(right, k) && approxEqual(left[k], right[k]));
}

/** The value a result stands for: structuredContent, else the JSON of its text, else the text. */
export function resultValue(structuredContent: unknown, text: string): unknown {
  if (structuredContent !== undefined && structuredContent !== null) return structuredContent;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Why the result does not equal the expected value (a short diff), or undefined when it does. */
export function equalsProblem(
  expected: unknown,
  structuredContent: unknown,
  text: string,
): string | undefined {
  const actual = resultValue(structuredContent, text);
  if (approxEqual(actual, expected)) return undefined;
  const show = (v: unknown) => {
    const s = JSON.stringify(v) ?? String(v);
    return s.length > 400 ? `${s.slice(0, 400)}…` : s;
  };
  return `expected the result to equal ${show(expected)}, got ${show(actual)}`;
}

/** The three functions as JavaScript source, for the generated test file. */
export const EXPECT_EQUALS_SOURCE = [approxEqual, resultValue, equalsProblem]
  .map((f) => f.toString())
  .join('\n');
