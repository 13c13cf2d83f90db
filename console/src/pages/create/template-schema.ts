/**
 * A template's variables (GET /mcp/templates) as a JSON Schema for the schema form, and the form's value back
 * as the `set` map of string values the factory expects. Pure.
 */
import type { JsonSchema } from '../../components/schema-form/index.ts';

export interface TemplateVariable {
  name: string;
  description: string;
  default?: string;
  required?: boolean;
  enum?: string[];
  format?: string;
}

export interface TemplateSummary {
  name: string;
  title: string;
  category: string;
  description: string;
  variables: TemplateVariable[];
  environment: Array<{ name: string; description: string; required: boolean; secret?: boolean }>;
}

/** The server-name rule of the factory (SERVER_NAME). */
export const SERVER_NAME_PATTERN = '^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$';

export function templateSchema(template: TemplateSummary): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    name: {
      type: 'string',
      title: 'Server name',
      description: 'Lower-case letters, digits, . _ - (max 64), e.g. my-server.',
      pattern: SERVER_NAME_PATTERN,
      maxLength: 64,
      default: template.name,
    },
  };
  const required = ['name'];
  for (const variable of template.variables) {
    if (variable.name === 'name') continue;
    properties[`var:${variable.name}`] = {
      ...(variable.enum ? { enum: variable.enum } : { type: 'string' }),
      title: variable.name,
      description: variable.description,
      ...(variable.default !== undefined ? { default: variable.default } : {}),
      ...(variable.format ? { format: variable.format } : {}),
    };
    if (variable.required && variable.default === undefined) required.push(`var:${variable.name}`);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}

/** The form's value → { name, set } (every variable as a string; empty ones left to their defaults). */
export function templateRequest(value: Record<string, unknown>): {
  name: string;
  set: Record<string, string>;
} {
  const set: Record<string, string> = {};
  for (const [key, v] of Object.entries(value))
    if (key.startsWith('var:') && v !== undefined && v !== '') set[key.slice(4)] = String(v);
  return { name: String(value.name ?? ''), set };
}
