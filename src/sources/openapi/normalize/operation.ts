/**
 * One operation of a path item → `ApiOperation`: parameters (path-level merged with operation-level, the
 * latter winning by (in, name)), request body, success response, security, servers and `x-mcp`. Problems that
 * leave the operation usable are recorded on it; an unresolvable parameter `$ref` throws (the caller fails
 * the operation, since that parameter may be required).
 */
import type {
  ApiOperation,
  ApiParameter,
  ApiRequestBody,
  ApiSecurityScheme,
  HttpMethod,
  JsonSchema,
  ParameterLocation,
  ReportEntry,
  XMcp,
} from '../model.js';
import { type Located, type LocatedObject, RefError, type Resolver, type SchemaContext } from '../refs.js';
import { openApiBody, swaggerBody } from './bodies.js';
import { firstNonEmpty, isObj, type Obj, type ProblemSink, str, stringList } from './common.js';
import { openApiParameter, PARAMETER_LOCATIONS, swaggerParameter } from './parameters.js';
import { openApiResponse, swaggerResponse } from './responses.js';
import { readRequirements } from './security.js';
import { readServers } from './servers.js';

/** The keys of a path item that are operations. */
export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface OperationInput {
  resolver: Resolver;
  rootUrl: string;
  swagger: boolean;
  path: string;
  method: (typeof METHODS)[number];
  key: string;
  pointer: string;
  /** The operation, its `$ref` chain (if any) followed; each keyword resolves in the file it came from. */
  op: LocatedObject;
  item: LocatedObject;
  schemes: Map<string, ApiSecurityScheme>;
  docSecurity: unknown;
  docServers: string[];
  consumes: string[];
  produces: string[];
}

export function readOperation(input: OperationInput): ApiOperation {
  const { resolver, key, pointer } = input;
  const op = input.op.value;
  const item = input.item.value;
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

  // Parameters: path-level first, operation-level overriding by (in, name). Each `$ref` resolves relative to
  // the file that holds it (the list may sit in an operation file, and point into a shared parameters file).
  const raw: LocatedObject[] = [];
  const collect = (list: unknown, base: string) => {
    let entries: Located;
    try {
      entries = resolver.follow({ value: list, base });
    } catch (error) {
      throw new RefError(`the parameter list cannot be read: ${(error as Error).message}`);
    }
    if (entries.value === undefined) return;
    if (!Array.isArray(entries.value)) {
      problem('"parameters" is not a list; it was ignored');
      return;
    }
    for (const entry of entries.value) {
      let p: LocatedObject | undefined;
      try {
        p = resolver.object({ value: entry, base: entries.base });
      } catch (error) {
        // An unresolvable parameter may be a required one: the operation cannot be called correctly.
        throw new RefError(`a parameter cannot be read: ${(error as Error).message}`);
      }
      if (p) raw.push(p);
      else problem('a parameter that is not a mapping was dropped');
    }
  };
  collect(item.parameters, input.item.baseOf('parameters'));
  const pathLevel = raw.length;
  collect(op.parameters, input.op.baseOf('parameters'));
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
  const located = (p: LocatedObject, key: string) => ({ value: p.value, base: p.baseOf(key) });
  for (const p of merged) {
    const name = p.value.name;
    const location = p.value.in;
    if (typeof name !== 'string' || name === '' || typeof location !== 'string') {
      problem('a parameter without a name or location was dropped');
      continue;
    }
    if (input.swagger && location === 'body') {
      bodyParams.push(located(p, 'schema'));
      continue;
    }
    if (input.swagger && location === 'formData') {
      formParams.push(located(p, 'items'));
      continue;
    }
    if (!PARAMETER_LOCATIONS.has(location)) {
      problem(`parameter "${name}" has an unknown location "${location}" and was dropped`);
      continue;
    }
    const parameter = input.swagger
      ? swaggerParameter(
          p.value,
          name,
          location as ParameterLocation,
          (n, w) => schemaOf(n, p.baseOf('items'), w),
          problem,
        )
      : openApiParameter(p, name, location as ParameterLocation, schemaOf, resolver, problem);
    parameters.push(parameter);
  }

  let requestBody: ApiRequestBody | undefined;
  if (input.swagger) {
    const consumes = stringList(op.consumes).length ? stringList(op.consumes) : input.consumes;
    requestBody = swaggerBody(bodyParams, formParams, consumes, schemaOf, problem);
  } else if (op.requestBody !== undefined) {
    // A body behind a broken `$ref` may be a required one (nothing says otherwise): the operation fails, as for
    // parameters, rather than becoming a tool that cannot send what the API needs.
    let body: LocatedObject | undefined;
    try {
      body = resolver.object({ value: op.requestBody, base: input.op.baseOf('requestBody') });
    } catch (error) {
      throw new RefError(`the request body cannot be read: ${(error as Error).message}`);
    }
    if (body) requestBody = openApiBody(body, resolver, schemaOf, problem);
    else problem('the request body is not a mapping and was dropped');
  }

  const responsesBase = input.op.baseOf('responses');
  const response = input.swagger
    ? swaggerResponse(op, responsesBase, resolver, input.produces, schemaOf, problem)
    : openApiResponse(op, responsesBase, resolver, schemaOf, problem);

  if (isObj(op.callbacks) && Object.keys(op.callbacks).length > 0)
    problem('callbacks (requests the API makes back) are not supported and were ignored', 'info');

  const security = readRequirements(op.security ?? input.docSecurity, input.schemes, problem);
  const servers = input.swagger
    ? input.docServers
    : firstNonEmpty(
        readServers(op.servers, (r) => problem(r, 'info'), `${pointer}/servers`),
        readServers(item.servers, (r) => problem(r, 'info'), `${pointer}/servers`),
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
  const summary = str(op.summary) ?? (input.swagger ? undefined : str(item.summary));
  if (summary) operation.summary = summary;
  const description = str(op.description) ?? (input.swagger ? undefined : str(item.description));
  if (description) operation.description = description;
  if (requestBody) operation.requestBody = requestBody;
  if (response) operation.response = response;
  const xMcp = readXMcp(op['x-mcp'], problem);
  if (xMcp) operation.xMcp = xMcp;
  return operation;
}

/** The `x-mcp` extension (tool name, exclusion, title, description, annotations); unknown fields are noted. */
function readXMcp(value: unknown, problem: ProblemSink): XMcp | undefined {
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
