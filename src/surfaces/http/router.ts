/**
 * A small web-standard router whose route definitions are also the API description: each route names its
 * path, method, zod schemas for parameters, query and body, and its responses. The same definitions validate
 * requests here and produce the OpenAPI document in openapi.ts, so the two cannot drift apart.
 */
import type { z } from 'zod';
import { FactoryError, type Issue } from '../../core/errors/index.js';
import type { Principal } from '../../identity/access.js';
import type { Permission } from '../../identity/policy.js';
import { readCappedBody } from '../../platform/capped-body.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface ResponseSpec {
  description: string;
  /** Body schemas by content type (null: text without a schema). */
  content?: Record<string, z.ZodType | null>;
}

export interface RouteContext<P, Q, B> {
  request: Request;
  url: URL;
  params: P;
  query: Q;
  body: B;
  /** The caller (undefined on public routes). */
  principal: Principal | undefined;
  /** Audit actor: the token's name. */
  actor: string;
  /**
   * The caller's own credential (its bearer token, or the one its console session stands for), for the few
   * handlers that act at another part of the factory as the caller (the console's gateway calls). Never logged,
   * stored or echoed.
   */
  credential?: string | undefined;
}

export interface RouteDefinition<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  method: Method;
  /** `/mcp/servers/:name` */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Public routes (health, live, ready) skip authentication, rate limiting and the policy. */
  public?: boolean;
  /** What the caller must be allowed (asked of the identity policy); every route that is not public names one. */
  permission?: Permission;
  params?: P;
  query?: Q;
  body?: {
    schema: B;
    required: boolean;
    /** Also accept the body as YAML (application/yaml, text/yaml). */
    yaml?: boolean;
    description?: string;
  };
  /** Success responses by status. */
  responses: Record<number, ResponseSpec>;
  /** Error statuses this route may answer besides the ones every route has. */
  errors?: number[];
  /** A smaller body limit than the server's for this route (the lower of the two applies). */
  maxBodyBytes?: number;
  handler: (ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>>) => Promise<Response>;
}

/** Identity helper that infers the schema types of a route for its handler. */
export function route<
  P extends z.ZodType = z.ZodType<Record<string, never>>,
  Q extends z.ZodType = z.ZodType<Record<string, never>>,
  B extends z.ZodType = z.ZodType<undefined>,
>(definition: RouteDefinition<P, Q, B>): RouteDefinition {
  return definition as unknown as RouteDefinition;
}

export interface CompiledRoute {
  definition: RouteDefinition;
  pattern: RegExp;
  names: string[];
}

export function compileRoutes(routes: RouteDefinition[]): CompiledRoute[] {
  return routes.map((definition) => {
    if (!definition.public && !definition.permission)
      throw new FactoryError('INTERNAL', `route ${definition.method} ${definition.path} names no permission`);
    const names: string[] = [];
    const source = definition.path
      .split('/')
      .map((segment) => {
        if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(segment.slice(1));
        return '([^/]+)';
      })
      .join('/');
    return { definition, pattern: new RegExp(`^${source}$`), names };
  });
}

export type Match =
  | { kind: 'route'; route: CompiledRoute; params: Record<string, string> }
  | { kind: 'method'; allow: Method[] }
  | { kind: 'none' };

export function matchRoute(routes: CompiledRoute[], method: string, pathname: string): Match {
  const allow: Method[] = [];
  for (const route of routes) {
    const m = route.pattern.exec(pathname);
    if (!m) continue;
    if (route.definition.method !== method && !(method === 'HEAD' && route.definition.method === 'GET')) {
      allow.push(route.definition.method);
      continue;
    }
    const params: Record<string, string> = {};
    for (let i = 0; i < route.names.length; i++) {
      try {
        params[route.names[i]!] = decodeURIComponent(m[i + 1]!);
      } catch {
        throw invalidRequest('the path holds a malformed %-escape', [issue('path', 'malformed %-escape')]);
      }
    }
    return { kind: 'route', route, params };
  }
  return allow.length ? { kind: 'method', allow } : { kind: 'none' };
}

function issue(path: string, message: string): Issue {
  return {
    code: 'API_INVALID_REQUEST',
    message,
    path,
    hint: 'Check the request against GET /openapi.json.',
  };
}

export function invalidRequest(message: string, issues: Issue[] = []): FactoryError {
  return new FactoryError('API_INVALID_REQUEST', message, { issues });
}

