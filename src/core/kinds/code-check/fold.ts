/**
 * Constant folding for the code check: the string an expression always evaluates to, when the body builds a
 * name out of constants (`'constr' + 'uctor'`, template literals, `String.fromCharCode(…)`, `['e','val'].join('')`,
 * `atob('…')`, a `const` bound once to such an expression). Anything else is "not constant" (undefined) and the
 * rules about computed keys treat it as dynamic. Pure.
 */

/** A Babel AST node, read structurally (the check never needs the full node types). */
export interface AstNode {
  type: string;
  start?: number | null;
  end?: number | null;
  [key: string]: unknown;
}

export function isNode(value: unknown): value is AstNode {
  return (
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
  );
}

/** `const` names bound exactly once in the body, with their initialisers. */
export type Constants = ReadonlyMap<string, AstNode>;

const MAX_DEPTH = 32;
const MAX_LENGTH = 10_000;

type Value = string | number | Value[];

function child(node: AstNode, key: string): AstNode | undefined {
  const value = node[key];
  return isNode(value) ? value : undefined;
}

/** Unwrap parentheses and TypeScript-only wrappers (`x as T`, `x!`, `<T>x`, `x satisfies T`). */
export function unwrap(node: AstNode): AstNode {
  let n = node;
  while (
    n.type === 'TSAsExpression' ||
    n.type === 'TSNonNullExpression' ||
    n.type === 'TSSatisfiesExpression' ||
    n.type === 'TSTypeAssertion' ||
    n.type === 'TSInstantiationExpression' ||
    n.type === 'ParenthesizedExpression'
  ) {
    const inner = child(n, 'expression');
    if (!inner) break;
    n = inner;
  }
  return n;
}

/** The non-computed or constant name of a member/property key, or undefined when it is dynamic. */
export function keyName(key: AstNode, computed: boolean, consts: Constants): string | undefined {
  if (!computed) {
    if (key.type === 'Identifier' || key.type === 'PrivateName') return String(key.name ?? '');
    if (key.type === 'StringLiteral') return String(key.value);
    if (key.type === 'NumericLiteral') return String(key.value);
    return undefined;
  }
  return foldString(key, consts);
}

/** The string the expression always evaluates to, or undefined. */
export function foldString(node: AstNode, consts: Constants): string | undefined {
  const value = fold(node, consts, 0, new Set());
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function fold(node: AstNode, consts: Constants, depth: number, seen: Set<string>): Value | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const n = unwrap(node);
  const next = (x: AstNode | undefined) => (x ? fold(x, consts, depth + 1, seen) : undefined);
  switch (n.type) {
    case 'StringLiteral':
      return String(n.value);
    case 'NumericLiteral':
      return Number(n.value);
    case 'TemplateLiteral': {
      const quasis = (n.quasis as AstNode[]) ?? [];
      const expressions = (n.expressions as AstNode[]) ?? [];
      let out = '';
      for (let i = 0; i < quasis.length; i++) {
        const cooked = (quasis[i]?.value as { cooked?: string | null } | undefined)?.cooked;
        if (typeof cooked !== 'string') return undefined;
        out += cooked;
        if (i < expressions.length) {
          const v = next(expressions[i]);
          if (v === undefined || Array.isArray(v)) return undefined;
          out += String(v);
        }
      }
      return bounded(out);
    }
    case 'BinaryExpression': {
      if (n.operator !== '+') return undefined;
      const l = next(child(n, 'left'));
      const r = next(child(n, 'right'));
      if (l === undefined || r === undefined || Array.isArray(l) || Array.isArray(r)) return undefined;
      return typeof l === 'number' && typeof r === 'number' ? l + r : bounded(String(l) + String(r));
    }
    case 'Identifier': {
      const name = String(n.name);
      const init = consts.get(name);
      if (!init || seen.has(name)) return undefined;
      seen.add(name);
      const v = fold(init, consts, depth + 1, seen);
      seen.delete(name);
      return v;
    }
    case 'ArrayExpression': {
      const out: Value[] = [];
      for (const element of (n.elements as Array<AstNode | null>) ?? []) {
        if (!element || element.type === 'SpreadElement') return undefined;
        const v = next(element);
        if (v === undefined) return undefined;
        out.push(v);
      }
      return out;
    }
    case 'CallExpression':
    case 'OptionalCallExpression':
      return foldCall(n, consts, depth, seen);
    default:
      return undefined;
  }
}

