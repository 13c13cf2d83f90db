/**
 * `slack`: Slack Web API (chat.postMessage, conversations.list, conversations.history) with a bot token. Slack
 * answers HTTP 200 with `{ ok: false, error }` on failure; that becomes a tool error here.
 */
import { defaultOrRequired, describeServer, flag, flagVariable, READ_BODY_SOURCE } from './common.js';
import type { TemplateDefinition, TemplateEnvVar, TemplateVars, ToolInput } from './types.js';

const CLIENT_SOURCE = `const token = ctx.env('SLACK_BOT_TOKEN');
const base = (process.env.SLACK_API_URL || 'https://slack.com/api').replace(/\\/+$/, '');
${READ_BODY_SOURCE}async function slack(method: string, params: Record<string, unknown>, post: boolean): Promise<Record<string, unknown>> {
  let url: URL;
  try {
    url = new URL(base + '/' + method);
  } catch {
    throw new Error('SLACK_API_URL is not a valid URL');
  }
  const headers = new Headers({ authorization: 'Bearer ' + token, accept: 'application/json' });
  let init: RequestInit;
  if (post) {
    headers.set('content-type', 'application/json; charset=utf-8');
    init = { method: 'POST', headers, body: JSON.stringify(params) };
  } else {
    for (const [key, value] of Object.entries(params))
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
    init = { method: 'GET', headers };
  }
  const res = await send(url, init);
  const data = await readBody(res);
  if (res.status === 429)
    throw new Error('rate limited by Slack; retry after ' + (res.headers.get('retry-after') ?? 'a few') + ' seconds');
  if (!res.ok) throw new Error('Slack ' + method + ' failed: HTTP ' + res.status + (data === '' ? '' : ': ' + excerpt(data)));
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new Error('Slack ' + method + ' returned a response that is not a JSON object: ' + excerpt(data));
  const body = data as { ok?: unknown; error?: unknown; needed?: unknown };
  if (body.ok !== true)
    throw new Error(
      'Slack API error from ' + method + ': ' + String(body.error ?? 'unknown_error') +
        (body.needed ? ' (the token lacks the scope ' + String(body.needed) + ')' : ''),
    );
  return data as Record<string, unknown>;
}
function nextCursor(data: Record<string, unknown>): string | undefined {
  const meta = data.response_metadata as { next_cursor?: string } | undefined;
  return meta?.next_cursor ? meta.next_cursor : undefined;
}
`;

const environment = (): TemplateEnvVar[] => [
  {
    name: 'SLACK_BOT_TOKEN',
    description: 'bot token (xoxb-…) of a Slack app installed in the workspace',
    required: true,
    secret: true,
  },
  {
    name: 'SLACK_API_URL',
    description: 'Slack Web API base URL (default https://slack.com/api)',
    required: false,
  },
];

const channelPattern = '^[A-Za-z0-9#_.-]{1,200}$';
const tsPattern = '^\\d{1,12}(\\.\\d{1,9})?$';