/** zod issues as API issues, located at `params.name`, `query.tail`, `body.target`, … */
export function zodIssues(where: string, error: z.ZodError): Issue[] {
  return error.issues.map((i) =>
    issue(
      [where, ...i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
        .join('.')
        .replace(/\.\[/g, '['),
      i.message,
    ),
  );
}

export function parseWith<T extends z.ZodType>(where: string, schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw invalidRequest(
      `invalid ${where}: ${zodIssues(where, result.error)
        .map((i) => `${i.path}: ${i.message}`)
        .join('; ')}`,
      zodIssues(where, result.error),
    );
  return result.data;
}

/** Read a body up to `maxBytes`; throws API_BODY_TOO_LARGE as soon as it is known to be larger. */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new FactoryError('API_BODY_TOO_LARGE', `the request body exceeds ${maxBytes} bytes`, {
      details: { maxBytes },
    });
  const bytes = await readCappedBody(request, maxBytes, { cancelDeclaredTooLarge: false });
  if (!bytes) throw tooLarge();
  return bytes;
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/** Decode a body by its content type: JSON always, YAML where the route allows it (returned as text). */
export function decodeBody(
  bytes: Uint8Array,
  contentType: string | null,
  options: { yaml?: boolean | undefined },
): { value: unknown; yamlText?: string } | undefined {
  if (bytes.byteLength === 0) return undefined;
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalidRequest('the request body is not valid UTF-8', [issue('body', 'not valid UTF-8')]);
  }
  if (type === 'application/json' || type.endsWith('+json') || (type === '' && !options.yaml)) {
    try {
      return { value: JSON.parse(text) };
    } catch (error) {
      throw invalidRequest(`the request body is not valid JSON: ${(error as Error).message}`, [
        issue('body', `invalid JSON: ${(error as Error).message}`),
      ]);
    }
  }
  if (options.yaml && (YAML_TYPES.includes(type) || type === 'text/plain' || type === '')) {
    // Parsed and validated by the spec loader, which reports problems with line and column.
    return { value: text, yamlText: text };
  }
  throw new FactoryError(
    'API_INVALID_REQUEST',
    `unsupported content type "${type}": send application/json${options.yaml ? ' or application/yaml' : ''}`,
    { issues: [issue('headers.content-type', `unsupported content type "${type}"`)] },
  );
}

/**
 * Run a matched route for an authorized caller: parameters, query and body checked against the route's schemas
 * (a required body missing is API_INVALID_REQUEST; a body the route does not take still counts against the size
 * limit), then the handler. The one request pipeline of every HTTP core built on these routes.
 */
export async function runRoute(
  def: RouteDefinition,
  input: {
    request: Request;
    url: URL;
    params: Record<string, string>;
    principal: Principal | undefined;
    maxBodyBytes: number;
    credential?: string | undefined;
  },
): Promise<Response> {
  const { request, url, principal } = input;
  const maxBodyBytes = Math.min(input.maxBodyBytes, def.maxBodyBytes ?? Number.POSITIVE_INFINITY);
  const params = def.params ? parseWith('params', def.params, input.params) : {};
  const query = def.query
    ? parseWith('query', def.query, Object.fromEntries(url.searchParams))
    : ({} as Record<string, never>);
  let body: unknown;
  if (def.body) {
    const bytes = await readBody(request, maxBodyBytes);
    const decoded = decodeBody(bytes, request.headers.get('content-type'), { yaml: def.body.yaml });
    if (!decoded && def.body.required)
      throw new FactoryError('API_INVALID_REQUEST', 'the request needs a body', {
        issues: [
          {
            code: 'API_INVALID_REQUEST',
            message: 'missing body',
            path: 'body',
            hint: 'Send a JSON body (Content-Type: application/json).',
          },
        ],
      });
    const value = decoded?.yamlText !== undefined ? { spec: decoded.yamlText } : decoded?.value;
    body = decoded ? parseWith('body', def.body.schema as z.ZodType, value) : undefined;
  } else if (request.body && request.method !== 'GET' && request.method !== 'HEAD') {
    await readBody(request, maxBodyBytes); // a body nobody reads still counts against the limit
  }
  return def.handler({
    request,
    url,
    params: params as never,
    query: query as never,
    body: body as never,
    principal,
    actor: principal?.name ?? 'anonymous',
    ...(input.credential !== undefined ? { credential: input.credential } : {}),
  });
}
