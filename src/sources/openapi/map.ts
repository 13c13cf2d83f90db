/**
 * `ApiOperation[]` → `ServerSpecInput` (pure). Runs the mapping steps in order: names, selection,
 * authentication and connections, each operation, then static tools or dynamic mode. Every operation that
 * cannot be mapped faithfully is skipped or degraded with a report entry, so the result always validates
 * and compiles. The steps live in mapping/.
 */
import { FactoryError } from '../../core/errors/index.js';
import { findLiteralSecrets } from '../../core/spec/check.js';
import type { ServerSpecInput } from '../../core/spec/model.js';
import { formatPath } from '../../core/spec/path.js';
import { describeSecretValue } from '../../core/spec/secrets.js';
import { planAuth } from './mapping/auth.js';
import { checkCredentialRoutes, planConnections } from './mapping/connections.js';
import { bindBodyCredentials, CredentialBinder, collectCredentials } from './mapping/credentials.js';
import { DYNAMIC_TOOLS, dynamicCatalog } from './mapping/dynamic.js';
import { type MappedOperation, Skip } from './mapping/model.js';
import { assignNames } from './mapping/naming.js';
import { mapOperation } from './mapping/operation.js';
import { capEntries, dedupe } from './mapping/report.js';
import { exclusionReason } from './mapping/selection.js';
import { serverNameOf, toIdentifierLower, versionOf } from './mapping/server.js';
import type {
  ApiOperation,
  ImportCredential,
  ImportReport,
  MappingOptions,
  ReportEntry,
  Severity,
} from './model.js';
import { envPrefixFromTitle, toEnvName } from './names.js';
import { cleanLine, cleanText } from './text.js';

export { capEntries, MAX_REPORT_ENTRIES } from './mapping/report.js';
export { DYNAMIC_TOOLS };

export const DEFAULT_DYNAMIC_THRESHOLD = 40;
export const DEFAULT_MAX_DESCRIPTION = 2000;

export interface MappingResult {
  spec: ServerSpecInput;
  report: ImportReport;
}

