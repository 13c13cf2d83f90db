/**
 * Operations behind the console's create and playground pages: a server's tools with their JSON Schemas (the
 * playground generates its form from inputSchema) and a template's spec text for given variables (the console
 * shows it, then creates from it like from any spec text).
 */
import { stringify } from 'yaml';
import { z } from 'zod';
import { inputSchema, valueToJsonSchema } from '../../core/codegen/json-schema.js';
import type { ServerSpec } from '../../core/spec/model.js';
import { instantiateTemplate } from '../../sources/templates/index.js';
import { defineOperation } from './operation.js';
import { allowedTools } from './ownership.js';
import { ServerName } from './schemas.js';

const JsonSchemaObject = z.record(z.string(), z.unknown());

const ToolWithSchemaSchema = z.object({
  name: z.string(),
  title: z.string().nullable(),
  description: z.string().nullable().describe('Untrusted text: show it escaped.'),
  inputSchema: JsonSchemaObject,
  outputSchema: JsonSchemaObject.nullable(),
  annotations: z.record(z.string(), z.unknown()),
});

export const serverTools = defineOperation({
  name: 'server_tools',
  title: 'Tools with their schemas',
  description:
    "The tools of a server's current revision with their input (and output) JSON Schemas, of the tools the caller may use.",
  input: z.object({ name: ServerName }),
  output: z.object({ name: z.string(), revision: z.number().int(), tools: z.array(ToolWithSchemaSchema) }),
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'servers.read',
  server: (input) => input.name,
  handler: async (context, input) => {
    const version = await context.registry.getVersion(input.name);
    const mayUse = allowedTools(context);
    const specTools = new Map(
      ((version.spec as Partial<ServerSpec>).tools ?? []).map((tool) => [tool.name, tool] as const),
    );
    const tools = version.tools
      .filter((tool) => mayUse(input.name, tool.name))
      .map((tool) => {
        const fromSpec = specTools.get(tool.name);
        let input: Record<string, unknown> = { type: 'object', properties: {} };
        let output: Record<string, unknown> | null = null;
        try {
          if (fromSpec) input = inputSchema(fromSpec.parameters ?? {}) as Record<string, unknown>;
          if (fromSpec?.returns)
            output = valueToJsonSchema(fromSpec.returns, false) as Record<string, unknown>;
        } catch {
          // a spec of an older model version: an open object lets the caller still send JSON arguments
        }
        return {
          name: tool.name,
          title: tool.title,
          description: tool.description,
          inputSchema: input,
          outputSchema: output,
          annotations: tool.annotations,
        };
      });
    return { name: input.name, revision: version.revision, tools };
  },
});

export const templateSpec = defineOperation({
  name: 'template_spec',
  title: 'Spec of a template',
  description:
    'The spec a template makes for a server name and variable values, as YAML text (nothing is created). Unknown, missing or invalid variables are refused with every issue listed.',
  input: z.object({
    template: z.string().min(1).max(64).describe('Template name (GET /mcp/templates).'),
    name: ServerName,
    set: z.record(z.string().max(64), z.string().max(10_000)).optional().describe('Variable values by name.'),
  }),
  output: z.object({ template: z.string(), name: z.string(), specText: z.string() }),
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'servers.create',
  handler: async (_context, input) => {
    const spec = instantiateTemplate(input.template, { name: input.name, set: input.set ?? {} });
    return { template: input.template, name: input.name, specText: stringify(spec, { lineWidth: 0 }) };
  },
});