function bounded(text: string): string | undefined {
  return text.length > MAX_LENGTH ? undefined : text;
}

function foldArgs(n: AstNode, consts: Constants, depth: number, seen: Set<string>): Value[] | undefined {
  const out: Value[] = [];
  for (const arg of (n.arguments as AstNode[]) ?? []) {
    if (arg.type === 'SpreadElement') {
      const spread = fold(child(arg, 'argument') as AstNode, consts, depth + 1, seen);
      if (!Array.isArray(spread)) return undefined;
      out.push(...spread);
      continue;
    }
    const v = fold(arg, consts, depth + 1, seen);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

/** The few pure calls that build strings: String.fromCharCode, String(x), atob, decodeURIComponent, methods. */
function foldCall(n: AstNode, consts: Constants, depth: number, seen: Set<string>): Value | undefined {
  const callee = unwrap(child(n, 'callee') as AstNode);
  const args = foldArgs(n, consts, depth, seen);
  if (!args) return undefined;
  const scalars = args.every((a) => !Array.isArray(a)) ? (args as Array<string | number>) : undefined;
  if (callee.type === 'Identifier' && scalars) {
    try {
      if (callee.name === 'String' && scalars.length === 1) return bounded(String(scalars[0]));
      if (callee.name === 'atob' && scalars.length === 1) return bounded(atob(String(scalars[0])));
      if (callee.name === 'decodeURIComponent' && scalars.length === 1)
        return bounded(decodeURIComponent(String(scalars[0])));
      if (callee.name === 'unescape' && scalars.length === 1) return bounded(unescape(String(scalars[0])));
    } catch {
      return undefined;
    }
    return undefined;
  }
  if (callee.type !== 'MemberExpression' && callee.type !== 'OptionalMemberExpression') return undefined;
  const object = unwrap(child(callee, 'object') as AstNode);
  const method = keyName(child(callee, 'property') as AstNode, callee.computed === true, consts);
  if (method === undefined) return undefined;
  if (object.type === 'Identifier' && object.name === 'String' && scalars) {
    if (method === 'fromCharCode' || method === 'fromCodePoint') {
      if (!scalars.every((c) => typeof c === 'number' && Number.isInteger(c) && c >= 0 && c <= 0x10ffff))
        return undefined;
      const codes = scalars as number[];
      return bounded(
        method === 'fromCharCode' ? String.fromCharCode(...codes) : String.fromCodePoint(...codes),
      );
    }
    if (method === 'raw') return undefined;
  }
  const target = fold(object, consts, depth + 1, seen);
  if (target === undefined) return undefined;
  if (Array.isArray(target)) {
    if (method === 'join' && scalars && scalars.length <= 1) {
      if (target.some((v) => Array.isArray(v))) return undefined;
      return bounded(target.join(scalars.length ? String(scalars[0]) : ','));
    }
    if (method === 'reverse' && args.length === 0) return [...target].reverse();
    if (method === 'concat') return [...target, ...args.flatMap((a) => (Array.isArray(a) ? a : [a]))];
    return undefined;
  }
  const text = String(target);
  if (!scalars) return undefined;
  switch (method) {
    case 'concat':
      return bounded(text + scalars.map(String).join(''));
    case 'toLowerCase':
    case 'toLocaleLowerCase':
      return text.toLowerCase();
    case 'toUpperCase':
    case 'toLocaleUpperCase':
      return text.toUpperCase();
    case 'trim':
      return text.trim();
    case 'normalize':
      return text.normalize();
    case 'split':
      return scalars.length === 1 ? text.split(String(scalars[0])) : undefined;
    case 'replace':
    case 'replaceAll':
      return scalars.length === 2 ? bounded(text[method](String(scalars[0]), String(scalars[1]))) : undefined;
    case 'slice':
    case 'substring':
      if (!scalars.every((s) => typeof s === 'number') || scalars.length > 2) return undefined;
      return text[method]((scalars[0] as number | undefined) ?? 0, scalars[1] as number | undefined);
    case 'repeat':
      return typeof scalars[0] === 'number' && scalars[0] <= 100
        ? bounded(text.repeat(scalars[0]))
        : undefined;
    case 'toString':
      return text;
    default:
      return undefined;
  }
}
