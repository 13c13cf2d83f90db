/** Building blocks shared by the templates: variable kinds, value readers and environment docs. */
import { ENV_VAR, IDENTIFIER } from '../../core/spec/model.js';
import type { TemplateEnvVar, TemplateVariable, TemplateVars } from './types.js';

/** A JSON literal: how every variable value reaches generated code (never spliced in as code). */
export function lit(value: unknown): string {
  return JSON.stringify(value);
}

export function flagVariable(name: string, description: string, defaultValue: boolean): TemplateVariable {
  return { name, description, default: String(defaultValue), enum: ['true', 'false'] };
}

export function envNameVariable(name: string, description: string, defaultValue: string): TemplateVariable {
  return {
    name,
    description,
    default: defaultValue,
    format: `an upper-case environment variable name such as ${defaultValue}`,
    validate: (v) => (ENV_VAR.test(v) ? undefined : 'is not an upper-case environment variable name'),
  };
}

export function urlVariable(name: string, description: string, defaultValue?: string): TemplateVariable {
  return {
    name,
    description,
    ...(defaultValue !== undefined ? { default: defaultValue } : {}),
    format: 'an http(s) URL such as https://api.example.com/v1 (no credentials, query or fragment)',
    validate: urlProblem,
  };
}

export function urlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use http or https';
  if (url.username || url.password)
    return 'must not contain credentials (they come from environment variables)';
  if (url.search || url.hash) return 'must not have a query or fragment';
  return undefined;
}

export function intVariable(
  name: string,
  description: string,
  defaultValue: number,
  min: number,
  max: number,
): TemplateVariable {
  return {
    name,
    description,
    default: String(defaultValue),
    format: `an integer from ${min} to ${max}`,
    validate: (v) => {
      const n = Number(v);
      return /^\d+$/.test(v) && n >= min && n <= max ? undefined : `is not an integer from ${min} to ${max}`;
    },
  };
}

export function patternVariable(
  name: string,
  description: string,
  pattern: RegExp,
  format: string,
  defaultValue?: string,
): TemplateVariable {
  return {
    name,
    description,
    ...(defaultValue !== undefined ? { default: defaultValue } : {}),
    format,
    validate: (v) => (pattern.test(v) ? undefined : `does not look like ${format}`),
  };
}

export const identifierProblem = (v: string): string | undefined =>
  IDENTIFIER.test(v) ? undefined : 'is not a valid identifier';

export function flag(vars: TemplateVars, name: string): boolean {
  return vars[name] === 'true';
}

export function int(vars: TemplateVars, name: string): number {
  return Number(vars[name]);
}

/** `{ default: value }` when the variable is set, else `{ required: true }` (for tool parameters). */
export function defaultOrRequired(value: string | undefined): { default: string } | { required: true } {
  return value !== undefined && value !== '' ? { default: value } : { required: true };
}

/** The spec description: what the server does plus the environment it reads. */
export function describeServer(summary: string, env: TemplateEnvVar[]): string {
  if (env.length === 0) return summary;
  const lines = env.map(
    (e) =>
      `- ${e.name} (${e.required ? 'required' : 'optional'}${e.secret ? ', secret' : ''}): ${e.description}`,
  );
  return `${summary}\n\nEnvironment variables:\n${lines.join('\n')}`;
}

/**
 * Code-tool helpers (TypeScript source) shared by the HTTP-calling templates: read a response body as JSON
 * or text, and shorten it for an error message.
 */
export const READ_BODY_SOURCE = `async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text !== '' && /json/i.test(res.headers.get('content-type') ?? '')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
function excerpt(data: unknown): string {
  const s = typeof data === 'string' ? data : JSON.stringify(data);
  return s.length > 500 ? s.slice(0, 500) + '...' : s;
}
async function send(url: URL, init: RequestInit, allowed?: (target: URL) => boolean): Promise<Response> {
  // Redirects are followed by hand, and only when they stay on the same origin (and inside what \`allowed\`
  // accepts): credentials in headers or bodies never travel to another host.
  let target = url;
  let request: RequestInit = init;
  for (let hop = 0; ; hop++) {
    let res: Response;
    try {
      res = await fetch(target, { ...request, redirect: 'manual', signal: ctx.signal });
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      const cause = (error as { cause?: { message?: string } }).cause;
      throw new Error('could not reach ' + target.origin + ': ' + (cause?.message ?? (error as Error).message));
    }
    const location = res.headers.get('location');
    if (res.status < 300 || res.status > 399 || res.status === 304 || !location) return res;
    await res.body?.cancel();
    const next = new URL(location, target);
    if (next.origin !== url.origin || (allowed && !allowed(next)))
      throw new Error('refusing to follow a redirect to ' + next.origin + next.pathname + ' (outside the configured URL)');
    if (hop >= 5) throw new Error('too many redirects');
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && request.method === 'POST')) {
      const headers = new Headers(request.headers);
      headers.delete('content-type');
      request = { ...request, method: 'GET', headers, body: undefined };
    }
    target = next;
  }
}
`;
