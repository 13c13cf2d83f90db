/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the route definitions and their zod schemas (plus
 * the published spec JSON Schema for request bodies that carry a spec). Nothing here is written by hand per
 * route: adding a route (routes.ts, operation-routes.ts) adds it to the document.
 */
import { z } from 'zod';
import { specJsonSchema } from '../../core/spec/index.js';
import type { RouteDefinition } from '../http/router.js';
import { namedSchemas } from '../operations/schemas.js';

type Json = Record<string, unknown>;

const REF = '#/components/schemas/';

/** Rewrite local `#/$defs/X` references of a schema into component references, recursively. */
function rewriteRefs(node: unknown, local: (def: string) => string): unknown {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, local));
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === '$ref' && typeof value === 'string') {
      const shared = /^#\/components\/schemas\/__shared#\/\$defs\/(.+)$/.exec(value);
      if (shared) out[key] = `${REF}Shared_${shared[1]!.replace(/^_+/, '')}`;
      else if (value.startsWith('#/$defs/')) out[key] = `${REF}${local(value.slice('#/$defs/'.length))}`;
      else out[key] = value;
    } else out[key] = rewriteRefs(value, local);
  }
  return out;
}

/** Put a JSON Schema (and its `$defs`) into components under `name`, `name_def`, … */
function hoist(name: string, schema: Json, into: Json): void {
  const { $schema: _s, $id: _i, $defs, ...root } = schema;
  const defName = (def: string) => `${name}_${def.replace(/^_+/, '')}`;
  if (Object.keys(root).length) into[name] = rewriteRefs(root, defName);
  for (const [def, value] of Object.entries(($defs ?? {}) as Json))
    into[defName(def)] = rewriteRefs(value, defName);
}

function isObjectSchema(schema: z.ZodType | undefined): schema is z.ZodObject {
  return schema instanceof z.ZodObject;
}