export function operationsToSpec(ops: ApiOperation[], options: MappingOptions = {}): MappingResult {
  const entries: ReportEntry[] = [];
  const add = (operation: string, reason: string, severity: Severity, pointer?: string) => {
    entries.push({ operation, reason, severity, ...(pointer ? { pointer } : {}) });
  };
  const maxDescription = Math.max(50, options.maxDescriptionLength ?? DEFAULT_MAX_DESCRIPTION);
  const title = cleanLine(options.title, 200);
  let prefix = options.envPrefix ? toEnvName(options.envPrefix) : envPrefixFromTitle(options.title);
  if (describeSecretValue(prefix) || describeSecretValue(prefix.toLowerCase())) {
    add('', 'the API title looks like a credential; names are derived from "API" instead', 'warning');
    prefix = 'API';
  }
  const serverName = serverNameOf(options.name, prefix, add);
  const identifierBase = toIdentifierLower(prefix);

  // 1. Names for every operation (before selection, so filters do not rename tools).
  const names = assignNames(ops, options.names ?? {}, add);

  // 2. Selection.
  const selected: ApiOperation[] = [];
  let excluded = 0;
  for (const op of ops) {
    const why = exclusionReason(op, options.include, options.exclude);
    if (why) {
      excluded++;
      add(op.key, why, 'info', op.pointer);
    } else selected.push(op);
  }

  // 3. Authentication and connections.
  const authPlan = planAuth(selected, prefix, add);
  authPlan.credentials = new CredentialBinder(prefix, options.credentialParams);
  const connections = planConnections(selected, options, prefix, identifierBase, authPlan, add);
  checkCredentialRoutes(connections.list, options.documentUrl, add, options.allowPrivateBaseUrl === true);

  // 4. Operations.
  const mapped: Array<{ op: ApiOperation; result: MappedOperation }> = [];
  let skipped = 0;
  for (const op of selected) {
    for (const p of op.problems) entries.push(p);
    const opEntries: ReportEntry[] = [];
    try {
      const addOp = (reason: string, severity: Severity) =>
        opEntries.push({ operation: op.key, reason, severity, pointer: op.pointer });
      const result = mapOperation(op, names.get(op)!, {
        connection: connections.byOperation.get(op)!,
        authPlan,
        maxDescription,
        flattenBody: options.flattenBody !== false,
        add: addOp,
      });
      bindBodyCredentials(op, result, authPlan.credentials, addOp);
      entries.push(...dedupe(opEntries));
      mapped.push({ op, result });
    } catch (error) {
      skipped++;
      entries.push(...dedupe(opEntries.filter((e) => e.severity === 'info')));
      const reason =
        error instanceof Skip
          ? error.message
          : `internal problem while mapping: ${(error as Error)?.message ?? String(error)}`;
      add(op.key, reason, 'error', op.pointer);
    }
  }

  if (mapped.length === 0) {
    throw new FactoryError(
      'OPENAPI_NO_OPERATIONS',
      ops.length === 0
        ? 'the document has no operations'
        : `none of the ${ops.length} operations could be imported (${excluded} excluded, ${skipped} skipped)`,
      {
        issues: entries
          .filter((e) => e.severity === 'error')
          .slice(0, 50)
          .map((e) => ({
            code: 'OPENAPI_NO_OPERATIONS' as const,
            message: `${e.operation ? `${e.operation}: ` : ''}${e.reason}`,
            path: e.pointer ?? '',
            hint: 'Check the include/exclude options and the reasons listed for each operation.',
          })),
      },
    );
  }

  // 5. Static tools or dynamic mode.
  const threshold = options.dynamicThreshold ?? DEFAULT_DYNAMIC_THRESHOLD;
  const dynamic =
    options.dynamic === true || ((options.dynamic ?? 'auto') === 'auto' && mapped.length > threshold);
  const outputValidation = options.outputValidation ?? 'lenient';
  const apiName = title ?? 'the API';
  const spec: ServerSpecInput = {
    name: serverName,
    version: versionOf(options.version, add),
    ...(title ? { title } : {}),
    ...(cleanText(options.description, maxDescription)
      ? { description: cleanText(options.description, maxDescription)! }
      : {}),
    connections: connections.list,
    tools: [],
  };
  if (dynamic) {
    const { catalog, tools } = dynamicCatalog(mapped, identifierBase, apiName, maxDescription);
    spec.catalogs = [catalog];
    spec.tools = tools;
  } else {
    spec.tools = mapped.map(({ result }) => ({
      name: result.name,
      ...(result.title ? { title: result.title } : {}),
      description: result.description,
      parameters: result.parameters,
      ...(result.returns ? { returns: result.returns, outputValidation } : {}),
      annotations: result.annotations,
      http: result.http,
    }));
  }

  // Last line of defence: the spec validator refuses anything that looks like a literal credential.
  const leaked = findLiteralSecrets(spec);
  if (leaked.length > 0) {
    throw new FactoryError(
      'OPENAPI_INVALID',
      'the document puts credential-like values where the spec needs them',
      {
        issues: leaked.slice(0, 20).map((i) => ({
          code: 'OPENAPI_INVALID' as const,
          message: `${i.message} (at ${formatPath(i.path)} of the generated spec)`,
          path: formatPath(i.path),
          hint: 'Remove the credential from the document (or exclude the operation) and import again.',
        })),
      },
    );
  }

  const report: ImportReport = {
    source: '',
    specification: 'unknown',
    title: title ?? '',
    apiVersion: options.version ?? '',
    mode: dynamic ? 'dynamic' : 'tools',
    counts: {
      operations: ops.length,
      excluded,
      skipped,
      imported: mapped.length,
      degraded: degradedCount(mapped, entries),
    },
    credentials: credentialsOf(connections.list, authPlan, mapped, add),
    names: Object.fromEntries(mapped.map(({ op, result }) => [op.key, result.name])),
    entries: capEntries(entries),
  };
  return { spec, report };
}

/** Every environment variable the server reads for upstream auth, after unused credentialParams are reported. */
function credentialsOf(
  list: ServerSpecInput['connections'],
  authPlan: ReturnType<typeof planAuth>,
  mapped: Array<{ op: ApiOperation }>,
  add: (operation: string, reason: string, severity: Severity) => void,
): ImportCredential[] {
  authPlan.credentials?.reportUnused(add);
  return collectCredentials(list ?? [], authPlan, authPlan.credentials, new Set(mapped.map((m) => m.op.key)));
}

/**
 * Imported operations with at least one warning — from the normalizer (`op.problems`: unresolvable references,
 * dropped parameters, unreadable bodies, cut schemas) or the mapping. Skipped and excluded operations are not
 * counted, nor are document-level warnings. Counted before the report's entries are capped.
 */
function degradedCount(mapped: Array<{ op: ApiOperation }>, entries: ReportEntry[]): number {
  const imported = new Set(mapped.map(({ op }) => op.key));
  const degraded = new Set<string>();
  for (const e of entries)
    if (e.severity === 'warning' && imported.has(e.operation)) degraded.add(e.operation);
  return degraded.size;
}
