/**
 * The building blocks of the spec model: name patterns, identifiers, environment references and value schemas.
 * Shared by model.ts and the tool kinds (core/kinds), which define their own fields with them.
 */
import { z } from 'zod';
import { ENV_VAR, IDENTIFIER, SERVER_NAME, TOOL_NAME } from './name-patterns.js';

export { ENV_VAR, IDENTIFIER, SERVER_NAME, TOOL_NAME };

export const toolName = z.string().regex(TOOL_NAME, 'must be 1-128 characters of A-Z a-z 0-9 _ . -');
export const identifier = z
  .string()
  .regex(IDENTIFIER, 'must start with a letter or _ and use only A-Z a-z 0-9 _ (max 64)');
export const envVarName = z
  .string()
  .regex(ENV_VAR, 'must be an upper-case environment variable name such as DATABASE_URL')
  .describe('Name of an environment variable that holds the value at run time.');
export const text = z.string().max(100_000);

/** A value that comes from the environment at run time: `{ env: NAME }`. */
export const EnvRef = z
  .strictObject({ env: envVarName })
  .describe('Read the value from an environment variable.');
export type EnvRef = z.infer<typeof EnvRef>;

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** A JSON-Schema-like description of a value: tool parameters, nested properties and output schemas. */
export interface ValueSchema {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';
  description?: string | undefined;
  required?: boolean | undefined;
  nullable?: boolean | undefined;
  default?: unknown;
  enum?: Array<string | number | boolean> | undefined;
  minimum?: number | undefined;
  maximum?: number | undefined;
  exclusiveMinimum?: number | undefined;
  exclusiveMaximum?: number | undefined;
  minLength?: number | undefined;
  maxLength?: number | undefined;
  pattern?: string | undefined;
  format?: 'email' | 'uri' | 'date' | 'date-time' | 'uuid' | undefined;
  items?: ValueSchema | undefined;
  minItems?: number | undefined;
  maxItems?: number | undefined;
  properties?: Record<string, ValueSchema> | undefined;
  additionalProperties?: boolean | undefined;
}

export const ValueSchema: z.ZodType<ValueSchema> = z.lazy(() =>
  z
    .strictObject({
      type: z.enum(['string', 'number', 'integer', 'boolean', 'array', 'object']),
      description: text.optional(),
      required: z
        .boolean()
        .optional()
        .describe('The value must be given (parameters and object properties).'),
      nullable: z.boolean().optional(),
      default: z.unknown().optional(),
      enum: z.array(scalar).min(1).optional(),
      minimum: z.number().optional(),
      maximum: z.number().optional(),
      exclusiveMinimum: z.number().optional(),
      exclusiveMaximum: z.number().optional(),
      minLength: z.number().int().nonnegative().optional(),
      maxLength: z.number().int().nonnegative().optional(),
      pattern: z
        .string()
        .max(1000)
        .optional()
        .describe('ECMAScript regular expression the string must match.'),
      format: z.enum(['email', 'uri', 'date', 'date-time', 'uuid']).optional(),
      items: ValueSchema.optional().describe('Schema of array items.'),
      minItems: z.number().int().nonnegative().optional(),
      maxItems: z.number().int().nonnegative().optional(),
      properties: z.record(identifier, ValueSchema).optional(),
      additionalProperties: z.boolean().optional(),
    })
    .describe('A value schema (a subset of JSON Schema).'),
);
