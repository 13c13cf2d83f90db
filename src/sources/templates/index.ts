/**
 * The template library: parameterised specs a user instantiates with
 * `mcp-create --template NAME --name X [--set k=v …]`. Each template is a typed builder from a few string
 * variables to a `ServerSpecInput`; variable values reach generated code only as JSON literals.
 */
import { FactoryError } from '../../core/errors/index.js';
import { SERVER_NAME, type ServerSpecInput } from '../../core/spec/model.js';
import { ciTriggerTemplate } from './ci-trigger.js';
import { customTemplate } from './custom.js';
import { mysqlTemplate, postgresTemplate } from './database.js';
import { emailTemplate } from './email.js';
import { embeddingsTemplate } from './embeddings.js';
import { filesystemTemplate } from './filesystem.js';
import { githubTemplate } from './github.js';
import { graphqlTemplate } from './graphql.js';
import { jiraTemplate } from './jira.js';
import { restApiTemplate } from './rest-api.js';
import { slackTemplate } from './slack.js';
import type { TemplateDefinition, TemplateSummary } from './types.js';
import { closest, resolveVariables } from './variables.js';
import { vectorSearchTemplate } from './vector-search.js';
import { webhookTemplate } from './webhook.js';

export type {
  TemplateCategory,
  TemplateDefinition,
  TemplateEnvVar,
  TemplateSummary,
  TemplateVariable,
  TemplateVars,
} from './types.js';
export { resolveVariables } from './variables.js';

export const TEMPLATES: TemplateDefinition[] = [
  postgresTemplate,
  mysqlTemplate,
  restApiTemplate,
  graphqlTemplate,
  filesystemTemplate,
  slackTemplate,
  emailTemplate,
  webhookTemplate,
  githubTemplate,
  jiraTemplate,
  ciTriggerTemplate,
  embeddingsTemplate,
  vectorSearchTemplate,
  customTemplate,
];

export function templateNames(): string[] {
  return TEMPLATES.map((t) => t.name);
}

/** The template with that name; throws TEMPLATE_NOT_FOUND listing the available ones. */
export function getTemplate(name: string): TemplateDefinition {
  const template = TEMPLATES.find((t) => t.name === name);
  if (template) return template;
  const names = templateNames();
  const suggestion = closest(name, names);
  throw new FactoryError(
    'TEMPLATE_NOT_FOUND',
    `no template named "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; available: ${names.join(', ')}`,
    { details: { name, templates: names, ...(suggestion ? { suggestion } : {}) } },
  );
}

/** Every template as plain data (name, title, category, description, variables, environment with defaults). */
export function listTemplates(): TemplateSummary[] {
  return TEMPLATES.map((t) => ({
    name: t.name,
    title: t.title,
    category: t.category,
    description: t.description,
    variables: t.variables.map((v) => ({
      name: v.name,
      description: v.description,
      ...(v.default !== undefined ? { default: v.default } : {}),
      ...(v.required ? { required: true } : {}),
      ...(v.enum ? { enum: [...v.enum] } : {}),
      ...(v.format ? { format: v.format } : {}),
    })),
    environment: t.environment(resolveVariables(t, {})),
  }));
}

export interface InstantiateOptions {
  /** The server name (`--name`). */
  name: string;
  /** Variable values (`--set k=v`). */
  set?: Readonly<Record<string, string>>;
}

/**
 * Build the spec of a template. Throws FactoryError TEMPLATE_NOT_FOUND (unknown template),
 * TEMPLATE_INVALID_VARIABLE (unknown, missing or invalid variables — all listed as issues) or SPEC_INVALID_NAME.
 * The result still goes through `validateSpec` like any other spec.
 */
export function instantiateTemplate(name: string, options: InstantiateOptions): ServerSpecInput {
  const template = getTemplate(name);
  const vars = resolveVariables(template, options.set ?? {});
  if (!SERVER_NAME.test(options.name)) {
    throw new FactoryError('SPEC_INVALID_NAME', `"${options.name}" is not a valid server name`, {
      issues: [
        {
          code: 'SPEC_INVALID_NAME',
          message: `"${options.name}" is not a valid server name`,
          path: 'name',
          hint: 'Use lower-case letters, digits, . _ - (max 64), starting and ending with a letter or digit, e.g. my-server.',
        },
      ],
      details: { name: options.name },
    });
  }
  return template.build(vars, options.name);
}
