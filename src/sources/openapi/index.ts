/**
 * OpenAPI importer: a Swagger 2.0 / OpenAPI 3.0 / 3.1 document (YAML or JSON, file or URL) → `ServerSpecInput`.
 *
 *   load (file/URL; remote `$ref`s only with `allowRemoteRefs`) → validate → resolve `$ref`s → normalise to
 *   `ApiOperation[]` → map to the spec (`operationsToSpec`, pure).
 *
 * Errors are `FactoryError`s (OPENAPI_LOAD_FAILED, OPENAPI_INVALID, OPENAPI_REMOTE_REF_REFUSED,
 * OPENAPI_FILE_REF_REFUSED, OPENAPI_NO_OPERATIONS); per-operation problems go to the report instead.
 */

import { fileURLToPath, pathToFileURL } from 'node:url';
import { validate as validateOpenApi } from '@readme/openapi-parser';
import { ERROR_CODES, FactoryError, type Issue } from '../../core/errors/index.js';
import type { ServerSpecInput } from '../../core/spec/model.js';
import { displayName, type LoadedDocuments, loadDocuments } from './load.js';
import { capEntries, operationsToSpec } from './map.js';
import { checkResolvedHosts } from './mapping/resolved-hosts.js';
import type { ApiOperation, ImportOptions, ImportReport, ReportEntry } from './model.js';
import { normalizeDocument, specificationOf } from './normalize.js';
import { Resolver } from './refs.js';
import { shortMessage } from './text.js';

export { loadDocuments, parseText } from './load.js';
export { DYNAMIC_TOOLS, type MappingResult, operationsToSpec } from './map.js';
export type * from './model.js';
export { normalizeDocument } from './normalize.js';
export { Resolver } from './refs.js';
export { toValueSchema } from './schema.js';

export interface ImportResult {
  spec: ServerSpecInput;
  report: ImportReport;
  operations: ApiOperation[];
}

const DEFAULT_LIMITS = { recursionDepth: 1, maxSchemaDepth: 12, maxNodes: 20_000 };

function invalid(message: string, file: string, extra: Partial<Issue> = {}): FactoryError {
  return new FactoryError('OPENAPI_INVALID', `${file}: ${message}`, {
    issues: [
      { code: 'OPENAPI_INVALID', message, path: '', hint: ERROR_CODES.OPENAPI_INVALID.hint, file, ...extra },
    ],
  });
}

/** Import a document from a path or URL. Throws `FactoryError`; never anything else for bad input. */
export async function importOpenApi(source: string, options: ImportOptions = {}): Promise<ImportResult> {
  try {
    return await importInner(source, options);
  } catch (error) {
    if (error instanceof FactoryError) throw error;
    const message =
      error instanceof RangeError ? 'the document is nested too deeply to import' : shortMessage(error);
    throw new FactoryError('OPENAPI_INVALID', `${source}: ${message}`, {
      issues: [
        { code: 'OPENAPI_INVALID', message, path: '', hint: ERROR_CODES.OPENAPI_INVALID.hint, file: source },
      ],
      cause: error,
    });
  }
}

