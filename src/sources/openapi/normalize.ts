/**
 * Swagger 2.0 / OpenAPI 3.0 / 3.1 document → `ApiOperation[]` (version-independent, references resolved).
 * Every operation is read in isolation: a problem in one is recorded on it (or skips it), never the import.
 */
import type {
  ApiMediaType,
  ApiOperation,
  ApiParameter,
  ApiRequestBody,
  ApiResponse,
  ApiSecurityRequirement,
  ApiSecurityScheme,
  HttpMethod,
  ImportReport,
  JsonSchema,
  ParameterLocation,
  ParameterStyle,
  ReportEntry,
  XMcp,
} from './model.js';
import { type Located, RefError, type Resolver, type SchemaContext, shortKey } from './refs.js';
import { shortMessage } from './text.js';

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const LOCATIONS = new Set<string>(['path', 'query', 'header', 'cookie']);
const MAX_TEXT = 20_000;

export interface DocumentInfo {
  specification: ImportReport['specification'];
  title?: string;
  version?: string;
  description?: string;
}

export interface NormalizeResult {
  info: DocumentInfo;
  operations: ApiOperation[];
  /** Operations that could not be read at all (each has an `error` entry). */
  failed: ReportEntry[];
  /** Document-level findings. */
  entries: ReportEntry[];
  /** Number of operations in the document (read or not). */
  total: number;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? (v.length > MAX_TEXT ? v.slice(0, MAX_TEXT) : v) : undefined;
}

export function specificationOf(doc: unknown): DocumentInfo['specification'] {
  if (!isObj(doc)) return 'unknown';
  if (typeof doc.swagger === 'string' && /^2\.0(\.\d+)?$/.test(doc.swagger)) return 'swagger-2.0';
  if (typeof doc.openapi === 'string' && /^3\.0(\.\d+)?(-[\w.]+)?$/.test(doc.openapi)) return 'openapi-3.0';
  if (typeof doc.openapi === 'string' && /^3\.1(\.\d+)?(-[\w.]+)?$/.test(doc.openapi)) return 'openapi-3.1';
  return 'unknown';
}

