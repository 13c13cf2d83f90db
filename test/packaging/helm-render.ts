/**
 * A renderer for the subset of Helm's template language the factory chart (deploy/helm/mcp-factory) uses, so
 * the chart can be rendered and validated without a helm binary. The subset (documented in the chart's
 * README.md): actions `{{ pipeline }}` with `{{-`/`-}}` trimming and comments; `if`/`else`/`end`, `range` over
 * a list (`.` is the item, `$` the root); operands `.Values.…`, `.Release.…`, `.Chart.…`, `.`, `$`, string,
 * number and boolean literals, parenthesised pipelines; functions quote, toYaml, nindent, indent, default,
 * printf (%s %d %v), not, and, or. Anything else, and a reference to a value that does not exist, is an error
 * here (Helm would print `<no value>`), so a typo in a template fails the test instead of rendering quietly.
 */
import { stringify } from 'yaml';

type Value = unknown;
type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipeline: string }
  | { kind: 'if'; pipeline: string; whenTrue: Node[]; otherwise: Node[] }
  | { kind: 'range'; pipeline: string; body: Node[] };

export interface ReleaseContext {
  Values: Record<string, unknown>;
  Release: { Name: string; Namespace: string; Service: string };
  Chart: Record<string, unknown>;
}

const ACTION = /\{\{(-\s)?([\s\S]*?)(\s-)?\}\}/g;

function tokenize(source: string): Array<{ text: string } | { action: string }> {
  const parts: Array<{ text: string } | { action: string }> = [];
  let last = 0;
  let trimNext = false;
  for (const m of source.matchAll(ACTION)) {
    let text = source.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1]) text = text.replace(/\s+$/, '');
    parts.push({ text });
    const body = m[2]!.trim();
    if (!body.startsWith('/*')) parts.push({ action: body });
    else if (!body.endsWith('*/')) throw new Error(`unterminated comment: {{${m[2]}}}`);
    trimNext = Boolean(m[3]);
    last = m.index + m[0].length;
  }
  let rest = source.slice(last);
  if (trimNext) rest = rest.replace(/^\s+/, '');
  parts.push({ text: rest });
  return parts;
}

function parse(source: string): Node[] {
  const root: Node[] = [];
  // A stack of the node lists being filled: the current if/range body (or else branch).
  const stack: Array<{ list: Node[]; node?: Node }> = [{ list: root }];
  for (const part of tokenize(source)) {
    const top = stack[stack.length - 1]!;
    if ('text' in part) {
      if (part.text) top.list.push({ kind: 'text', text: part.text });
      continue;
    }
    const [word, ...rest] = part.action.split(/\s+/);
    const pipeline = rest.join(' ');
    if (word === 'if') {
      const node: Node = { kind: 'if', pipeline, whenTrue: [], otherwise: [] };
      top.list.push(node);
      stack.push({ list: node.whenTrue, node });
    } else if (word === 'range') {
      const node: Node = { kind: 'range', pipeline, body: [] };
      top.list.push(node);
      stack.push({ list: node.body, node });
    } else if (word === 'else') {
      if (top.node?.kind !== 'if' || rest.length > 0) throw new Error(`unsupported else: {{${part.action}}}`);
      top.list = top.node.otherwise;
    } else if (word === 'end') {
      if (stack.length === 1) throw new Error('{{end}} without an open block');
      stack.pop();
    } else if (['with', 'define', 'template', 'include', 'block'].includes(word!)) {
      throw new Error(`outside the chart's template subset: {{${part.action}}}`);
    } else top.list.push({ kind: 'action', pipeline: part.action });
  }
  if (stack.length !== 1) throw new Error('a block is not closed with {{end}}');
  return root;
}

