/**
 * Prompts from data definitions: text messages with {{arg}}, messages included only `when` an optional argument
 * was given, images (shipped file or base64) and embedded resources read through the resource reader. Arguments
 * with `enum` are checked on prompts/get; `enum`/`complete` values answer completion/complete.
 */
import {
  type CompleteResult,
  type GetPromptResult,
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
} from '@modelcontextprotocol/server';
import { readAsset } from './assets.js';
import { completionOf, completionValues, type ResourceDefinition, readResource } from './resources.js';
import type { Runtime } from './runtime.js';
import { renderText } from './template.js';
import { lazySchema } from './tool-table.js';

export interface PromptArgumentDefinition {
  name: string;
  description?: string;
  required?: boolean;
  enum?: string[];
  complete?: string[];
}

export interface PromptMessageDefinition {
  role: 'user' | 'assistant';
  text?: string;
  image?: { file?: string; data?: string; mimeType?: string };
  /** URI of a declared resource, embedded. */
  resource?: string;
  when?: string;
}

export interface PromptDefinition {
  name: string;
  title?: string;
  description?: string;
  arguments: PromptArgumentDefinition[];
  messages: PromptMessageDefinition[];
}

type Message = GetPromptResult['messages'][number];

async function messageOf(
  rt: Runtime,
  m: PromptMessageDefinition,
  args: Record<string, string>,
  resources: ResourceDefinition[],
): Promise<Message> {
  if (m.image) {
    if (m.image.file) {
      const asset = await readAsset(rt.projectRoot, m.image.file, m.image.mimeType);
      return {
        role: m.role,
        content: { type: 'image', data: asset.data.toString('base64'), mimeType: asset.mimeType },
      };
    }
    return {
      role: m.role,
      content: { type: 'image', data: m.image.data ?? '', mimeType: m.image.mimeType ?? 'image/png' },
    };
  }
  if (m.resource !== undefined) {
    const def = resources.find((r) => r.uri === m.resource && !r.template);
    if (!def)
      throw new ProtocolError(ProtocolErrorCode.InternalError, `resource ${m.resource} is not declared`);
    const contents = await readResource(rt, def, def.uri, {});
    return { role: m.role, content: { type: 'resource', resource: contents } as Message['content'] };
  }
  return { role: m.role, content: { type: 'text', text: renderText(m.text ?? '', args) } };
}

/** The JSON Schema of a prompt's arguments (all strings; `enum` enforced by the SDK's validation). */
function argsSchemaOf(def: PromptDefinition) {
  return {
    type: 'object' as const,
    properties: Object.fromEntries(
      def.arguments.map((a) => [
        a.name,
        {
          type: 'string',
          ...(a.description ? { description: a.description } : {}),
          ...(a.enum ? { enum: a.enum } : {}),
        },
      ]),
    ),
    required: def.arguments.filter((a) => a.required).map((a) => a.name),
  };
}

export function registerPrompts(
  server: McpServer,
  rt: Runtime,
  defs: PromptDefinition[],
  resources: ResourceDefinition[],
): void {
  for (const def of defs) {
    server.registerPrompt(
      def.name,
      {
        ...(def.title ? { title: def.title } : {}),
        ...(def.description ? { description: def.description } : {}),
        argsSchema: lazySchema<Record<string, string>>(argsSchemaOf(def)),
      },
      async (args) => {
        const given = args ?? {};
        const wanted = def.messages.filter((m) => !m.when || (given[m.when] ?? '') !== '');
        return { messages: await Promise.all(wanted.map((m) => messageOf(rt, m, given, resources))) };
      },
    );
  }
}

/** Whether any prompt argument or template variable offers completions. */
export function hasCompletions(prompts: PromptDefinition[], resources: ResourceDefinition[]): boolean {
  return (
    prompts.some((p) => p.arguments.some((a) => a.enum || a.complete)) ||
    resources.some((r) => r.complete && Object.keys(r.complete).length > 0)
  );
}

/**
 * Answer completion/complete on `server` from the definitions. Installed per instance (the shared-registration
 * factory copies tables, not request handlers), and only when something completes, so the capability is
 * advertised only then.
 */
export function serveCompletions(
  server: McpServer,
  rt: Runtime,
  prompts: PromptDefinition[],
  resources: ResourceDefinition[],
): void {
  if (!hasCompletions(prompts, resources)) return;
  server.server.registerCapabilities({ completions: {} });
  server.server.setRequestHandler('completion/complete', async (request): Promise<CompleteResult> => {
    const { ref, argument } = request.params;
    const empty = completionOf([], '');
    if (ref.type === 'ref/prompt') {
      const prompt = prompts.find((p) => p.name === ref.name);
      if (!prompt) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${ref.name} not found`);
      const arg = prompt.arguments.find((a) => a.name === argument.name);
      return arg ? completionOf(arg.enum ?? arg.complete ?? [], argument.value) : empty;
    }
    if (ref.type === 'ref/resource') {
      const resource = resources.find((r) => r.uri === ref.uri);
      if (!resource)
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Resource template ${ref.uri} not found`);
      const values = await completionValues(rt, resource.complete?.[argument.name], argument.value);
      return completionOf(values, argument.value);
    }
    return empty;
  });
}