export function pointerOf(...segments: string[]): string {
  return `#/${segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

export function normalizeDocument(doc: Obj, rootUrl: string, resolver: Resolver): NormalizeResult {
  const spec = specificationOf(doc);
  const swagger = spec === 'swagger-2.0';
  const info = isObj(doc.info) ? doc.info : {};
  const result: NormalizeResult = {
    info: {
      specification: spec,
      ...(str(info.title) ? { title: str(info.title)! } : {}),
      ...(typeof info.version === 'string' || typeof info.version === 'number'
        ? { version: String(info.version) }
        : {}),
      ...(str(info.description) ? { description: str(info.description)! } : {}),
    },
    operations: [],
    failed: [],
    entries: [],
    total: 0,
  };
  const docEntry = (reason: string, severity: ReportEntry['severity'], pointer?: string) =>
    result.entries.push({ operation: '', reason, severity, ...(pointer ? { pointer } : {}) });

  const schemes = readSecuritySchemes(doc, swagger, rootUrl, resolver, docEntry);
  const docSecurity = doc.security;
  const docServers = swagger
    ? swaggerServers(doc)
    : readServers(doc.servers, (r) => docEntry(r, 'warning'), '#/servers');
  const consumes = swagger ? stringList(doc.consumes) : [];
  const produces = swagger ? stringList(doc.produces) : [];

  const paths = isObj(doc.paths) ? doc.paths : {};
  if (isObj(doc.webhooks) && Object.keys(doc.webhooks).length > 0)
    docEntry('webhooks are incoming requests, not operations: not imported', 'info', '#/webhooks');
  for (const [path, rawItem] of Object.entries(paths)) {
    if (path.startsWith('x-')) continue;
    const itemPointer = pointerOf('paths', path);
    let item: Located<unknown>;
    try {
      item = resolver.follow({ value: rawItem, base: rootUrl });
    } catch (error) {
      result.total++;
      result.failed.push({
        operation: `* ${path}`,
        reason: shortMessage(error),
        severity: 'error',
        pointer: itemPointer,
      });
      continue;
    }
    if (!isObj(item.value)) continue;
    const pathItem = item.value;
    const methods = Object.keys(pathItem).filter((k): k is (typeof METHODS)[number] =>
      (METHODS as readonly string[]).includes(k),
    );
    for (const method of methods) {
      const raw = pathItem[method];
      if (!isObj(raw)) continue;
      result.total++;
      const key = `${method.toUpperCase()} ${path}`;
      const pointer =
        item.base === rootUrl && rawItem === item.value
          ? pointerOf('paths', path, method)
          : `${itemPointer} → ${method}`;
      if (!path.startsWith('/')) {
        result.failed.push({
          operation: key,
          reason: 'the path does not start with "/"',
          severity: 'error',
          pointer,
        });
        continue;
      }
      try {
        const op = readOperation({
          resolver,
          rootUrl,
          swagger,
          path,
          method,
          key,
          pointer,
          op: raw,
          item: pathItem,
          base: item.base,
          schemes,
          docSecurity,
          docServers,
          consumes,
          produces,
        });
        result.operations.push(op);
      } catch (error) {
        const reason =
          error instanceof RangeError
            ? 'the operation is nested too deeply to read'
            : error instanceof RefError
              ? error.message
              : `cannot read the operation: ${shortMessage(error)}`;
        result.failed.push({ operation: key, reason, severity: 'error', pointer });
      }
    }
  }
  return result;
}

interface OperationInput {
  resolver: Resolver;
  rootUrl: string;
  swagger: boolean;
  path: string;
  method: (typeof METHODS)[number];
  key: string;
  pointer: string;
  op: Obj;
  item: Obj;
  base: string;
  schemes: Map<string, ApiSecurityScheme>;
  docSecurity: unknown;
  docServers: string[];
  consumes: string[];
  produces: string[];
}

function readOperation(input: OperationInput): ApiOperation {
  const { resolver, op, key, pointer } = input;
  const problems: ReportEntry[] = [];
  const problem = (reason: string, severity: ReportEntry['severity'] = 'warning') =>
    problems.push({ operation: key, reason, severity, pointer });
  const schemaCtx = (): SchemaContext => ({ problems: new Set(), nodes: 0 });
  const flush = (ctx: SchemaContext, where: string) => {
    for (const p of ctx.problems)
      problem(`${where}: ${p}`, p.startsWith('recursive schema') ? 'info' : 'warning');
  };
  const schemaOf = (node: unknown, base: string, where: string): JsonSchema => {
    const ctx = schemaCtx();
    const schema = resolver.schema(node, base, ctx);
    flush(ctx, where);
    return schema;
  };

  // Parameters: path-level first, operation-level overriding by (in, name).
  const raw: Array<{ value: Obj; base: string }> = [];
  const collect = (list: unknown, base: string) => {
    if (!Array.isArray(list)) return;
    for (const entry of list) {
      // An unresolvable parameter may be a required one: the operation cannot be called correctly.
      const p = resolver.follow({ value: entry, base });
      if (isObj(p.value)) raw.push({ value: p.value, base: p.base });
    }
  };
  collect(input.item.parameters, input.base);
  const pathLevel = raw.length;
  collect(op.parameters, input.base);
  const overridden = new Set(
    raw.slice(pathLevel).map((p) => `${String(p.value.in)}\u0000${String(p.value.name)}`),
  );
  const merged = [
    ...raw
      .slice(0, pathLevel)
      .filter((p) => !overridden.has(`${String(p.value.in)}\u0000${String(p.value.name)}`)),
    ...raw.slice(pathLevel),
  ];

  const parameters: ApiParameter[] = [];
  const bodyParams: Array<{ value: Obj; base: string }> = [];
  const formParams: Array<{ value: Obj; base: string }> = [];
  for (const p of merged) {
    const name = p.value.name;
    const location = p.value.in;
    if (typeof name !== 'string' || name === '' || typeof location !== 'string') {
      problem('a parameter without a name or location was dropped');
      continue;
    }
    if (input.swagger && location === 'body') {
      bodyParams.push(p);
      continue;
    }
    if (input.swagger && location === 'formData') {
      formParams.push(p);
      continue;
    }
    if (!LOCATIONS.has(location)) {
      problem(`parameter "${name}" has an unknown location "${location}" and was dropped`);
      continue;
    }
    const parameter = input.swagger
      ? swaggerParameter(
          p.value,
          name,
          location as ParameterLocation,
          (n, w) => schemaOf(n, p.base, w),
          problem,
        )
      : openApiParameter(
          p.value,
          name,
          location as ParameterLocation,
          (n, w) => schemaOf(n, p.base, w),
          resolver,
          p.base,
        );
    parameters.push(parameter);
  }

  let requestBody: ApiRequestBody | undefined;
  if (input.swagger) {
    const consumes = stringList(op.consumes).length ? stringList(op.consumes) : input.consumes;
    requestBody = swaggerBody(bodyParams, formParams, consumes, schemaOf, problem);
  } else if (op.requestBody !== undefined) {
    const body = resolver.follow({ value: op.requestBody, base: input.base });
    if (isObj(body.value)) requestBody = openApiBody(body.value, body.base, resolver, schemaOf, problem);
  }

  const response = input.swagger
    ? swaggerResponse(op, input, schemaOf, problem)
    : openApiResponse(op, input.base, resolver, schemaOf, problem);

  if (isObj(op.callbacks) && Object.keys(op.callbacks).length > 0)
    problem('callbacks (requests the API makes back) are not supported and were ignored', 'info');

  const security = readRequirements(op.security ?? input.docSecurity, input.schemes, problem);
  const servers = input.swagger
    ? input.docServers
    : firstNonEmpty(
        readServers(op.servers, (r) => problem(r, 'info'), `${pointer}/servers`),
        readServers(input.item.servers, (r) => problem(r, 'info'), `${pointer}/servers`),
        input.docServers,
      );

  const operation: ApiOperation = {
    key,
    method: input.method.toUpperCase() as HttpMethod,
    path: input.path,
    tags: stringList(op.tags),
    deprecated: op.deprecated === true,
    parameters,
    security,
    servers,
    pointer,
    problems,
  };
  const operationId = str(op.operationId);
  if (operationId) operation.operationId = operationId;
  const summary = str(op.summary) ?? (input.swagger ? undefined : str(input.item.summary));
  if (summary) operation.summary = summary;
  const description = str(op.description) ?? (input.swagger ? undefined : str(input.item.description));
  if (description) operation.description = description;
  if (requestBody) operation.requestBody = requestBody;
  if (response) operation.response = response;
  const xMcp = readXMcp(op['x-mcp'], problem);
  if (xMcp) operation.xMcp = xMcp;
  return operation;
}

function firstNonEmpty(...lists: string[][]): string[] {
  return lists.find((l) => l.length > 0) ?? [];
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function openApiParameter(
  p: Obj,
  name: string,
  location: ParameterLocation,
  schemaOf: (node: unknown, where: string) => JsonSchema,
  resolver: Resolver,
  base: string,
): ApiParameter {
  const style = (
    typeof p.style === 'string' ? p.style : location === 'query' || location === 'cookie' ? 'form' : 'simple'
  ) as ParameterStyle;
  const parameter: ApiParameter = {
    name,
    in: location,
    required: location === 'path' ? true : p.required === true,
    style,
    explode: typeof p.explode === 'boolean' ? p.explode : style === 'form',
  };
  const description = str(p.description);
  if (description) parameter.description = description;
  if (p.deprecated === true) parameter.deprecated = true;
  if (p.schema !== undefined) parameter.schema = schemaOf(p.schema, `parameter "${name}"`);
  else if (isObj(p.content)) {
    const [contentType, media] = Object.entries(p.content)[0] ?? [];
    if (contentType) {
      parameter.contentType = contentType;
      const m = resolver.follow({ value: media, base });
      if (isObj(m.value) && m.value.schema !== undefined)
        parameter.schema = schemaOf(m.value.schema, `parameter "${name}"`);
    }
  }
  return parameter;
}

const SWAGGER_SCHEMA_FIELDS = [
  'type',
  'format',
  'items',
  'enum',
  'default',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'description',
];

/** A Swagger 2.0 parameter carries its schema keywords itself; `exclusiveMinimum` is boolean as in 3.0. */
function swaggerSchemaOf(p: Obj): Obj {
  const schema: Obj = {};
  for (const k of SWAGGER_SCHEMA_FIELDS) if (p[k] !== undefined) schema[k] = p[k];
  if (schema.type === 'file') schema.type = 'string';
  if (p.type === 'file') schema.format = 'binary';
  return schema;
}

function swaggerParameter(
  p: Obj,
  name: string,
  location: ParameterLocation,
  schemaOf: (node: unknown, where: string) => JsonSchema,
  problem: (reason: string, severity?: ReportEntry['severity']) => void,
): ApiParameter {
  const format = typeof p.collectionFormat === 'string' ? p.collectionFormat : 'csv';
  const simple = location === 'path' || location === 'header';
  const styles: Record<string, [ParameterStyle, boolean]> = {
    csv: [simple ? 'simple' : 'form', false],
    multi: ['form', true],
    ssv: ['spaceDelimited', false],
    pipes: ['pipeDelimited', false],
    tsv: ['tabDelimited', false],
  };
  const [style, explode] = styles[format] ?? styles.csv!;
  if (!styles[format])
    problem(`parameter "${name}": unknown collectionFormat "${format}", read as csv`, 'info');
  const parameter: ApiParameter = {
    name,
    in: location,
    required: location === 'path' ? true : p.required === true,
    style,
    explode,
    schema: schemaOf(swaggerSchemaOf(p), `parameter "${name}"`),
  };
  const description = str(p.description);
  if (description) parameter.description = description;
  return parameter;
}

function swaggerBody(
  bodyParams: Array<{ value: Obj; base: string }>,
  formParams: Array<{ value: Obj; base: string }>,
  consumes: string[],
  schemaOf: (node: unknown, base: string, where: string) => JsonSchema,
  problem: (reason: string, severity?: ReportEntry['severity']) => void,
): ApiRequestBody | undefined {
  const body = bodyParams[0];
  if (bodyParams.length > 1) problem('more than one body parameter: only the first is used');
  if (body) {
    if (formParams.length)
      problem('both a body and formData parameters: the formData parameters were dropped');
    const types = consumes.length ? consumes : ['application/json'];
    const schema = schemaOf(body.value.schema, body.base, 'request body');
    const result: ApiRequestBody = {
      required: body.value.required === true,
      content: types.map((contentType) => ({ contentType, schema })),
    };
    const description = str(body.value.description);
    if (description) result.description = description;
    return result;
  }
  if (formParams.length === 0) return undefined;
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const p of formParams) {
    const name = p.value.name as string;
    const schema = schemaOf(swaggerSchemaOf(p.value), p.base, `form field "${name}"`);
    properties[name] = schema;
    if (p.value.required === true) required.push(name);
  }
  const hasFile = formParams.some((p) => p.value.type === 'file');
  const types = consumes.filter((t) => /multipart\/form-data|application\/x-www-form-urlencoded/i.test(t));
  const contentType =
    hasFile || types.some((t) => /multipart/i.test(t))
      ? 'multipart/form-data'
      : 'application/x-www-form-urlencoded';
  return {
    required: required.length > 0,
    content: [
      {
        contentType: types[0] && !hasFile ? types[0] : contentType,
        schema: { type: 'object', properties, required },
      },
    ],
  };
}

/** Media types the mapping can use get their schema resolved; others are listed only. */
export function bodyKind(contentType: string): 'json' | 'form' | 'multipart' | undefined {
  const t = contentType.toLowerCase().split(';')[0]!.trim();
  if (
    t === 'application/json' ||
    /^[a-z0-9.+-]+\/[a-z0-9.+-]*\+json$/.test(t) ||
    t === '*/*' ||
    t === 'application/*' ||
    t === 'text/json'
  )
    return 'json';
  if (t === 'application/x-www-form-urlencoded') return 'form';
  if (t === 'multipart/form-data' || t === 'multipart/mixed') return 'multipart';
  return undefined;
}

function openApiBody(
  body: Obj,
  base: string,
  resolver: Resolver,
  schemaOf: (node: unknown, base: string, where: string) => JsonSchema,
  problem: (reason: string, severity?: ReportEntry['severity']) => void,
): ApiRequestBody {
  const content: ApiMediaType[] = [];
  const resolvedKinds = new Set<string>();
  for (const [contentType, rawMedia] of Object.entries(isObj(body.content) ? body.content : {})) {
    const media: ApiMediaType = { contentType };
    const kind = bodyKind(contentType);
    if (kind && !resolvedKinds.has(kind)) {
      try {
        const m = resolver.follow({ value: rawMedia, base });
        if (isObj(m.value)) {
          if (m.value.schema !== undefined)
            media.schema = schemaOf(m.value.schema, m.base, `request body (${contentType})`);
          if (isObj(m.value.encoding)) {
            const encoding: Record<string, { contentType?: string }> = {};
            for (const [field, enc] of Object.entries(m.value.encoding))
              if (isObj(enc) && typeof enc.contentType === 'string')
                encoding[field] = { contentType: enc.contentType };
            media.encoding = encoding;
          }
        }
        resolvedKinds.add(kind);
      } catch (error) {
        problem(`request body (${contentType}): ${shortMessage(error)}`);
      }
    }
    content.push(media);
  }
  const result: ApiRequestBody = { required: body.required === true, content };
  const description = str(body.description);
  if (description) result.description = description;
  return result;
}

/** The success response: 200, 201, … in ascending order, then 2XX; the first with a body wins, else the first. */
function successStatuses(responses: Obj): string[] {
  const codes = Object.keys(responses).filter((c) => /^2(\d\d|XX)$/i.test(c));
  return codes.sort(
    (a, b) =>
      (a.toUpperCase().endsWith('XX') ? 1 : 0) - (b.toUpperCase().endsWith('XX') ? 1 : 0) ||
      a.localeCompare(b),
  );
}

function openApiResponse(
  op: Obj,
  base: string,
  resolver: Resolver,
  schemaOf: (node: unknown, base: string, where: string) => JsonSchema,
  problem: (reason: string, severity?: ReportEntry['severity']) => void,
): ApiResponse | undefined {
  const responses = isObj(op.responses) ? op.responses : {};
  let fallback: ApiResponse | undefined;
  for (const status of successStatuses(responses)) {
    let r: Located<unknown>;
    try {
      r = resolver.follow({ value: responses[status], base });
    } catch (error) {
      problem(`response ${status}: ${shortMessage(error)}`);
      continue;
    }
    if (!isObj(r.value)) continue;
    const content = isObj(r.value.content) ? r.value.content : {};
    const response: ApiResponse = { status, contentTypes: Object.keys(content) };
    const description = str(r.value.description);
    if (description) response.description = description;
    const json = Object.keys(content).find((t) => bodyKind(t) === 'json');
    if (json) {
      response.contentType = json;
      try {
        const media = resolver.follow({ value: content[json], base: r.base });
        if (isObj(media.value) && media.value.schema !== undefined)
          response.schema = schemaOf(media.value.schema, media.base, `response ${status}`);
      } catch (error) {
        problem(`response ${status}: ${shortMessage(error)}`);
      }
    }
    if (response.contentTypes.length > 0) return response;
    fallback ??= response;
  }
  return fallback;
}

function swaggerResponse(
  op: Obj,
  input: OperationInput,
  schemaOf: (node: unknown, base: string, where: string) => JsonSchema,
  problem: (reason: string, severity?: ReportEntry['severity']) => void,
): ApiResponse | undefined {
  const responses = isObj(op.responses) ? op.responses : {};
  const produces = stringList(op.produces).length ? stringList(op.produces) : input.produces;
  let fallback: ApiResponse | undefined;
  for (const status of successStatuses(responses)) {
    let r: Located<unknown>;
    try {
      r = input.resolver.follow({ value: responses[status], base: input.base });
    } catch (error) {
      problem(`response ${status}: ${shortMessage(error)}`);
      continue;
    }
    if (!isObj(r.value)) continue;
    const response: ApiResponse = {
      status,
      contentTypes: r.value.schema !== undefined ? (produces.length ? produces : ['application/json']) : [],
    };
    const description = str(r.value.description);
    if (description) response.description = description;
    const json = response.contentTypes.find((t) => bodyKind(t) === 'json');
    if (json && r.value.schema !== undefined) {
      response.contentType = json;
      response.schema = schemaOf(r.value.schema, r.base, `response ${status}`);
    }
    if (response.contentTypes.length > 0) return response;
    fallback ??= response;
  }
  return fallback;
}

function readServers(list: unknown, note: (reason: string) => void, pointer: string): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const server of list) {
    if (!isObj(server) || typeof server.url !== 'string') continue;
    const variables = isObj(server.variables) ? server.variables : {};
    let unresolved = false;
    const url = server.url.replace(/\{([^{}]+)\}/g, (whole, name: string) => {
      const v = variables[name];
      if (isObj(v) && (typeof v.default === 'string' || typeof v.default === 'number'))
        return String(v.default);
      if (isObj(v) && Array.isArray(v.enum) && typeof v.enum[0] === 'string') return v.enum[0];
      unresolved = true;
      return whole;
    });
    if (unresolved) {
      note(`server URL ${server.url} (${pointer}) has a variable without a default and was ignored`);
      continue;
    }
    out.push(url);
  }
  return out;
}

function swaggerServers(doc: Obj): string[] {
  const basePath = typeof doc.basePath === 'string' ? doc.basePath : '';
  const schemes = stringList(doc.schemes);
  const scheme = schemes.includes('https') ? 'https' : (schemes[0] ?? 'https');
  if (typeof doc.host === 'string' && doc.host !== '') return [`${scheme}://${doc.host}${basePath}`];
  return [basePath || '/'];
}

