/**
 * The OpenAPI importer's intermediate model: one `ApiOperation` per HTTP operation of a Swagger 2.0 /
 * OpenAPI 3.0 / 3.1 document, independent of the document version, with every `$ref` resolved (recursion
 * cut and marked). `operationsToSpec` maps these to the project's `ServerSpec`; nothing here is trusted.
 */

import type { HostResolver } from './mapping/resolved-hosts.js';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'OPTIONS' | 'HEAD' | 'PATCH' | 'TRACE';
export type ParameterLocation = 'path' | 'query' | 'header' | 'cookie';
export type ParameterStyle =
  | 'form'
  | 'simple'
  | 'label'
  | 'matrix'
  | 'spaceDelimited'
  | 'pipeDelimited'
  | 'deepObject'
  /** Swagger 2.0 `collectionFormat: tsv` (no OpenAPI 3 equivalent). */
  | 'tabDelimited';

/**
 * A JSON Schema with every `$ref` resolved: a finite tree (no cycles, no shared mutable state is assumed)
 * holding only the keywords the mapping uses. Where expansion stopped, the node carries `x-mcp-cut`
 * (`recursion` | `depth` | `size` | `unresolved`) and, for unresolved references, `x-mcp-error`.
 */
export type JsonSchema = { [keyword: string]: unknown };

export interface ApiParameter {
  /** The name as written in the document: the query/header/cookie key sent upstream. */
  name: string;
  in: ParameterLocation;
  required: boolean;
  description?: string;
  deprecated?: boolean;
  /** Resolved schema; absent when the parameter is described with `content` instead. */
  schema?: JsonSchema;
  /** Media type of a parameter described with `content` (not supported by the mapping). */
  contentType?: string;
  style: ParameterStyle;
  explode: boolean;
  /** `x-mcp: { env: NAME }` on the parameter: its value comes from that environment variable. */
  xMcpEnv?: string;
}

export interface ApiMediaType {
  contentType: string;
  /** Resolved schema (only for media types the mapping can send or read: JSON, form, multipart). */
  schema?: JsonSchema;
  /** multipart/form-data: per-field content type from the `encoding` object. */
  encoding?: Record<string, { contentType?: string }>;
}

export interface ApiRequestBody {
  required: boolean;
  description?: string;
  /** In document order. */
  content: ApiMediaType[];
}

export interface ApiResponse {
  /** The status code key as written (`200`, `201`, `2XX`). */
  status: string;
  description?: string;
  /** All media types of the response, in document order. */
  contentTypes: string[];
  /** The JSON media type whose schema is given, if any. */
  contentType?: string;
  schema?: JsonSchema;
}

export interface ApiSecurityScheme {
  /** The scheme's key under components.securitySchemes / securityDefinitions. */
  key: string;
  type: 'apiKey' | 'http' | 'oauth2' | 'openIdConnect' | 'mutualTLS' | 'unknown';
  description?: string;
  /** apiKey */
  in?: 'header' | 'query' | 'cookie';
  name?: string;
  /** http: `basic`, `bearer`, `digest`, … (lower-case) */
  scheme?: string;
  /** oauth2 */
  clientCredentials?: { tokenUrl: string; scopes: string[] };
  /** oauth2 flows other than client credentials (they need a user in the loop). */
  otherFlows?: string[];
}

/** All schemes of one requirement apply together (AND); an operation lists alternatives (OR). */
export type ApiSecurityRequirement = Array<{ scheme: ApiSecurityScheme; scopes: string[] }>;

/** The `x-mcp` extension on an operation. */
export interface XMcp {
  name?: string;
  exclude?: boolean;
  title?: string;
  description?: string;
  annotations?: { readOnly?: boolean; destructive?: boolean; idempotent?: boolean; openWorld?: boolean };
}

export interface ApiOperation {
  /** `METHOD /path` as in the document, e.g. `GET /pets/{petId}`: unique, used in reports and `names`. */
  key: string;
  operationId?: string;
  method: HttpMethod;
  /** The path template as written, e.g. `/pets/{petId}`. */
  path: string;
  summary?: string;
  description?: string;
  tags: string[];
  deprecated: boolean;
  /** Path-level and operation-level parameters merged (operation wins), path-level first. */
  parameters: ApiParameter[];
  requestBody?: ApiRequestBody;
  /** The success (2xx) response the tool returns, if any. */
  response?: ApiResponse;
  /** Effective requirements (operation, else document); empty: no authentication. */
  security: ApiSecurityRequirement[];
  /** Effective server URLs (operation, path item, document), variables substituted; may be relative. */
  servers: string[];
  xMcp?: XMcp;
  /** JSON pointer of the operation in the root document, e.g. `#/paths/~1pets/get`. */
  pointer: string;
  /** Problems found while reading the operation (unresolvable references, cut recursion, …). */
  problems: ReportEntry[];
}

export type Severity = 'error' | 'warning' | 'info';

/**
 * One finding of an import. `error`: the operation was skipped (or, without an operation, the document has a
 * problem); `warning`: the operation was imported in a degraded form; `info`: a note, nothing lost.
 */
export interface ReportEntry {
  /** `METHOD /path` of the operation, or `''` for the document as a whole. */
  operation: string;
  reason: string;
  severity: Severity;
  /** JSON pointer into the root document, when known. */
  pointer?: string;
}

