/** `custom`: an empty start — one static `hello` tool to replace with real ones. */
import type { TemplateDefinition } from './types.js';

export const customTemplate: TemplateDefinition = {
  name: 'custom',
  title: 'Custom server (empty start)',
  category: 'starter',
  description: 'A minimal server with one static hello tool, to edit into your own.',
  variables: [],
  environment: () => [],
  build(_vars, serverName) {
    return {
      name: serverName,
      version: '0.1.0',
      title: serverName,
      description:
        'A new MCP server. Replace the hello tool with your own (sql, http, code or static tools).',
      tools: [
        {
          name: 'hello',
          title: 'Say hello',
          description: 'Greets someone. Replace this tool with your own.',
          parameters: { name: { type: 'string', default: 'world', minLength: 1, maxLength: 100 } },
          annotations: { readOnly: true, idempotent: true, openWorld: false },
          static: { text: 'Hello, {{name}}!' },
          examples: [{ arguments: { name: 'MCP' }, expect: { contains: 'Hello, MCP!' } }],
        },
      ],
    };
  },
};
