/** Environment variables a generated server reads, with what each is for. */
import { implementationOf } from '../../core/kinds/index.js';
import type { ServerSpec } from '../../core/spec/model.js';

export interface EnvVarInfo {
  name: string;
  purpose: string;
  required: boolean;
  secret: boolean;
  /** Tools that cannot run without it. */
  tools: string[];
  /** Read only by the HTTP transport (the key HTTP clients must present): not needed over stdio. */
  httpOnly?: boolean;
}

export function collectEnv(spec: ServerSpec): EnvVarInfo[] {
  const vars = new Map<string, EnvVarInfo>();
  const add = (name: string, purpose: string, required: boolean, secret: boolean) => {
    const existing = vars.get(name);
    if (existing) {
      existing.required ||= required;
      existing.secret ||= secret;
      return existing;
    }
    const info: EnvVarInfo = { name, purpose, required, secret, tools: [] };
    vars.set(name, info);
    return info;
  };
  const byConnection = new Map<string, EnvVarInfo[]>();
  for (const c of spec.connections) {
    const list: EnvVarInfo[] = [];
    if (c.type === 'http') {
      if (c.baseUrlEnv)
        list.push(
          add(
            c.baseUrlEnv,
            `base URL of ${c.name}${c.baseUrl ? ` (default ${c.baseUrl})` : ''}`,
            !c.baseUrl,
            false,
          ),
        );
      for (const [h, v] of Object.entries(c.headers ?? {}))
        if (typeof v !== 'string') list.push(add(v.env, `${h} header for ${c.name}`, true, true));
      const a = c.auth;
      if (a?.type === 'bearer' || a?.type === 'api_key')
        list.push(
          add(
            a.envVar,
            `${a.type === 'bearer' ? 'bearer token' : `API key (${a.name})`} for ${c.name}`,
            true,
            true,
          ),
        );
      if (a?.type === 'oauth2_client_credentials') {
        list.push(add(a.clientIdEnv, `OAuth2 client id for ${c.name}`, true, true));
        list.push(add(a.clientSecretEnv, `OAuth2 client secret for ${c.name}`, true, true));
      }
      if (a?.type === 'basic') {
        list.push(add(a.usernameEnv, `user name for ${c.name}`, true, true));
        list.push(add(a.passwordEnv, `password for ${c.name}`, true, true));
      }
    } else if (c.type === 'sqlite') {
      if (c.envVar)
        list.push(
          add(
            c.envVar,
            `SQLite file for ${c.name}${c.path ? ' (default: the shipped file)' : ''}`,
            !c.path,
            false,
          ),
        );
    } else if (c.type === 'dataset') {
      list.push(
        add(c.rootsEnv, `directories (separated by ':') whose data files ${c.name} may query`, true, false),
      );
    } else list.push(add(c.envVar, `${c.type} connection URL for ${c.name}`, true, true));
    byConnection.set(c.name, list);
  }
  for (const tool of spec.tools) {
    const found = implementationOf(tool);
    const conn = found?.kind.connection?.(found.impl, spec);
    for (const v of conn ? (byConnection.get(conn) ?? []) : []) if (v.required) v.tools.push(tool.name);
  }
  // Variables the implementation itself reads (code tools: ctx.env('NAME')): each is required by that tool.
  for (const tool of spec.tools) {
    const found = implementationOf(tool);
    for (const read of found?.kind.environment?.(found.impl, tool, spec) ?? []) {
      const info = vars.get(read.name) ?? add(read.name, read.purpose, true, read.secret);
      if (!info.tools.includes(tool.name)) info.tools.push(tool.name);
    }
  }
  if (spec.auth?.type === 'oauth') {
    // Read by the HTTP transport only: the issuer (required when the spec names none) and the public URL.
    add(
      'MCP_OAUTH_ISSUER',
      `OAuth authorization server whose access tokens clients present${spec.auth.issuer ? ` (default ${spec.auth.issuer})` : ''}`,
      !spec.auth.issuer,
      false,
    ).httpOnly = true;
    add(
      'MCP_PUBLIC_URL',
      `public URL of this server's MCP endpoint, the audience tokens are issued for${spec.auth.resource ? ` (default ${spec.auth.resource})` : ' (default: the URL requests arrive at)'}`,
      false,
      false,
    ).httpOnly = true;
  } else if (spec.auth && spec.auth.type !== 'none') {
    const known = vars.has(spec.auth.envVar);
    const info = add(
      spec.auth.envVar,
      `${spec.auth.type === 'bearer' ? 'bearer token' : 'API key'} clients must present over HTTP`,
      true,
      true,
    );
    if (!known) info.httpOnly = true;
  }
  for (const t of spec.triggers) {
    if (t.type === 'queue') add(t.urlEnv, `${t.broker} URL for the trigger on ${t.topic}`, false, true);
    if (t.type === 'webhook' && t.secretEnv)
      add(
        t.secretEnv,
        `Standard Webhooks signing secret (whsec_…) for webhook ${t.path}`,
        false,
        true,
      ).httpOnly = true;
  }
  return [...vars.values()];
}

/** Runtime settings of servers with triggers (runtime/triggers/start.ts; documented in docs/triggers.md). */
export function triggerSettingsEnv(
  spec: Pick<ServerSpec, 'triggers'>,
): Array<{ name: string; purpose: string }> {
  if (!spec.triggers.length) return [];
  return [
    { name: 'MCP_TRIGGERS', purpose: 'on or off (default: triggers run over http, not over stdio)' },
    {
      name: 'MCP_TRIGGER_STATE_DIR',
      purpose: 'folder of the trigger history and dead letters (default .triggers/)',
    },
    {
      name: 'MCP_TRIGGER_HISTORY_MAX_BYTES',
      purpose: 'size at which each trigger history file rotates (default 16 MiB)',
    },
    ...(spec.triggers.some((t) => t.type === 'file')
      ? [
          {
            name: 'MCP_TRIGGER_FILE_ROOT',
            purpose: 'folder file triggers watch inside (default: the project root)',
          },
        ]
      : []),
  ];
}

/** Runtime settings every generated server understands. */
export const STANDARD_ENV: Array<{ name: string; purpose: string }> = [
  { name: 'MCP_TRANSPORT', purpose: 'stdio or http (default from the spec)' },
  { name: 'HOST', purpose: 'HTTP bind address (default 127.0.0.1)' },
  { name: 'PORT', purpose: 'HTTP port' },
  { name: 'LOG_LEVEL', purpose: 'debug, info, warn or error' },
  { name: 'MCP_ALLOWED_HOSTS', purpose: 'extra Host header names to accept, comma-separated' },
  { name: 'MCP_ALLOWED_ORIGINS', purpose: 'extra browser Origin hostnames to accept, comma-separated' },
  {
    name: 'MCP_REQUEST_STATE_SECRET',
    purpose:
      'key that seals multi-round request state (confirm, ctx.elicit on 2026-07-28); the same on every replica (default: random per process)',
  },
  { name: 'MCP_MAX_SESSIONS', purpose: 'most 2025-11-25 HTTP sessions kept at once (default 1000)' },
  {
    name: 'MCP_SESSION_IDLE_MS',
    purpose: 'idle time after which a 2025-11-25 HTTP session ends (default 30 min)',
  },
  {
    name: 'MCP_CURSOR_SECRET',
    purpose: 'key that signs page cursors; set the same value on every replica (default: random per process)',
  },
];
