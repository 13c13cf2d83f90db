/** The published JSON Schema of the spec (schema/mcp-spec.schema.json), derived from the zod model. */
import { z } from 'zod';
import { ServerSpec } from './model.js';

export const SPEC_SCHEMA_ID = 'https://mcp-factory.dev/schema/mcp-spec.schema.json';

export function specJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ServerSpec, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: SPEC_SCHEMA_ID,
    title: 'MCP Factory server spec',
    description:
      'A declarative description of an MCP server: tools, resources, prompts, connections and triggers.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}

export function specJsonSchemaText(): string {
  return `${JSON.stringify(specJsonSchema(), null, 2)}\n`;
}