export const slackTemplate: TemplateDefinition = {
  name: 'slack',
  title: 'Slack',
  category: 'messaging',
  description:
    'Post messages, list channels and read channel history through the Slack Web API with a bot token (SLACK_BOT_TOKEN).',
  variables: [
    {
      name: 'defaultChannel',
      description: 'Channel ID (e.g. C0123456789) used when a call names none.',
      format: 'a Slack channel ID such as C0123456789',
      validate: (v) => (new RegExp(channelPattern).test(v) ? undefined : 'is not a channel ID or name'),
    },
    flagVariable('readOnly', 'Leave out post_message.', false),
  ],
  environment,
  build(vars: TemplateVars, serverName) {
    const channel = {
      type: 'string' as const,
      pattern: channelPattern,
      description: 'Channel ID such as C0123456789.',
      ...defaultOrRequired(vars.defaultChannel),
    };
    const tools: ToolInput[] = [];
    if (!flag(vars, 'readOnly'))
      tools.push({
        name: 'post_message',
        title: 'Post a message',
        description:
          'Post a message to a channel (chat.postMessage), optionally as a reply in a thread. Returns the channel and message timestamp (ts).',
        parameters: {
          channel,
          text: {
            type: 'string',
            required: true,
            minLength: 1,
            maxLength: 40_000,
            description: 'Message text (Slack mrkdwn).',
          },
          thread_ts: {
            type: 'string',
            pattern: tsPattern,
            description: 'ts of the parent message to reply in its thread.',
          },
        },
        annotations: { readOnly: false, destructive: false, idempotent: false, openWorld: true },
        code: {
          source: `${CLIENT_SOURCE}const data = await slack('chat.postMessage', { channel: args.channel, text: args.text, ...(args.thread_ts ? { thread_ts: args.thread_ts } : {}) }, true);
return { channel: data.channel, ts: data.ts };`,
        },
        examples: [{ arguments: { channel: 'C0123456789', text: 'Hello from MCP' }, skip: true }],
      });
    tools.push(
      {
        name: 'list_channels',
        title: 'List channels',
        description:
          'List conversations the bot can see (conversations.list): id, name, privacy, archive state, member count, topic and purpose. Page with nextCursor.',
        parameters: {
          types: {
            type: 'string',
            default: 'public_channel',
            pattern: '^(public_channel|private_channel|mpim|im)(,(public_channel|private_channel|mpim|im))*$',
            description: 'Comma-separated: public_channel, private_channel, mpim, im.',
          },
          exclude_archived: { type: 'boolean', default: true },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          cursor: { type: 'string', maxLength: 500, description: 'nextCursor of the previous page.' },
        },
        annotations: { readOnly: true, idempotent: true, openWorld: true },
        code: {
          source: `${CLIENT_SOURCE}const data = await slack('conversations.list', { types: args.types, exclude_archived: args.exclude_archived, limit: args.limit, cursor: args.cursor }, false);
const channels = (Array.isArray(data.channels) ? data.channels : []) as Array<Record<string, unknown>>;
const next = nextCursor(data);
return {
  channels: channels.map((c) => ({
    id: c.id,
    name: c.name,
    is_private: c.is_private,
    is_archived: c.is_archived,
    num_members: c.num_members,
    topic: (c.topic as { value?: string } | undefined)?.value ?? '',
    purpose: (c.purpose as { value?: string } | undefined)?.value ?? '',
  })),
  ...(next ? { nextCursor: next } : {}),
};`,
        },
        examples: [{ arguments: {}, skip: true }],
      },
      {
        name: 'get_channel_history',
        title: 'Read channel history',
        description:
          'Messages of a channel, newest first (conversations.history): ts, user, text, thread_ts and reply count. Narrow with oldest/latest (message timestamps); page with nextCursor.',
        parameters: {
          channel,
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 20 },
          oldest: { type: 'string', pattern: tsPattern, description: 'Only messages after this ts.' },
          latest: { type: 'string', pattern: tsPattern, description: 'Only messages before this ts.' },
          cursor: { type: 'string', maxLength: 500, description: 'nextCursor of the previous page.' },
        },
        annotations: { readOnly: true, idempotent: true, openWorld: true },
        code: {
          source: `${CLIENT_SOURCE}const data = await slack('conversations.history', { channel: args.channel, limit: args.limit, oldest: args.oldest, latest: args.latest, cursor: args.cursor }, false);
const messages = (Array.isArray(data.messages) ? data.messages : []) as Array<Record<string, unknown>>;
const next = nextCursor(data);
return {
  messages: messages.map((m) => ({
    ts: m.ts,
    user: m.user ?? m.bot_id ?? null,
    text: m.text ?? '',
    ...(m.thread_ts ? { thread_ts: m.thread_ts, reply_count: m.reply_count ?? 0 } : {}),
  })),
  hasMore: data.has_more === true,
  ...(next ? { nextCursor: next } : {}),
};`,
        },
        examples: [{ arguments: { channel: 'C0123456789' }, skip: true }],
      },
    );
    return {
      name: serverName,
      version: '0.1.0',
      title: 'Slack',
      description: describeServer(
        'Reads Slack channels and their history' +
          (flag(vars, 'readOnly') ? '.' : ' and posts messages as the bot.') +
          ' Channel IDs come from list_channels.',
        environment(),
      ),
      tools,
    };
  },
};
