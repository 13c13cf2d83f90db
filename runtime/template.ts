/** Fill `{{name}}` placeholders from tool arguments. Spec texts are data; nothing here evaluates code. */
const TOKEN = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;

/** A value as template text: strings as they are, objects as JSON, nothing for null/undefined. */
export function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string'
    ? value
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);
}

export function renderText(
  template: string,
  vars: Record<string, unknown>,
  encode: (s: string) => string = (s) => s,
): string {
  return template.replace(TOKEN, (_m, name: string) => encode(asText(vars[name])));
}

/** Render a JSON body template: a string that is exactly `{{name}}` keeps the argument's type. */
export function renderJson(template: unknown, vars: Record<string, unknown>): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    if (whole) return vars[whole[1]!] ?? null;
    return renderText(template, vars);
  }
  if (Array.isArray(template)) return template.map((t) => renderJson(t, vars));
  if (template && typeof template === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(template)) {
      const rendered = renderJson(v, vars);
      if (
        !(
          typeof v === 'string' &&
          WHOLE.test(v) &&
          rendered === null &&
          vars[WHOLE.exec(v)![1]!] === undefined
        )
      )
        out[k] = rendered;
    }
    return out;
  }
  return template;
}
