/** The shape of a template: a typed builder from a few string variables (`--set k=v`) to a spec. */
import type { ServerSpecInput } from '../../core/spec/model.js';

export type TemplateCategory = 'database' | 'api' | 'files' | 'messaging' | 'devops' | 'ai' | 'starter';

export interface TemplateVariable {
  name: string;
  description: string;
  /** Used when the variable is not set. */
  default?: string;
  /** The variable must be set (only meaningful without a default). */
  required?: boolean;
  /** The allowed values. */
  enum?: readonly string[];
  /** Checks a value; returns what is wrong with it (or undefined when it is fine). */
  validate?: (value: string) => string | undefined;
  /** What a valid value looks like, e.g. "an environment variable name such as DATABASE_URL". */
  format?: string;
}

/** One tool of a spec, as a template writes it (defaults not yet applied). */
export type ToolInput = NonNullable<ServerSpecInput['tools']>[number];

/** Resolved variables: every declared variable with its value or default; unset optional ones are absent. */
export type TemplateVars = Readonly<Record<string, string>>;

/** An environment variable the generated server reads. */
export interface TemplateEnvVar {
  name: string;
  description: string;
  required: boolean;
  secret?: boolean;
}

export interface TemplateDefinition {
  name: string;
  title: string;
  category: TemplateCategory;
  description: string;
  variables: TemplateVariable[];
  /** Environment variables the server built with these variables reads (documentation). */
  environment(vars: TemplateVars): TemplateEnvVar[];
  build(vars: TemplateVars, serverName: string): ServerSpecInput;
}

/** What `listTemplates()` returns: plain data, safe to print or serialise. */
export interface TemplateSummary {
  name: string;
  title: string;
  category: TemplateCategory;
  description: string;
  variables: Array<{
    name: string;
    description: string;
    default?: string;
    required?: boolean;
    enum?: string[];
    format?: string;
  }>;
  /** Environment variables with the default variables. */
  environment: TemplateEnvVar[];
}