function parameters(where: 'path' | 'query', schema: z.ZodType | undefined): Json[] {
  if (!isObjectSchema(schema)) return [];
  return Object.entries(schema.shape).map(([name, field]) => {
    // Documented as the value the API works with (`tail` is an integer), unless only the text form has a
    // schema (enumerations turned into booleans).
    const convert = (io: 'input' | 'output') =>
      z.toJSONSchema(field as z.ZodType, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Json;
    let json = convert('output');
    if (!Object.keys(json).some((k) => k !== '$schema' && k !== 'description')) json = convert('input');
    const { $schema: _s, description, ...rest } = json;
    const optional = (field as z.ZodType).safeParse(undefined).success;
    return {
      name,
      in: where,
      required: where === 'path' || !optional,
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (API_INVALID_REQUEST and other input errors); details.issues lists each problem.',
  401: 'Missing, unknown or revoked bearer token (API_UNAUTHORIZED).',
  403: 'Host/Origin not allowed, or the token reached its server limit.',
  404: 'Unknown server, tool or route.',
  409: 'Conflict with the current state.',
  413: 'Request body too large (API_BODY_TOO_LARGE).',
  422: 'The spec is invalid (details.issues), or the generated server failed its checks.',
  429: 'Rate limit exceeded (API_RATE_LIMITED); see Retry-After.',
  500: 'Internal error.',
  501: 'Not available in this installation.',
  502: 'The deployed server failed.',
  503: 'Busy or not ready (API_BUSY, REGISTRY_UNAVAILABLE); see Retry-After.',
  504: 'The deployment did not reach the requested state in time (DEPLOY_TIMEOUT).',
};

export interface OpenApiInfo {
  version: string;
  title?: string;
}

export function openApiDocument(routes: RouteDefinition[], info: OpenApiInfo): Json {
  // Every schema a route uses becomes a component: named ones under their name, the others by operation.
  const registry = z.registry<{ id: string }>();
  const ids = new Map<z.ZodType, string>();
  for (const [id, schema] of namedSchemas) {
    registry.add(schema, { id });
    ids.set(schema, id);
  }
  const idOf = (schema: z.ZodType, fallback: string): string => {
    let id = ids.get(schema);
    if (!id) {
      id = fallback;
      registry.add(schema, { id });
      ids.set(schema, id);
    }
    return id;
  };
  const ops: Array<{
    route: RouteDefinition;
    body?: string;
    responses: Map<number, Map<string, string | null>>;
  }> = [];
  for (const route of routes) {
    const cap = route.operationId[0]!.toUpperCase() + route.operationId.slice(1);
    const responses = new Map<number, Map<string, string | null>>();
    let unnamed = 0;
    for (const [status, spec] of Object.entries(route.responses)) {
      const content = new Map<string, string | null>();
      for (const [type, schema] of Object.entries(spec.content ?? {}))
        content.set(type, schema ? idOf(schema, `${cap}Response${unnamed++ || ''}`) : null);
      responses.set(Number(status), content);
    }
    ops.push({
      route,
      ...(route.body ? { body: idOf(route.body.schema, `${cap}Body`) } : {}),
      responses,
    });
  }

  const converted = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'output',
    unrepresentable: 'any',
    uri: (id) => `${REF}${id}`,
  }) as { schemas: Record<string, Json> };
  const schemas: Json = {};
  for (const [id, schema] of Object.entries(converted.schemas)) {
    if (id === '__shared') hoist('Shared', schema, schemas);
    else if (id === 'ServerSpec') hoist('ServerSpec', specJsonSchema(), schemas);
    else hoist(id, schema, schemas);
  }

  const paths: Record<string, Json> = {};
  for (const { route, body, responses } of ops) {
    const path = route.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const errorStatuses = new Set<number>([403, 500, ...(route.errors ?? [])]);
    if (!route.public) {
      errorStatuses.add(401);
      errorStatuses.add(429);
    }
    if (route.params || route.query || route.body) errorStatuses.add(400);
    if (route.body) errorStatuses.add(413);
    const responseObjects: Json = {};
    for (const [status, content] of [...responses].sort(([a], [b]) => a - b)) {
      const spec = route.responses[status]!;
      responseObjects[String(status)] = {
        description: spec.description,
        ...(content.size
          ? {
              content: Object.fromEntries(
                [...content].map(([type, id]) => [
                  type,
                  { schema: id ? { $ref: `${REF}${id}` } : { type: 'string' } },
                ]),
              ),
            }
          : {}),
      };
    }
    for (const status of [...errorStatuses].sort((a, b) => a - b)) {
      const headers: Json = {};
      if (status === 429 || status === 503)
        headers['Retry-After'] = {
          description: 'Seconds to wait before retrying.',
          schema: { type: 'integer' },
        };
      if (status === 401)
        headers['WWW-Authenticate'] = { description: 'Bearer challenge.', schema: { type: 'string' } };
      responseObjects[String(status)] = {
        description: ERROR_DESCRIPTIONS[status] ?? 'Error.',
        ...(Object.keys(headers).length ? { headers } : {}),
        content: { 'application/json': { schema: { $ref: `${REF}Error` } } },
      };
    }
    const operation: Json = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      ...(route.public ? { security: [] } : {}),
      ...(route.params || route.query
        ? { parameters: [...parameters('path', route.params), ...parameters('query', route.query)] }
        : {}),
      ...(route.body && body
        ? {
            requestBody: {
              required: route.body.required,
              ...(route.body.description ? { description: route.body.description } : {}),
              content: {
                'application/json': { schema: { $ref: `${REF}${body}` } },
                ...(route.body.yaml
                  ? { 'application/yaml': { schema: { type: 'string', description: 'The spec as YAML.' } } }
                  : {}),
              },
            },
          }
        : {}),
      responses: responseObjects,
    };
    paths[path] = { ...(paths[path] as Json | undefined), [route.method.toLowerCase()]: operation };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: info.title ?? 'MCP Factory API',
      version: info.version,
      description:
        'Manage MCP servers generated by MCP Factory: create from specs, deploy, inspect, stop, start, remove. ' +
        'Every endpoint except /health, /live and /ready needs `Authorization: Bearer <token>` ' +
        '(mcp-factory token create NAME). Errors share one shape: { error, message, details, timestamp }.',
    },
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API token (mcpf_…) from `mcp-factory token create`.',
        },
      },
      schemas,
    },
  };
}