export interface ImportReport {
  source: string;
  specification: 'swagger-2.0' | 'openapi-3.0' | 'openapi-3.1' | 'unknown';
  title: string;
  apiVersion: string;
  mode: 'tools' | 'dynamic';
  counts: {
    /** Operations in the document. */
    operations: number;
    /** Left out by include/exclude options or `x-mcp: { exclude: true }`. */
    excluded: number;
    /** Selected but not importable (each has an `error` entry). */
    skipped: number;
    /** Tools (or catalog operations in dynamic mode) produced. */
    imported: number;
    /** Of `imported`, those that lost something (each has at least one `warning` entry). */
    degraded: number;
  };
  /** Credentials the generated server will need at run time (one per environment variable). */
  credentials: ImportCredential[];
  /** Operation key → tool (or catalog operation) name, for every imported operation. */
  names: Record<string, string>;
  entries: ReportEntry[];
}

/** One credential the server reads from its environment, and where it goes upstream. */
export interface ImportCredential {
  envVar: string;
  /** The http connection that sends it. */
  connection: string;
  kind: 'bearer' | 'basic' | 'api_key' | 'oauth2' | 'parameter';
  /** For api keys and credential parameters: where and under which name it is sent. */
  in?: 'header' | 'query' | 'cookie' | 'form' | 'path';
  name?: string;
  /** Operations that send it (keys `METHOD /path`); empty means every operation of the connection. */
  operations?: string[];
}

/** Which operations to keep: criteria of one kind are OR-ed, different kinds AND-ed. */
export interface OperationSelector {
  /** Operation tags. */
  tags?: string[];
  /** Path templates: a glob (`*` one segment, `**` any) or a regular expression, e.g. `/pet/**`. */
  paths?: Array<string | RegExp>;
  /** HTTP methods, any case. */
  methods?: string[];
  /** operationIds or `METHOD /path` keys. */
  operations?: string[];
}

export interface MappingOptions {
  /** Server name (lower-case); default derived from the API title, e.g. `petstore-mcp`. */
  name?: string;
  /** Server title/description/version; default from the document's info. */
  title?: string;
  description?: string;
  version?: string;
  /** Prefix of derived environment variable names, e.g. `PETSTORE` (default from the title). */
  envPrefix?: string;
  /** Base URL; default from servers / host+basePath. */
  baseUrl?: string;
  /** Environment variable overriding the base URL at run time; default `<PREFIX>_BASE_URL`. */
  baseUrlEnv?: string;
  /** The document's own URL: relative server URLs resolve against it. */
  documentUrl?: string;
  include?: OperationSelector;
  exclude?: OperationSelector;
  /** Tool name overrides, keyed by operationId or `METHOD /path`. */
  names?: Record<string, string>;
  /** Dynamic mode (search/describe/invoke over a catalog): `auto` above `dynamicThreshold` operations. */
  dynamic?: boolean | 'auto';
  /** Default 40. */
  dynamicThreshold?: number;
  /** For tools with a `returns` schema; default `lenient`. */
  outputValidation?: 'strict' | 'lenient';
  /** Tool description limit in characters (default 2000); parameter descriptions get half. */
  maxDescriptionLength?: number;
  /** Turn the top-level properties of an object body into parameters (default true). */
  flattenBody?: boolean;
  /**
   * Accept server and OAuth2 token URLs of the document on loopback, link-local or private addresses
   * (default false: the import fails with OPENAPI_PRIVATE_BASE_URL, since credentials would be sent there).
   */
  allowPrivateBaseUrl?: boolean;
  /**
   * Parameters (query, header, cookie, form field; by name as written in the document) whose value the
   * server reads from an environment variable instead of a tool argument: `{ api_key: 'ACME_API_KEY' }`.
   * Credential-named parameters (token, api_key, password, …) and `x-mcp: { env }` are bound without it.
   */
  credentialParams?: Record<string, string>;
}

export interface ImportOptions extends MappingOptions {
  /** Fetch `$ref`s that point at http(s) URLs (default false: refused, SSRF). */
  allowRemoteRefs?: boolean;
  /** Check the document against the OpenAPI schema: `strict` fails, `warn` (default) reports, `off`. */
  validate?: 'strict' | 'warn' | 'off';
  /** Largest document accepted, in bytes (default 50 MiB), per file. */
  maxDocumentBytes?: number;
  /** Timeout of each HTTP fetch in ms (default 15 000). */
  fetchTimeoutMs?: number;
  /**
   * Resolves the host names of server and token URLs to check that they are public (default: the system
   * resolver, `dns.lookup` with `all: true`); embedders and tests may pass their own.
   */
  resolveHost?: HostResolver;
  /** How long a host name may take to resolve before it is reported unchecked (default 2000 ms). */
  resolveTimeoutMs?: number;
  /** Local files referenced by `$ref` must lie below this directory (default: the root document's). */
  refRoot?: string;
  /** How often one recursive schema is expanded inside itself before it is cut (default 1). */
  recursionDepth?: number;
  /** Schema nesting depth after which sub-schemas are cut (default 12). */
  maxSchemaDepth?: number;
}
