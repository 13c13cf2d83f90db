/** Checks `--set` values against a template's variables: unknown names, enums, formats and required ones. */
import { FactoryError, type Issue, makeIssue } from '../../core/errors/index.js';
import type { TemplateDefinition, TemplateVariable, TemplateVars } from './types.js';

/** Every declared variable with its value or default; throws TEMPLATE_INVALID_VARIABLE listing every problem. */
export function resolveVariables(
  template: TemplateDefinition,
  set: Readonly<Record<string, string>> = {},
): TemplateVars {
  const declared = new Map(template.variables.map((v) => [v.name, v]));
  const issues: Issue[] = [];
  const problem = (name: string, message: string, hint: string) =>
    issues.push(makeIssue('TEMPLATE_INVALID_VARIABLE', message, `set.${name}`, hint));

  for (const name of Object.keys(set)) {
    if (declared.has(name)) continue;
    const close = closest(name, [...declared.keys()]);
    problem(
      name,
      `template "${template.name}" has no variable "${name}"`,
      declared.size === 0
        ? `Template "${template.name}" takes no variables; remove --set ${name}=….`
        : `${close ? `Did you mean "${close}"? ` : ''}Its variables are: ${[...declared.keys()].join(', ')}.`,
    );
  }

  const values: Record<string, string> = {};
  for (const variable of template.variables) {
    const given = set[variable.name];
    if (given === undefined) {
      if (variable.default !== undefined) values[variable.name] = variable.default;
      else if (variable.required)
        problem(
          variable.name,
          `template "${template.name}" needs variable "${variable.name}" (${variable.description})`,
          `Pass --set ${variable.name}=${example(variable)}.`,
        );
      continue;
    }
    const wrong = valueProblem(variable, given);
    if (wrong) {
      problem(
        variable.name,
        `variable "${variable.name}" of template "${template.name}": ${JSON.stringify(given)} ${wrong}`,
        variable.enum
          ? `Use one of: ${variable.enum.map((v) => `--set ${variable.name}=${v}`).join(', ')}.`
          : `Pass --set ${variable.name}=${example(variable)}${variable.format ? ` (${variable.format})` : ''}.`,
      );
      continue;
    }
    values[variable.name] = given;
  }

  if (issues.length > 0) {
    const first = issues[0]!;
    throw new FactoryError(
      'TEMPLATE_INVALID_VARIABLE',
      issues.length === 1 ? first.message : `${first.message} (and ${issues.length - 1} more problem(s))`,
      {
        issues,
        details: {
          template: template.name,
          variables: template.variables.map((v) => v.name),
        },
      },
    );
  }
  return values;
}

/** Why a value is not allowed, or undefined. Empty strings are never valid (leave the variable unset instead). */
export function valueProblem(variable: TemplateVariable, value: string): string | undefined {
  if (variable.enum) {
    return variable.enum.includes(value)
      ? undefined
      : `is not allowed; allowed values: ${variable.enum.join(', ')}`;
  }
  if (value === '') return 'is empty';
  if (value.length > 2000) return 'is longer than 2000 characters';
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'contains control characters';
  return variable.validate?.(value);
}

function example(variable: TemplateVariable): string {
  return variable.enum?.[0] ?? variable.default ?? '…';
}

/** The candidate within edit distance 2 (or a case-insensitive match), for "did you mean". */
export function closest(name: string, candidates: string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance =
      candidate.toLowerCase() === name.toLowerCase()
        ? 0
        : editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance <= Math.max(2, Math.floor(candidate.length / 4)) && (!best || distance < best.distance))
      best = { candidate, distance };
  }
  return best?.candidate;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}