/** Go template truthiness: false, 0, nil, and empty strings, lists and maps are false. */
function truthy(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

function toYaml(v: Value): string {
  return stringify(v, { lineWidth: 0 }).replace(/\n$/, '');
}

function indentLines(n: number, s: string): string {
  return s
    .split('\n')
    .map((line) => `${' '.repeat(n)}${line}`)
    .join('\n');
}

function printf(format: string, ...args: Value[]): string {
  let i = 0;
  return format.replace(/%[sdv%]/g, (spec) => {
    if (spec === '%%') return '%';
    if (i >= args.length) throw new Error(`printf ${JSON.stringify(format)}: too few arguments`);
    return String(args[i++]);
  });
}

const FUNCTIONS: Record<string, (...args: Value[]) => Value> = {
  // sprig's quote is Go's %q; JSON's escapes are valid in YAML double-quoted scalars too.
  quote: (v) => JSON.stringify(String(v)),
  toYaml,
  nindent: (n, s) => `\n${indentLines(Number(n), String(s))}`,
  indent: (n, s) => indentLines(Number(n), String(s)),
  default: (fallback, v) => (truthy(v) ? v : fallback),
  printf: (format, ...args) => printf(String(format), ...args),
  not: (v) => !truthy(v),
  and: (...args) => args.find((a) => !truthy(a)) ?? args[args.length - 1],
  or: (...args) => args.find((a) => truthy(a)) ?? args[args.length - 1],
};

/** Split at `sep` outside quotes and parentheses. */
function splitTop(text: string, sep: RegExp): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      current += c;
      if (c === '\\') current += text[++i] ?? '';
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (depth === 0 && sep.test(c)) {
      if (current.trim()) out.push(current.trim());
      current = '';
    } else current += c;
  }
  if (quoted || depth !== 0) throw new Error(`unbalanced quotes or parentheses: ${text}`);
  if (current.trim()) out.push(current.trim());
  return out;
}

class Scope {
  constructor(
    readonly root: ReleaseContext,
    readonly dot: Value,
  ) {}

  field(base: Value, path: string, whole: string): Value {
    let v = base;
    for (const key of path.split('.').filter(Boolean)) {
      if (v === null || typeof v !== 'object' || !Object.hasOwn(v as object, key))
        throw new Error(`${whole}: no value at ${JSON.stringify(key)}`);
      v = (v as Record<string, Value>)[key];
    }
    return v;
  }

  operand(token: string): Value {
    if (token.startsWith('(') && token.endsWith(')')) return this.pipeline(token.slice(1, -1));
    if (token.startsWith('"')) return JSON.parse(token) as string;
    if (/^-?\d+$/.test(token)) return Number(token);
    if (token === 'true' || token === 'false') return token === 'true';
    if (token === '.') return this.dot;
    if (token === '$') return this.root;
    if (token.startsWith('$.')) return this.field(this.root, token.slice(2), token);
    if (token.startsWith('.')) return this.field(this.dot, token.slice(1), token);
    throw new Error(`unsupported operand ${token}`);
  }

  command(text: string, piped: Value[]): Value {
    const [head, ...args] = splitTop(text, /\s/);
    const fn = FUNCTIONS[head!];
    if (fn) return fn(...args.map((a) => this.operand(a)), ...piped);
    if (args.length > 0 || piped.length > 0) throw new Error(`${head} is not a function of the subset`);
    return this.operand(head!);
  }

  pipeline(text: string): Value {
    let value: Value[] = [];
    for (const command of splitTop(text, /\|/)) value = [this.command(command, value)];
    return value[0];
  }
}

function print(v: Value, pipeline: string): string {
  if (v === null || v === undefined || typeof v === 'object')
    throw new Error(`{{ ${pipeline} }} prints ${JSON.stringify(v)}: use toYaml for lists and maps`);
  return String(v);
}

function evaluate(nodes: Node[], scope: Scope): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'action') out += print(scope.pipeline(node.pipeline), node.pipeline);
    else if (node.kind === 'if')
      out += evaluate(truthy(scope.pipeline(node.pipeline)) ? node.whenTrue : node.otherwise, scope);
    else {
      const list = scope.pipeline(node.pipeline);
      if (!Array.isArray(list)) throw new Error(`range over a non-list: ${node.pipeline}`);
      for (const item of list) out += evaluate(node.body, new Scope(scope.root, item));
    }
  }
  return out;
}

export function renderTemplate(source: string, context: ReleaseContext): string {
  return evaluate(parse(source), new Scope(context, context));
}

/** Helm's values merge: maps merge key by key, everything else (lists too) is replaced. */
export function mergeValues(base: Value, override: Value): Value {
  const isMap = (v: Value) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isMap(base) || !isMap(override)) return structuredClone(override);
  const out = structuredClone(base) as Record<string, Value>;
  for (const [key, value] of Object.entries(override as Record<string, Value>))
    out[key] = key in out ? mergeValues(out[key], value) : structuredClone(value);
  return out;
}
