/**
 * Swagger 2.0 / OpenAPI 3.0 / 3.1 document → `ApiOperation[]` (version-independent, references resolved).
 * Every operation is read in isolation: a problem in one is recorded on it (or skips it), never the import.
 *
 * This file walks the document (info, servers, security schemes, paths); normalize/ reads the parts of one
 * operation: parameters, bodies, responses, servers, security and `x-mcp`.
 */
import type { ApiOperation, ImportReport, ReportEntry } from './model.js';
import { isObj, type Obj, str, stringList } from './normalize/common.js';
import { METHODS, readOperation } from './normalize/operation.js';
import { readSecuritySchemes } from './normalize/security.js';
import { readServers, swaggerServers } from './normalize/servers.js';
import { isRef, type LocatedObject, RefError, type Resolver, shortKey } from './refs.js';
import { shortMessage } from './text.js';

export { bodyKind } from './normalize/bodies.js';
export { METHODS } from './normalize/operation.js';

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
    const unreadable = (operation: string, reason: string, pointer: string) => {
      result.total++;
      result.failed.push({ operation, reason, severity: 'error', pointer });
    };
    // A path item may be a `$ref` (to another file, too); its keywords then resolve in that file.
    let item: LocatedObject | undefined;
    try {
      item = resolver.object({ value: rawItem, base: rootUrl });
    } catch (error) {
      unreadable(`* ${path}`, shortMessage(error), itemPointer);
      continue;
    }
    if (!item) {
      if (isRef(rawItem))
        unreadable(`* ${path}`, 'the path item $ref does not lead to a mapping', itemPointer);
      continue;
    }
    const pathItem = item.value;
    const methods = Object.keys(pathItem).filter((k): k is (typeof METHODS)[number] =>
      (METHODS as readonly string[]).includes(k),
    );
    for (const method of methods) {
      const rawOp = pathItem[method];
      const key = `${method.toUpperCase()} ${path}`;
      const pointer =
        item.baseOf(method) === rootUrl && !isRef(rawItem)
          ? pointerOf('paths', path, method)
          : `${itemPointer} → ${method}`;
      // An operation given as a `$ref` (not in the specification, but common: one file per operation).
      let op: LocatedObject | undefined;
      try {
        op = resolver.object({ value: rawOp, base: item.baseOf(method) });
      } catch (error) {
        unreadable(key, `the operation cannot be read: ${shortMessage(error)}`, pointer);
        continue;
      }
      if (!op) {
        if (isRef(rawOp)) unreadable(key, 'the operation $ref does not lead to a mapping', pointer);
        continue;
      }
      result.total++;
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
        const operation = readOperation({
          resolver,
          rootUrl,
          swagger,
          path,
          method,
          key,
          pointer,
          op,
          item,
          schemes,
          docSecurity,
          docServers,
          consumes,
          produces,
        });
        result.operations.push(operation);
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

export { shortKey };