async function importInner(source: string, options: ImportOptions): Promise<ImportResult> {
  const loaded = await loadDocuments(source, options);
  const file = displayName(loaded.rootUrl);
  const root = loaded.root;
  if (root === null || typeof root !== 'object' || Array.isArray(root))
    throw invalid('the document root must be a mapping (an OpenAPI object)', file);
  const doc = root as Record<string, unknown>;
  const specification = specificationOf(doc);
  if (specification === 'unknown') {
    const version = doc.openapi ?? doc.swagger;
    throw invalid(
      version === undefined
        ? 'not an OpenAPI document: there is no `openapi` (3.x) or `swagger` (2.0) field'
        : `unsupported version ${JSON.stringify(version).slice(0, 40)}: Swagger 2.0 and OpenAPI 3.0/3.1 are supported`,
      file,
      { path: doc.openapi !== undefined ? 'openapi' : doc.swagger !== undefined ? 'swagger' : '' },
    );
  }
  if (
    doc.paths !== undefined &&
    (doc.paths === null || typeof doc.paths !== 'object' || Array.isArray(doc.paths))
  )
    throw invalid('`paths` must be a mapping', file, { path: 'paths' });

  const docEntries: ReportEntry[] = [];
  const mode = options.validate ?? 'warn';
  if (mode !== 'off') {
    const problems = await schemaProblems(loaded);
    if (problems.length > 0 && mode === 'strict') {
      throw new FactoryError(
        'OPENAPI_INVALID',
        `${file}: the document does not conform to ${specification}`,
        {
          issues: problems.slice(0, 20).map((message) => ({
            code: 'OPENAPI_INVALID' as const,
            message,
            path: '',
            hint: 'Fix the document, or import with validate: "warn" to continue with what can be read.',
            file,
          })),
        },
      );
    }
    for (const message of problems.slice(0, 20))
      docEntries.push({ operation: '', reason: `schema validation: ${message}`, severity: 'warning' });
    if (problems.length > 20)
      docEntries.push({
        operation: '',
        reason: `…and ${problems.length - 20} more validation problems`,
        severity: 'warning',
      });
  }

  const resolver = new Resolver(loaded.docs, {
    recursionDepth: Math.max(1, options.recursionDepth ?? DEFAULT_LIMITS.recursionDepth),
    maxSchemaDepth: Math.max(1, options.maxSchemaDepth ?? DEFAULT_LIMITS.maxSchemaDepth),
    maxNodes: DEFAULT_LIMITS.maxNodes,
  });
  const normalized = normalizeDocument(doc, loaded.rootUrl, resolver);
  const documentUrl = options.documentUrl ?? (/^https?:/i.test(loaded.rootUrl) ? loaded.rootUrl : undefined);
  const mappingOptions = {
    ...options,
    ...((options.title ?? normalized.info.title) ? { title: options.title ?? normalized.info.title } : {}),
    ...((options.version ?? normalized.info.version)
      ? { version: options.version ?? normalized.info.version }
      : {}),
    ...((options.description ?? normalized.info.description)
      ? { description: options.description ?? normalized.info.description }
      : {}),
    ...(documentUrl ? { documentUrl } : {}),
  };
  let mapped: ReturnType<typeof operationsToSpec>;
  try {
    mapped = operationsToSpec(normalized.operations, mappingOptions);
  } catch (error) {
    if (error instanceof FactoryError && error.code === 'OPENAPI_NO_OPERATIONS') {
      const unreadable = normalized.failed.slice(0, 50).map((e) => ({
        code: 'OPENAPI_NO_OPERATIONS' as const,
        message: `${e.operation}: ${e.reason}`,
        path: e.pointer ?? '',
        hint: 'Fix the operation in the document.',
        file,
      }));
      throw new FactoryError(
        'OPENAPI_NO_OPERATIONS',
        normalized.total === 0 ? `${file}: the document has no operations` : `${file}: ${error.message}`,
        { issues: [...unreadable, ...error.issues.map((i) => ({ ...i, file }))] },
      );
    }
    throw error;
  }
  // Host names that resolve to private addresses (DNS: async, so after the pure mapping; nothing is written yet).
  const hostEntries = await checkResolvedHosts(mapped.spec.connections ?? [], mappingOptions);
  const report: ImportReport = {
    ...mapped.report,
    source: file,
    specification,
    apiVersion: normalized.info.version ?? '',
    counts: {
      ...mapped.report.counts,
      operations: normalized.total,
      skipped: mapped.report.counts.skipped + normalized.failed.length,
    },
    entries: capEntries([
      ...docEntries,
      ...normalized.entries,
      ...normalized.failed,
      ...mapped.report.entries,
      ...hostEntries,
    ]),
  };
  return { spec: mapped.spec, report, operations: normalized.operations };
}

/**
 * Messages of the OpenAPI schema validator (first lines only); a crash of the validator is one message.
 * The validator sees every document already loaded (and only those): a resolver plugin serves them from memory,
 * so it performs no file or network access of its own and applies no other access rules than the loader's.
 */
async function schemaProblems(loaded: LoadedDocuments): Promise<string[]> {
  const fromMemory = {
    order: 1,
    canRead: true,
    read(file: { url: string }): unknown {
      const url =
        /^[a-z][a-z0-9+.-]*:/i.test(file.url) && !/^[a-z]:[\\/]/i.test(file.url)
          ? file.url
          : pathToFileURL(file.url).href;
      const entry = loaded.docs.get(url.replace(/#.*$/, ''));
      if (!entry) throw new Error(`${file.url} was not loaded`);
      if ('error' in entry) throw new Error(entry.error);
      return structuredClone(entry.data);
    },
  };
  const root = loaded.rootUrl.startsWith('file:') ? fileURLToPath(loaded.rootUrl) : loaded.rootUrl;
  try {
    const result = await validateOpenApi(root, {
      resolve: { external: true, file: fromMemory as unknown as boolean },
      validate: { errors: { colorize: false } },
      timeoutMs: 30_000,
    });
    if (result.valid) return [];
    const messages = result.errors.map((e) => firstLines(e.message));
    if (result.additionalErrors > 0) messages.push(`…and ${result.additionalErrors} more`);
    return messages;
  } catch (error) {
    return [`the validator could not check the document: ${shortMessage(error)}`];
  }
}

function firstLines(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '' && !/^\s*(>?\s*\d+\s*\||\|)/.test(l));
  return shortMessage(lines.slice(0, 3).join(' '), 400);
}