function readSecuritySchemes(
  doc: Obj,
  swagger: boolean,
  rootUrl: string,
  resolver: Resolver,
  docEntry: (reason: string, severity: ReportEntry['severity'], pointer?: string) => void,
): Map<string, ApiSecurityScheme> {
  const out = new Map<string, ApiSecurityScheme>();
  const container = swagger
    ? doc.securityDefinitions
    : isObj(doc.components)
      ? doc.components.securitySchemes
      : undefined;
  if (!isObj(container)) return out;
  for (const [key, raw] of Object.entries(container)) {
    let value: unknown;
    try {
      value = resolver.follow({ value: raw, base: rootUrl }).value;
    } catch (error) {
      docEntry(`security scheme "${key}": ${shortMessage(error)}`, 'warning');
      continue;
    }
    if (!isObj(value)) continue;
    const scheme: ApiSecurityScheme = { key, type: 'unknown' };
    const description = str(value.description);
    if (description) scheme.description = description;
    const type = value.type;
    if (type === 'apiKey') {
      scheme.type = 'apiKey';
      if (value.in === 'header' || value.in === 'query' || value.in === 'cookie') scheme.in = value.in;
      if (typeof value.name === 'string') scheme.name = value.name;
    } else if (type === 'http' || (swagger && type === 'basic')) {
      scheme.type = 'http';
      scheme.scheme = swagger ? 'basic' : typeof value.scheme === 'string' ? value.scheme.toLowerCase() : '';
    } else if (type === 'oauth2') {
      scheme.type = 'oauth2';
      const other: string[] = [];
      if (swagger) {
        const scopes = isObj(value.scopes) ? Object.keys(value.scopes) : [];
        if (value.flow === 'application' && typeof value.tokenUrl === 'string')
          scheme.clientCredentials = { tokenUrl: value.tokenUrl, scopes };
        else if (typeof value.flow === 'string') other.push(value.flow);
      } else {
        const flows = isObj(value.flows) ? value.flows : {};
        for (const [flow, def] of Object.entries(flows)) {
          if (flow === 'clientCredentials' && isObj(def) && typeof def.tokenUrl === 'string')
            scheme.clientCredentials = {
              tokenUrl: def.tokenUrl,
              scopes: isObj(def.scopes) ? Object.keys(def.scopes) : [],
            };
          else other.push(flow);
        }
      }
      if (other.length) scheme.otherFlows = other;
    } else if (type === 'openIdConnect') scheme.type = 'openIdConnect';
    else if (type === 'mutualTLS') scheme.type = 'mutualTLS';
    out.set(key, scheme);
  }
  return out;
}

