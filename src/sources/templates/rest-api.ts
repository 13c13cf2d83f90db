/** `rest-api`: generic REST wrapper — get/post/put/delete on paths below one base URL. */
import {
  describeServer,
  envNameVariable,
  flag,
  flagVariable,
  lit,
  READ_BODY_SOURCE,
  urlVariable,
} from './common.js';
import type { TemplateDefinition, TemplateEnvVar, TemplateVars, ToolInput } from './types.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Resolves `args.path` below the base URL. Refuses absolute and protocol-relative URLs, backslashes and control
 * characters, `.`/`..` segments (also percent-encoded), and checks the final URL still lies below the base.
 */
export function restUrlSource(baseEnv: string, defaultBase: string): string {
  return `const path = args.path;
if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('//'))
  throw new Error('path must be relative to the base URL, not an absolute URL');
let decoded: string;
try {
  decoded = decodeURIComponent(path);
} catch {
  throw new Error('path has malformed percent-encoding');
}
if (/[\\u0000-\\u001f\\u007f\\\\]/.test(decoded)) throw new Error('path must not contain control characters, NUL or backslashes');
if (/[?#]/.test(path)) throw new Error('put query parameters in "query", not in the path');
if (decoded.split('/').some((segment) => segment === '..' || segment === '.'))
  throw new Error('path must not contain "." or ".." segments');
const baseText = process.env[${lit(baseEnv)}] || ${lit(defaultBase)};
if (!baseText) throw new Error(${lit(`environment variable ${baseEnv} is not set; set it to the API base URL, e.g. https://api.example.com/v1`)});
let base: URL;
try {
  base = new URL(baseText.endsWith('/') ? baseText : baseText + '/');
} catch {
  throw new Error(${lit(`${baseEnv} is not a valid URL`)});
}
if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(${lit(`${baseEnv} must be an http(s) URL`)});
base.search = '';
base.hash = '';
const url = new URL(path.replace(/^\\/+/, ''), base);
if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname))
  throw new Error('path leaves the base URL');
for (const [key, value] of Object.entries(args.query ?? {})) {
  if (value === undefined || value === null) continue;
  for (const item of Array.isArray(value) ? value : [value])
    url.searchParams.append(key, typeof item === 'object' ? JSON.stringify(item) : String(item));
}
`;
}

function authSource(vars: TemplateVars): string {
  const auth = vars.auth ?? 'none';
  const env = vars.authEnv ?? 'API_TOKEN';
  if (auth === 'bearer') return `headers.set('authorization', 'Bearer ' + ctx.env(${lit(env)}));\n`;
  if (auth === 'api_key')
    return `headers.set(${lit(vars.apiKeyHeader ?? 'X-API-Key')}, ctx.env(${lit(env)}));\n`;
  return '';
}

function methodSource(method: Method, vars: TemplateVars): string {
  const withBody = method === 'POST' || method === 'PUT';
  return `${restUrlSource(vars.baseUrlEnv ?? 'API_BASE_URL', vars.baseUrl ?? '')}${READ_BODY_SOURCE}const headers = new Headers({ accept: 'application/json, text/plain;q=0.9, */*;q=0.5' });
