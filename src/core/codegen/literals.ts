/**
 * Safe emitters: every string that comes from a spec passes through one of these before it lands in
 * generated code, comments, Markdown, Dockerfiles or JSON. Pure and dependency-free, so the tool kinds
 * (core/kinds) and the generator (build/generator) share them.
 */

/** A TypeScript/JavaScript expression for any JSON value. JSON is valid JS; U+2028/9 escaped for old parsers. */
export function lit(value: unknown): string {
  return (JSON.stringify(value) ?? 'undefined').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Pretty JSON literal, indented to sit inside generated code. */
export function litPretty(value: unknown, indent = 0): string {
  const pad = ' '.repeat(indent);
  return lit(value) === 'undefined'
    ? 'undefined'
    : JSON.stringify(value, null, 2)
        .replace(/\u2028/g, '\\u2028')
        .replace(/\u2029/g, '\\u2029')
        .split('\n')
        .join(`\n${pad}`);
}

/** Text for a `//` comment: one line, no comment terminators, no control characters. */
export function commentText(text: string, max = 200): string {
  const flat = text
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/\*\//g, '* /');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Text for a Markdown table cell or inline position: no pipes, newlines, HTML or backticks that break out. */
export function mdInline(text: string): string {
  return text
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/`/g, '&#96;');
}

/** A Markdown paragraph: HTML neutralised, fences cannot be opened. */
export function mdBlock(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/^(\s*)(```|~~~)/gm, '$1\\$2');
}

/** A valid, readable TypeScript identifier derived from a name, unique within `used`. */
export function identifier(name: string, used: Set<string>, style: 'camel' | 'pascal' = 'camel'): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  let id = words
    .map((w, i) =>
      i === 0 && style === 'camel'
        ? w.charAt(0).toLowerCase() + w.slice(1)
        : w.charAt(0).toUpperCase() + w.slice(1),
    )
    .join('');
  if (!id) id = style === 'camel' ? 'item' : 'Item';
  if (/^[0-9]/.test(id)) id = `${style === 'camel' ? 'n' : 'N'}${id}`;
  if (RESERVED.has(id)) id = `${id}_`;
  let candidate = id;
  for (let i = 2; used.has(candidate); i++) candidate = `${id}${i}`;
  used.add(candidate);
  return candidate;
}

/** A file name derived from a tool name (tool names may contain dots). */
export function fileStem(name: string, used: Set<string>): string {
  const base = name.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^[-_]+/, '') || 'tool';
  let candidate = base;
  for (let i = 2; used.has(candidate.toLowerCase()); i++) candidate = `${base}_${i}`;
  used.add(candidate.toLowerCase());
  return candidate;
}

const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await async of arguments eval undefined NaN Infinity'.split(
    ' ',
  ),
);