function readRequirements(
  list: unknown,
  schemes: Map<string, ApiSecurityScheme>,
  problem: (reason: string, severity?: ReportEntry['severity']) => void,
): ApiSecurityRequirement[] {
  if (!Array.isArray(list)) return [];
  const out: ApiSecurityRequirement[] = [];
  for (const requirement of list) {
    if (!isObj(requirement)) continue;
    const all: ApiSecurityRequirement = [];
    for (const [key, scopes] of Object.entries(requirement)) {
      const scheme = schemes.get(key);
      if (!scheme) problem(`security requirement names the undefined scheme "${key}"`, 'info');
      all.push({ scheme: scheme ?? { key, type: 'unknown' }, scopes: stringList(scopes) });
    }
    out.push(all);
  }
  return out;
}

function readXMcp(
  value: unknown,
  problem: (reason: string, severity?: ReportEntry['severity']) => void,
): XMcp | undefined {
  if (value === undefined) return undefined;
  if (!isObj(value)) {
    problem('x-mcp must be a mapping; ignored', 'info');
    return undefined;
  }
  const out: XMcp = {};
  if (typeof value.name === 'string') out.name = value.name;
  if (value.exclude === true) out.exclude = true;
  if (typeof value.title === 'string') out.title = value.title;
  if (typeof value.description === 'string') out.description = value.description;
  if (isObj(value.annotations)) {
    const a: NonNullable<XMcp['annotations']> = {};
    for (const k of ['readOnly', 'destructive', 'idempotent', 'openWorld'] as const)
      if (typeof value.annotations[k] === 'boolean') a[k] = value.annotations[k] as boolean;
    out.annotations = a;
  }
  const known = new Set(['name', 'exclude', 'title', 'description', 'annotations']);
  const unknown = Object.keys(value).filter((k) => !known.has(k));
  if (unknown.length) problem(`x-mcp: unknown field(s) ${unknown.slice(0, 5).join(', ')} ignored`, 'info');
  return out;
}

export { shortKey };