${authSource(vars)}${
  withBody
    ? `let body: string | undefined;
if (args.body !== undefined) {
  body = JSON.stringify(args.body);
  headers.set('content-type', 'application/json');
}
const res = await send(url, { method: ${lit(method)}, headers, body }, (next) => next.pathname.startsWith(base.pathname));
`
    : `const res = await send(url, { method: ${lit(method)}, headers }, (next) => next.pathname.startsWith(base.pathname));
`
}const data = await readBody(res);
if (!res.ok) throw new Error(${lit(method)} + ' ' + url.pathname + ' failed: HTTP ' + res.status + (data === '' ? '' : ': ' + excerpt(data)));
return { status: res.status, data };`;
}

const environment = (vars: TemplateVars): TemplateEnvVar[] => {
  const env: TemplateEnvVar[] = [
    {
      name: vars.baseUrlEnv ?? 'API_BASE_URL',
      description: `base URL of the API${vars.baseUrl ? ` (default ${vars.baseUrl})` : ''}`,
      required: !vars.baseUrl,
    },
  ];
  if (vars.auth === 'bearer' || vars.auth === 'api_key')
    env.push({
      name: vars.authEnv ?? 'API_TOKEN',
      description: vars.auth === 'bearer' ? 'bearer token' : `API key sent in ${vars.apiKeyHeader}`,
      required: true,
      secret: true,
    });
  return env;
};

const pathParam = {
  type: 'string' as const,
  required: true,
  minLength: 1,
  maxLength: 2000,
  description:
    'Path relative to the base URL, e.g. users/42 or /orders (no scheme, host, "..", query or fragment).',
};
const queryParam = {
  type: 'object' as const,
  description: 'Query parameters; an array value repeats the parameter.',
};
const bodyParam = { type: 'object' as const, description: 'JSON request body.' };

export const restApiTemplate: TemplateDefinition = {
  name: 'rest-api',
  title: 'Generic REST API',
  category: 'api',
  description:
    'Call any JSON REST API below one base URL: get, post, put and delete on relative paths, with optional bearer or API-key authentication from the environment.',
  variables: [
    urlVariable('baseUrl', 'Default base URL (the base URL environment variable overrides it).'),
    envNameVariable('baseUrlEnv', 'Environment variable holding the base URL.', 'API_BASE_URL'),
    {
      name: 'auth',
      description: 'How requests authenticate.',
      default: 'none',
      enum: ['none', 'bearer', 'api_key'],
    },
    envNameVariable('authEnv', 'Environment variable holding the token or API key.', 'API_TOKEN'),
    {
      name: 'apiKeyHeader',
      description: 'Header that carries the API key (auth=api_key).',
      default: 'X-API-Key',
      format: 'an HTTP header name such as X-API-Key',
      validate: (v) =>
        /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/.test(v) ? undefined : 'is not an HTTP header name',
    },
    flagVariable('readOnly', 'Only the get tool (no post, put or delete).', false),
  ],
  environment,
  build(vars, serverName) {
    const tool = (method: Method, description: string, extra: Partial<ToolInput>): ToolInput => ({
      name: method.toLowerCase(),
      title: `${method} request`,
      description,
      parameters: {
        path: pathParam,
        query: queryParam,
        ...(method === 'POST' || method === 'PUT' ? { body: bodyParam } : {}),
      },
      code: { source: methodSource(method, vars) },
      examples: [
        { arguments: { path: 'https://elsewhere.example/x' }, expect: { isError: true } },
        { arguments: { path: '../outside' }, expect: { isError: true } },
      ],
      ...extra,
    });
    const tools: ToolInput[] = [
      tool('GET', 'GET a resource below the API base URL. Returns the HTTP status and the response body.', {
        annotations: { readOnly: true, idempotent: true, openWorld: true },
      }),
    ];
    if (!flag(vars, 'readOnly'))
      tools.push(
        tool('POST', 'POST a JSON body to a path below the API base URL (create or act).', {
          annotations: { readOnly: false, destructive: false, idempotent: false, openWorld: true },
        }),
        tool('PUT', 'PUT a JSON body to a path below the API base URL (replace or update).', {
          annotations: { readOnly: false, destructive: true, idempotent: true, openWorld: true },
        }),
        tool('DELETE', 'DELETE a resource below the API base URL.', {
          annotations: { readOnly: false, destructive: true, idempotent: true, openWorld: true },
        }),
      );
    return {
      name: serverName,
      version: '0.1.0',
      title: 'REST API',
      description: describeServer(
        'Calls a REST API on paths relative to its base URL; requests cannot leave that base.',
        environment(vars),
      ),
      tools,
    };
  },
};
