/** `{{name}}` templates used in http, static, resource and prompt texts. */
export interface TemplatePart {
  literal?: string;
  variable?: string;
}

const TOKEN = /\{\{\s*([^{}]*?)\s*\}\}/g;
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface TemplateProblem {
  message: string;
}

/** Split a template into literal text and variable references; reports malformed `{{…}}` tokens. */
export function parseTemplate(template: string): { parts: TemplatePart[]; problems: TemplateProblem[] } {
  const parts: TemplatePart[] = [];
  const problems: TemplateProblem[] = [];
  let last = 0;
  for (const m of template.matchAll(TOKEN)) {
    const inner = m[1] ?? '';
    if (m.index > last) parts.push({ literal: template.slice(last, m.index) });
    if (VARIABLE.test(inner)) parts.push({ variable: inner });
    else {
      problems.push({
        message: `"{{${inner}}}" is not a valid placeholder; use {{name}} with a parameter name`,
      });
      parts.push({ literal: m[0] });
    }
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push({ literal: template.slice(last) });
  const literalText = parts.map((p) => p.literal ?? '').join('');
  if (/\{\{|\}\}/.test(literalText.replace(TOKEN, ''))) {
    const unclosed = literalText.includes('{{') && !problems.length;
    if (unclosed) problems.push({ message: 'unclosed "{{" in template; close it with "}}" or remove it' });
  }
  return { parts, problems };
}

export function templateVariables(template: string): string[] {
  return parseTemplate(template)
    .parts.map((p) => p.variable)
    .filter((v): v is string => v !== undefined);
}

/** Variables of a URI template such as `inventory://products/{id}`. */
export function uriTemplateVariables(uri: string): string[] {
  return [...uri.matchAll(/\{([^{}]+)\}/g)].map((m) => m[1]!.replace(/^[+#./;?&]/, ''));
}
