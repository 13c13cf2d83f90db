/**
 * Semantic checks every trigger gets beyond its schema (runtime/triggers/ runs them): templates read only
 * `event.…` paths, retry delays are ordered, a tool that asks for confirmation cannot be triggered (no user is
 * there to answer), webhooks are signed unless explicitly `unsigned` and do not shadow the server's own routes
 * (they serve on the HTTP transport, whatever the spec's default transport), and file paths stay inside the
 * file root. Pure: reports through `add`, never throws.
 */
import type { ServerSpec, Trigger } from './model.js';
import type { PathSegment } from './path.js';
import { type AddIssue, walkStrings } from './rules.js';

/** The placeholder grammar of runtime/triggers/template.ts. */
const EVENT_PATH = /^event(?:\.[A-Za-z0-9_-]+)*$/;
const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const TEMPLATE_HINT =
  'Placeholders read the event: {{event.id}}, {{event.payload.<field>}}, {{event.meta.<field>}}.';

function checkTemplates(value: unknown, path: PathSegment[], add: AddIssue): void {
  walkStrings(value, path, (text, at) => {
    for (const [, inner] of text.matchAll(PLACEHOLDER))
      if (!EVENT_PATH.test(inner!))
        add('SPEC_INVALID_TRIGGER', `placeholder {{${inner}}} does not read the event`, at, TEMPLATE_HINT);
  });
}

export function checkTriggerCommon(
  spec: ServerSpec,
  trigger: Trigger,
  at: (...rest: PathSegment[]) => PathSegment[],
  add: AddIssue,
): void {
  if (trigger.arguments) checkTemplates(trigger.arguments, at('arguments'), add);
  if (trigger.idempotencyKey) checkTemplates(trigger.idempotencyKey, at('idempotencyKey'), add);
  if (trigger.retry && trigger.retry.initialDelayMs > trigger.retry.maxDelayMs)
    add(
      'SPEC_INVALID_TRIGGER',
      'retry.initialDelayMs is larger than retry.maxDelayMs',
      at('retry', 'initialDelayMs'),
      'Make maxDelayMs at least initialDelayMs.',
    );
  const tool = spec.tools.find((t) => t.name === trigger.tool);
  if (tool?.confirm !== undefined)
    add(
      'SPEC_INVALID_TRIGGER',
      `tool "${trigger.tool}" asks for confirmation, which a trigger cannot give`,
      at('tool'),
      'Trigger a tool without `confirm`, or remove the trigger.',
    );
  if (trigger.type === 'webhook') checkWebhook(spec, trigger, at, add);
  if (trigger.type === 'file') checkFilePath(trigger, at, add);
}

function checkWebhook(
  spec: Pick<ServerSpec, 'http'>,
  trigger: Extract<Trigger, { type: 'webhook' }>,
  at: (...rest: PathSegment[]) => PathSegment[],
  add: AddIssue,
): void {
  if (!trigger.secretEnv && !trigger.unsigned)
    add(
      'SPEC_INVALID_TRIGGER',
      'webhook trigger has no signing secret',
      at('secretEnv'),
      'Set secretEnv to the variable holding its Standard Webhooks secret, or say `unsigned: true` to accept anyone.',
    );
  if (trigger.secretEnv && trigger.unsigned)
    add(
      'SPEC_INVALID_TRIGGER',
      'webhook trigger has both secretEnv and unsigned: true',
      at('unsigned'),
      'Remove `unsigned` to verify signatures, or secretEnv to accept unsigned requests.',
    );
  const reserved = new Set([spec.http?.path ?? '/mcp', '/health', '/metrics']);
  if (reserved.has(trigger.path) || trigger.path.startsWith('/.well-known/'))
    add(
      'SPEC_INVALID_TRIGGER',
      `webhook path ${trigger.path} is one of the server's own routes`,
      at('path'),
      `Pick another path; ${[...reserved].join(', ')} and /.well-known/ are taken.`,
    );
}

function checkFilePath(
  trigger: Extract<Trigger, { type: 'file' }>,
  at: (...rest: PathSegment[]) => PathSegment[],
  add: AddIssue,
): void {
  const hint =
    'Use a folder relative to the file root (MCP_TRIGGER_FILE_ROOT, default the project root), e.g. inbox.';
  if (/^([\\/]|[A-Za-z]:)/.test(trigger.path) || trigger.path.split(/[\\/]/).includes('..'))
    add('SPEC_INVALID_TRIGGER', `file trigger path "${trigger.path}" leaves the file root`, at('path'), hint);
  if (trigger.path.includes('\u0000'))
    add('SPEC_INVALID_TRIGGER', 'file trigger path contains a NUL character', at('path'), hint);
  if (trigger.glob?.split('/').includes('..'))
    add(
      'SPEC_INVALID_TRIGGER',
      'file trigger glob cannot contain ..',
      at('glob'),
      'Write the glob relative to `path`.',
    );
}
