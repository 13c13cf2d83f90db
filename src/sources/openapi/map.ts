/**
 * `ApiOperation[]` → `ServerSpecInput` (pure). Names, selection, parameters, bodies, responses, auth,
 * connections and dynamic mode; every operation that cannot be mapped faithfully is skipped or degraded
 * with a report entry, so the result always validates and compiles.
 */
import { FactoryError } from '../../core/errors/index.js';
import { findLiteralSecrets } from '../../core/spec/check.js';
import { IDENTIFIER, SERVER_NAME, type ServerSpecInput, type ValueSchema } from '../../core/spec/model.js';
import { formatPath } from '../../core/spec/path.js';
import { describeSecretValue } from '../../core/spec/secrets.js';
import type {
  ApiMediaType,
  ApiOperation,
  ApiSecurityScheme,
  ImportReport,
  MappingOptions,
  OperationSelector,
  ReportEntry,
  Severity,
} from './model.js';
import {
  envPrefixFromTitle,
  IdentifierAllocator,
  isUnsafeKey,
  MAX_TOOL_NAME,
  methodPathName,
  sanitizeToolName,
  ToolNamer,
  toEnvName,
} from './names.js';
import { bodyKind } from './normalize.js';
import { type ConvertOptions, flatten, toValueSchema } from './schema.js';
import { cleanLine, cleanText } from './text.js';

type ToolInput = NonNullable<ServerSpecInput['tools']>[number];
type HttpInput = NonNullable<ToolInput['http']>;
type ConnectionInput = NonNullable<ServerSpecInput['connections']>[number];
type CatalogInput = NonNullable<ServerSpecInput['catalogs']>[number];
type Annotations = NonNullable<ToolInput['annotations']>;

export const DEFAULT_DYNAMIC_THRESHOLD = 40;
export const DEFAULT_MAX_DESCRIPTION = 2000;
export const MAX_REPORT_ENTRIES = 2000;
const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);
export const DYNAMIC_TOOLS = {
  search: 'search_operations',
  describe: 'describe_operation',
  invoke: 'invoke_operation',
} as const;

export interface MappingResult {
  spec: ServerSpecInput;
  report: ImportReport;
}

class Skip extends Error {}

/** A tool or catalog operation, before it is placed. */
interface MappedOperation {
  name: string;
  title?: string;
  description: string;
  parameters: Record<string, ValueSchema>;
  returns?: ValueSchema;
  annotations: Annotations;
  http: HttpInput;
}

interface AuthPlan {
  primary?: ApiSecurityScheme;
  auth?: Extract<ConnectionInput, { type: 'http' }>['auth'];
  headers: Record<string, { env: string }>;
  /** Schemes whose requirement the connection satisfies. */
  satisfied: Set<string>;
  /** (location, lower-cased name) of parameters the connection sends itself. */
  sentByConnection: Set<string>;
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
  const connections = planConnections(selected, options, prefix, identifierBase, authPlan, add);
  checkCredentialRoutes(connections.list, options.documentUrl, add);

  // 4. Operations.
  const mapped: Array<{ op: ApiOperation; result: MappedOperation }> = [];
  let skipped = 0;
  for (const op of selected) {
    for (const p of op.problems) entries.push(p);
    const opEntries: ReportEntry[] = [];
    try {
      const result = mapOperation(op, names.get(op)!, {
        connection: connections.byOperation.get(op)!,
        authPlan,
        maxDescription,
        flattenBody: options.flattenBody !== false,
        add: (reason, severity) =>
          opEntries.push({ operation: op.key, reason, severity, pointer: op.pointer }),
      });
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
    const catalogName = identifierBase;
    const catalog: CatalogInput = {
      name: catalogName,
      description: cleanText(`Operations of ${apiName}.`, maxDescription)!,
      operations: mapped.map(({ op, result }) => ({
        name: result.name,
        ...(result.title ? { title: result.title } : {}),
        // Search matches names and descriptions only: the method, path and tags make operations findable.
        description: cleanText(
          `${result.description}\n\n${op.method} ${op.path}${op.tags.length ? ` (${op.tags.join(', ')})` : ''}`,
          maxDescription + 400,
        )!,
        parameters: result.parameters,
        ...(result.returns ? { returns: result.returns } : {}),
        annotations: result.annotations,
        http: result.http,
      })),
    };
    spec.catalogs = [catalog];
    const count = mapped.length;
    spec.tools = [
      {
        name: DYNAMIC_TOOLS.search,
        title: 'Search operations',
        description: cleanText(
          `Search the ${count} operations of ${apiName} by keywords (matched against operation names and descriptions). Returns operation names with a short description; use ${DYNAMIC_TOOLS.describe} for an operation's input schema and ${DYNAMIC_TOOLS.invoke} to call it.`,
          maxDescription,
        )!,
        parameters: {},
        annotations: { readOnly: true, destructive: false, idempotent: true, openWorld: false },
        catalog: { catalog: catalogName, action: 'search' },
      },
      {
        name: DYNAMIC_TOOLS.describe,
        title: 'Describe an operation',
        description: cleanText(
          `Describe one operation of ${apiName}: what it does, its input schema and whether it changes data. Call this before ${DYNAMIC_TOOLS.invoke}.`,
          maxDescription,
        )!,
        parameters: {},
        annotations: { readOnly: true, destructive: false, idempotent: true, openWorld: false },
        catalog: { catalog: catalogName, action: 'describe' },
      },
      {
        name: DYNAMIC_TOOLS.invoke,
        title: 'Invoke an operation',
        description: cleanText(
          `Call one operation of ${apiName} by name with arguments matching its input schema (see ${DYNAMIC_TOOLS.describe}). Operations may change or delete data.`,
          maxDescription,
        )!,
        parameters: {},
        annotations: { readOnly: false, openWorld: true },
        catalog: { catalog: catalogName, action: 'invoke' },
      },
    ];
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
    counts: { operations: ops.length, excluded, skipped, imported: mapped.length },
    names: Object.fromEntries(mapped.map(({ op, result }) => [op.key, result.name])),
    entries: capEntries(entries),
  };
  return { spec, report };
}

function dedupe(list: ReportEntry[]): ReportEntry[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const key = `${e.severity}|${e.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function capEntries(entries: ReportEntry[]): ReportEntry[] {
  if (entries.length <= MAX_REPORT_ENTRIES) return entries;
  const rank = { error: 0, warning: 1, info: 2 } as const;
  const kept = entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => rank[a.e.severity] - rank[b.e.severity] || a.i - b.i)
    .slice(0, MAX_REPORT_ENTRIES - 1)
    .sort((a, b) => a.i - b.i)
    .map((x) => x.e);
  kept.push({ operation: '', reason: `…and ${entries.length - kept.length} more entries`, severity: 'info' });
  return kept;
}

function toIdentifierLower(prefix: string): string {
  const id = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 40);
  return IDENTIFIER.test(id) ? id : 'api';
}

function serverNameOf(
  name: string | undefined,
  prefix: string,
  add: (o: string, r: string, s: Severity) => void,
): string {
  if (name !== undefined) {
    if (SERVER_NAME.test(name)) return name;
    add(
      '',
      `server name "${name.slice(0, 80)}" is not valid (lower-case letters, digits, . _ -); a derived name is used`,
      'warning',
    );
  }
  const slug = prefix
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 58);
  const candidate = `${slug || 'api'}-mcp`;
  return SERVER_NAME.test(candidate) ? candidate : 'api-mcp';
}

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

function versionOf(version: string | undefined, add: (o: string, r: string, s: Severity) => void): string {
  if (version === undefined || version === '') return '0.1.0';
  const v = version.trim().replace(/^v/i, '');
  if (SEMVER.test(v) && v.length <= 64 && !describeSecretValue(v)) return v;
  const short = /^(\d+)(?:\.(\d+))?$/.exec(v);
  if (short) return `${short[1]}.${short[2] ?? '0'}.0`;
  add(
    '',
    `API version "${version.slice(0, 40)}" is not a semantic version; the server is versioned 0.1.0`,
    'info',
  );
  return '0.1.0';
}

// ---------- names ----------

function assignNames(
  ops: ApiOperation[],
  overrides: Record<string, string>,
  add: (o: string, r: string, s: Severity) => void,
): Map<ApiOperation, string> {
  const namer = new ToolNamer();
  const names = new Map<ApiOperation, string>();
  const used = new Set<string>();
  const overrideOf = (op: ApiOperation): string | undefined => {
    const keys = [op.operationId, op.key, `${op.method.toLowerCase()} ${op.path}`].filter(
      (k): k is string => !!k,
    );
    for (const k of keys) {
      if (Object.hasOwn(overrides, k)) {
        used.add(k);
        return overrides[k];
      }
    }
    return op.xMcp?.name;
  };
  // Explicit names first: they win over derived ones.
  for (const op of ops) {
    const wanted = overrideOf(op);
    if (wanted === undefined) continue;
    const clean = sanitizeToolName(wanted);
    if (clean !== wanted || clean.length > MAX_TOOL_NAME || clean === '') {
      add(
        op.key,
        `name override "${wanted.slice(0, 80)}" is not a valid tool name (1-64 of A-Z a-z 0-9 _ . -); a derived name is used`,
        'warning',
      );
      continue;
    }
    if (namer.has(clean)) {
      add(op.key, `name override "${clean}" is already taken; a derived name is used`, 'warning');
      continue;
    }
    names.set(op, namer.allocate(clean, op.key));
  }
  for (const op of ops) {
    if (names.has(op)) continue;
    const base =
      sanitizeToolName(op.operationId ?? '') ||
      sanitizeToolName(methodPathName(op.method, op.path)) ||
      'operation';
    const name = namer.allocate(base, op.key);
    if (op.operationId && name !== base) {
      add(
        op.key,
        `tool name "${name}" differs from operationId "${op.operationId.slice(0, 80)}" (cleaned, shortened or made unique)`,
        'info',
      );
    }
    names.set(op, name);
  }
  for (const k of Object.keys(overrides))
    if (!used.has(k)) add('', `the names option "${k.slice(0, 80)}" matches no operation`, 'warning');
  return names;
}

// ---------- selection ----------

function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        out += '.*';
        i++;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function matchers(sel: OperationSelector | undefined): Array<(op: ApiOperation) => boolean> {
  if (!sel) return [];
  const out: Array<(op: ApiOperation) => boolean> = [];
  if (sel.tags?.length) {
    const tags = new Set(sel.tags);
    out.push((op) => op.tags.some((t) => tags.has(t)));
  }
  if (sel.paths?.length) {
    const res = sel.paths.map((p) => (typeof p === 'string' ? globToRegExp(p) : p));
    out.push((op) => res.some((re) => re.test(op.path)));
  }
  if (sel.methods?.length) {
    const methods = new Set(sel.methods.map((m) => m.toUpperCase()));
    out.push((op) => methods.has(op.method));
  }
  if (sel.operations?.length) {
    const ids = new Set(sel.operations);
    out.push(
      (op) =>
        (op.operationId !== undefined && ids.has(op.operationId)) ||
        ids.has(op.key) ||
        ids.has(`${op.method.toLowerCase()} ${op.path}`),
    );
  }
  return out;
}

function exclusionReason(
  op: ApiOperation,
  include?: OperationSelector,
  exclude?: OperationSelector,
): string | undefined {
  if (op.xMcp?.exclude) return 'excluded by x-mcp: { exclude: true }';
  const inc = matchers(include);
  if (inc.length && !inc.every((m) => m(op))) return 'not matched by the include option';
  const exc = matchers(exclude);
  if (exc.some((m) => m(op))) return 'excluded by the exclude option';
  return undefined;
}

// ---------- authentication ----------

function supportedScheme(s: ApiSecurityScheme): string | undefined {
  switch (s.type) {
    case 'apiKey':
      if (!s.name || !s.in) return 'an apiKey scheme without name or location';
      if (describeSecretValue(s.name)) return 'the key name looks like a credential itself';
      if (s.in !== 'query' && !HEADER_TOKEN.test(s.name))
        return `"${s.name.slice(0, 60)}" is not a valid ${s.in} name`;
      return undefined;
    case 'http':
      return s.scheme === 'bearer' || s.scheme === 'basic'
        ? undefined
        : `HTTP "${s.scheme ?? ''}" authentication is not supported`;
    case 'oauth2':
      if (s.clientCredentials) return undefined;
      return `OAuth 2 ${s.otherFlows?.join('/') || ''} flows need a user in the loop; only clientCredentials is supported`.replace(
        '  ',
        ' ',
      );
    case 'openIdConnect':
      return 'OpenID Connect is not supported';
    case 'mutualTLS':
      return 'mutual TLS is not supported';
    default:
      return 'the scheme is undefined or of an unknown type';
  }
}

function planAuth(
  ops: ApiOperation[],
  prefix: string,
  add: (o: string, r: string, s: Severity) => void,
): AuthPlan {
  const plan: AuthPlan = { headers: {}, satisfied: new Set(), sentByConnection: new Set() };
  const score = new Map<string, { scheme: ApiSecurityScheme; count: number }>();
  const unsupported = new Map<string, string>();
  for (const op of ops) {
    const seen = new Set<string>();
    for (const requirement of op.security) {
      for (const { scheme } of requirement) {
        const problem = supportedScheme(scheme);
        if (problem) {
          unsupported.set(scheme.key, problem);
          continue;
        }
        if (seen.has(scheme.key)) continue;
        seen.add(scheme.key);
        const entry = score.get(scheme.key) ?? { scheme, count: 0 };
        entry.count++;
        score.set(scheme.key, entry);
      }
    }
  }
  for (const [key, problem] of unsupported) add('', `security scheme "${key}": ${problem}`, 'warning');
  const best = [...score.values()].sort((a, b) => b.count - a.count)[0];
  if (!best) return plan;
  const s = best.scheme;
  plan.primary = s;
  plan.satisfied.add(s.key);
  if (s.type === 'apiKey') {
    plan.auth = { type: 'api_key', in: s.in!, name: s.name!, envVar: `${prefix}_API_KEY` };
    plan.sentByConnection.add(`${s.in}\u0000${s.name!.toLowerCase()}`);
  } else if (s.type === 'http' && s.scheme === 'bearer') {
    plan.auth = { type: 'bearer', envVar: `${prefix}_TOKEN` };
  } else if (s.type === 'http') {
    plan.auth = { type: 'basic', usernameEnv: `${prefix}_USERNAME`, passwordEnv: `${prefix}_PASSWORD` };
  } else if (s.type === 'oauth2' && s.clientCredentials) {
    const scopes = new Set<string>();
    for (const op of ops)
      for (const r of op.security)
        for (const x of r) if (x.scheme.key === s.key) for (const sc of x.scopes) scopes.add(sc);
    plan.auth = {
      type: 'oauth2_client_credentials',
      tokenUrl: s.clientCredentials.tokenUrl,
      clientIdEnv: `${prefix}_CLIENT_ID`,
      clientSecretEnv: `${prefix}_CLIENT_SECRET`,
      ...(scopes.size ? { scopes: [...scopes].slice(0, 100) } : {}),
    };
  }
  // Other apiKey headers required together with the primary scheme travel as connection headers.
  for (const op of ops) {
    for (const requirement of op.security) {
      if (!requirement.some((r) => r.scheme.key === s.key)) continue;
      for (const { scheme } of requirement) {
        if (scheme.key === s.key || plan.satisfied.has(scheme.key)) continue;
        if (scheme.type === 'apiKey' && scheme.in === 'header' && scheme.name && !supportedScheme(scheme)) {
          let env = `${prefix}_${toEnvName(scheme.name)}`;
          if (env === `${prefix}_API_KEY`) env = `${prefix}_${toEnvName(scheme.key)}`;
          plan.headers[scheme.name] = { env };
          plan.satisfied.add(scheme.key);
          plan.sentByConnection.add(`header\u0000${scheme.name.toLowerCase()}`);
        }
      }
    }
  }
  return plan;
}

function describeRequirement(op: ApiOperation): string {
  return op.security.map((r) => r.map((x) => x.scheme.key).join(' + ') || 'none').join(' or ');
}

// ---------- connections ----------

interface ConnectionPlan {
  list: ConnectionInput[];
  byOperation: Map<ApiOperation, string>;
}

function resolveServer(server: string, documentUrl: string | undefined): { url?: string; problem?: string } {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    if (documentUrl && /^https?:/i.test(documentUrl)) {
      try {
        url = new URL(server, documentUrl);
      } catch {
        return { problem: `server URL "${server.slice(0, 200)}" is not a valid URL` };
      }
    } else {
      return {
        problem: `server URL "${server.slice(0, 200)}" is relative and the document was not loaded from a URL`,
      };
    }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { problem: `server URL "${server.slice(0, 200)}" is not http(s)` };
  let problem: string | undefined;
  if (url.username || url.password) {
    url.username = '';
    url.password = '';
    problem = 'the server URL contained credentials; they were removed';
  }
  url.hash = '';
  url.search = '';
  const href = url.href.replace(/\/+$/, '');
  if (describeSecretValue(href))
    return { problem: 'a server URL looks like it contains a credential and was not used' };
  return { url: href, ...(problem ? { problem } : {}) };
}

function planConnections(
  ops: ApiOperation[],
  options: MappingOptions,
  prefix: string,
  baseName: string,
  auth: AuthPlan,
  add: (o: string, r: string, s: Severity) => void,
): ConnectionPlan {
  const baseUrlEnv = options.baseUrlEnv ? toEnvName(options.baseUrlEnv) : `${prefix}_BASE_URL`;
  const make = (name: string, env: string, baseUrl: string | undefined): ConnectionInput => ({
    name,
    type: 'http',
    ...(baseUrl ? { baseUrl } : {}),
    baseUrlEnv: env,
    ...(Object.keys(auth.headers).length ? { headers: { ...auth.headers } } : {}),
    ...(auth.auth ? { auth: auth.auth } : {}),
  });
  const byOperation = new Map<ApiOperation, string>();
  if (options.baseUrl !== undefined) {
    const r = resolveServer(options.baseUrl, undefined);
    if (!r.url) add('', `the baseUrl option: ${r.problem}; set ${baseUrlEnv} at run time`, 'warning');
    for (const op of ops) byOperation.set(op, baseName);
    return { list: [make(baseName, baseUrlEnv, r.url)], byOperation };
  }
  // Group operations by their effective base URL; the most common one is the main connection.
  const groups = new Map<string, ApiOperation[]>();
  const reported = new Set<string>();
  for (const op of ops) {
    const server = op.servers[0];
    let key = '';
    if (server !== undefined) {
      const r = resolveServer(server, options.documentUrl);
      if (r.problem && !reported.has(r.problem)) {
        reported.add(r.problem);
        add('', `${r.problem}; set ${baseUrlEnv} to the API's base URL`, 'warning');
      }
      key = r.url ?? '';
    } else if (!reported.has('none')) {
      reported.add('none');
      add('', `the document declares no server; set ${baseUrlEnv} to the API's base URL`, 'warning');
    }
    const list = groups.get(key) ?? [];
    list.push(op);
    groups.set(key, list);
  }
  const ordered = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
  const list: ConnectionInput[] = [];
  ordered.forEach(([url, members], i) => {
    const name = i === 0 ? baseName : `${baseName}_${i + 1}`.slice(0, 64);
    const env = i === 0 ? baseUrlEnv : `${baseUrlEnv}_${i + 1}`;
    list.push(make(name, env, url || undefined));
    for (const op of members) byOperation.set(op, name);
  });
  if (list.length > 1)
    add(
      '',
      `operations use ${list.length} different base URLs: one connection each (${list.map((c) => c.name).join(', ')})`,
      'info',
    );
  return { list, byOperation };
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;

function siteOf(host: string): string {
  return host.split('.').slice(-2).join('.').toLowerCase();
}

/**
 * Credentials go where the document says: check the OAuth2 token URL (resolved against the base URL when
 * relative) and warn when secrets would travel unencrypted or to a different site than the API.
 */
function checkCredentialRoutes(
  list: ConnectionInput[],
  documentUrl: string | undefined,
  add: (o: string, r: string, s: Severity) => void,
): void {
  for (const c of list) {
    if (c.type !== 'http' || !c.auth) continue;
    const base = c.baseUrl ? new URL(c.baseUrl) : undefined;
    if (c.auth.type === 'oauth2_client_credentials') {
      let token: URL | undefined;
      try {
        token = new URL(c.auth.tokenUrl, base ?? documentUrl);
      } catch {
        token = undefined;
      }
      if (
        !token ||
        (token.protocol !== 'https:' && token.protocol !== 'http:') ||
        describeSecretValue(token.href)
      ) {
        add(
          '',
          `OAuth2 token URL "${c.auth.tokenUrl.slice(0, 200)}" cannot be resolved to an http(s) URL; connection "${c.name}" has no authentication`,
          'warning',
        );
        delete c.auth;
        continue;
      }
      c.auth = { ...c.auth, tokenUrl: token.href };
      if (base && siteOf(token.hostname) !== siteOf(base.hostname))
        add(
          '',
          `the OAuth2 client secret is sent to ${token.origin}, another site than the API (${base.origin}): check the token URL`,
          'warning',
        );
      if (token.protocol === 'http:' && !LOOPBACK.test(token.hostname))
        add(
          '',
          `the OAuth2 token URL ${token.origin} is not https: the client secret would travel unencrypted`,
          'warning',
        );
    }
    if (base && base.protocol === 'http:' && !LOOPBACK.test(base.hostname))
      add(
        '',
        `the base URL ${base.origin} of connection "${c.name}" is not https: credentials would travel unencrypted`,
        'warning',
      );
  }
}

// ---------- one operation ----------

interface OperationContext {
  connection: string;
  authPlan: AuthPlan;
  maxDescription: number;
  flattenBody: boolean;
  add: (reason: string, severity: Severity) => void;
}

const SUPPORTED_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);

function mapOperation(op: ApiOperation, name: string, ctx: OperationContext): MappedOperation {
  if (!SUPPORTED_METHODS.has(op.method))
    throw new Skip(`the ${op.method} method is not supported by http tools`);
  const paramMax = Math.max(50, Math.floor(ctx.maxDescription / 2));
  const notes = new Set<string>();
  const convert = (mode: ConvertOptions['mode']): ConvertOptions => ({
    mode,
    maxDescription: paramMax,
    notes,
  });
  const ids = new IdentifierAllocator();
  const parameters: Record<string, ValueSchema> = {};
  const http: HttpInput = { connection: ctx.connection, method: op.method as HttpInput['method'], path: '' };
  const query: NonNullable<HttpInput['query']> = {};
  const headers: Record<string, string> = {};
  const cookies: Record<string, string> = {};
  const pathIds = new Map<string, string>();

  // Path template: literal parts must not look like templates.
  const segments = op.path.split(/(\{[^{}]*\})/);
  if (!op.path.startsWith('/') || op.path.startsWith('//'))
    throw new Skip('the path must start with a single "/"');
  if (op.path.length > 1900) throw new Skip('the path is longer than 1900 characters');
  const templateNames: string[] = [];
  for (const seg of segments) {
    const m = /^\{([^{}]*)\}$/.exec(seg);
    if (m) templateNames.push(m[1]!);
    else if (/[{}]/.test(seg))
      throw new Skip(`the path contains unbalanced braces: ${op.path.slice(0, 200)}`);
  }

  for (const p of op.parameters) {
    const where = `${p.in} parameter "${p.name.slice(0, 80)}"`;
    const drop = (reason: string) => {
      if (p.required) throw new Skip(`required ${where}: ${reason}`);
      ctx.add(`optional ${where} dropped: ${reason}`, 'warning');
    };
    if (p.in === 'header' && IGNORED_HEADERS.has(p.name.toLowerCase())) {
      ctx.add(`${where} ignored (set by the client or the connection, as OpenAPI specifies)`, 'info');
      continue;
    }
    if (ctx.authPlan.sentByConnection.has(`${p.in}\u0000${p.name.toLowerCase()}`)) {
      ctx.add(`${where} is sent by the connection's authentication`, 'info');
      continue;
    }
    if (p.in === 'path' && !templateNames.includes(p.name)) {
      ctx.add(`${where} does not occur in the path and was dropped`, 'info');
      continue;
    }
    if (isUnsafeKey(p.name)) {
      drop('the name is not allowed');
      continue;
    }
    if ((p.in === 'header' || p.in === 'cookie') && !HEADER_TOKEN.test(p.name)) {
      drop(`"${p.name.slice(0, 60)}" is not a valid ${p.in} name`);
      continue;
    }
    if (p.contentType !== undefined) {
      drop(`parameters described by content (${p.contentType}) are not supported`);
      continue;
    }
    let schema = toValueSchema(p.schema, convert('input'), 'string') ?? { type: 'string' as const };
    const description = cleanText(p.description, paramMax);
    const id = ids.allocate(p.name, p.in);
    const structured = schema.type === 'array' || schema.type === 'object';
    if (p.in === 'path' || p.in === 'header' || p.in === 'cookie') {
      if (structured) {
        ctx.add(
          `${where} is a${schema.type === 'array' ? 'n array' : 'n object'}; it is passed as a comma-separated string`,
          'info',
        );
        schema = { type: 'string', ...(schema.nullable ? { nullable: true } : {}) };
      }
      if (p.in === 'path' && p.style !== 'simple')
        ctx.add(`${where} uses style "${p.style}"; it is sent in simple style`, 'warning');
    }
    const param: ValueSchema = { ...schema };
    const text = [p.deprecated ? 'Deprecated.' : '', description ?? schema.description ?? '']
      .filter(Boolean)
      .join(' ');
    if (text) param.description = cleanText(text, paramMax)!;
    else delete param.description;
    if (p.required) param.required = true;
    parameters[id] = param;
    const placeholder = `{{${id}}}`;
    if (p.in === 'path') pathIds.set(p.name, id);
    else if (p.in === 'header') headers[p.name] = placeholder;
    else if (p.in === 'cookie') cookies[p.name] = placeholder;
    else if (!structured) query[p.name] = placeholder;
    else {
      let style = p.style;
      let explode = p.explode;
      const allowed =
        schema.type === 'array' ? ['form', 'spaceDelimited', 'pipeDelimited'] : ['form', 'deepObject'];
      if (!allowed.includes(style)) {
        ctx.add(
          `${where}: style "${style}" is not supported for a${schema.type === 'array' ? 'n array' : 'n object'}; form is used`,
          'warning',
        );
        style = 'form';
        explode = p.style === 'tabDelimited' ? false : explode;
      }
      query[p.name] = { param: id, style: style as 'form', explode };
    }
  }

  // Path placeholders, including ones the document forgot to declare.
  http.path = segments
    .map((seg) => {
      const m = /^\{([^{}]*)\}$/.exec(seg);
      if (!m) return seg;
      let id = pathIds.get(m[1]!);
      if (!id) {
        id = ids.allocate(m[1]!, 'path');
        parameters[id] = { type: 'string', required: true };
        pathIds.set(m[1]!, id);
        ctx.add(
          `path parameter "${m[1]!.slice(0, 80)}" is not declared; it is read as a required string`,
          'warning',
        );
      }
      return `{{${id}}}`;
    })
    .join('');

  mapBody(op, http, parameters, ids, ctx, convert);

  if (Object.keys(query).length) http.query = query;
  if (Object.keys(headers).length) http.headers = headers;
  if (Object.keys(cookies).length) http.cookies = cookies;

  // Response.
  let returns: ValueSchema | undefined;
  if (op.response) {
    if (op.response.contentType) {
      http.response = 'json';
      if (op.response.schema) {
        returns = toValueSchema(op.response.schema, convert('output'));
        if (!returns)
          ctx.add(
            `the ${op.response.status} response schema has no single type; the result is not described`,
            'info',
          );
      }
    } else if (op.response.contentTypes.length > 0) {
      http.response = 'text';
    }
  }

  // Lossy conversions that change what a caller can send or read are warnings; the rest are notes.
  for (const note of notes)
    ctx.add(note, /conflicting|no common type|no single IR type/.test(note) ? 'warning' : 'info');

  const annotations = annotationsOf(op, ctx);
  const summary = cleanLine(op.xMcp?.title ?? op.summary, 200);
  const description = describe(op, ctx.maxDescription);
  if (
    op.security.length &&
    !op.security.some((r) => r.length === 0 || r.every((x) => ctx.authPlan.satisfied.has(x.scheme.key)))
  ) {
    const sending = ctx.authPlan.primary
      ? `the connection sends "${ctx.authPlan.primary.key}"`
      : 'the connection sends no credentials';
    ctx.add(`requires ${describeRequirement(op)}; ${sending}`, 'warning');
  }

  const result: MappedOperation = {
    name,
    ...(summary ? { title: summary } : {}),
    description,
    parameters,
    ...(returns ? { returns } : {}),
    annotations,
    http,
  };
  const secret = findSecret(result);
  if (secret) throw new Skip(`a value looks like ${secret}; literal credentials cannot go into a spec`);
  return result;
}

function describe(op: ApiOperation, max: number): string {
  const summary = cleanText(op.summary, max);
  const long = cleanText(op.xMcp?.description ?? op.description, max);
  let text = long && summary && !long.startsWith(summary) ? `${summary}\n\n${long}` : (long ?? summary ?? '');
  if (text === '') text = `${op.method} ${op.path.slice(0, 200)}`;
  if (op.deprecated) text = `Deprecated. ${text}`;
  return cleanText(text, max) ?? `${op.method} ${op.path.slice(0, 200)}`;
}

function annotationsOf(op: ApiOperation, ctx: OperationContext): Annotations {
  const a: Annotations = { openWorld: true };
  if (op.method === 'GET' || op.method === 'HEAD') a.readOnly = true;
  else {
    a.readOnly = false;
    if (op.method === 'DELETE') {
      a.destructive = true;
      a.idempotent = true;
    }
    if (op.method === 'PUT') a.idempotent = true;
  }
  Object.assign(a, op.xMcp?.annotations ?? {});
  if (a.readOnly && a.destructive) {
    ctx.add('x-mcp annotations: readOnly and destructive together; destructive dropped', 'warning');
    delete a.destructive;
  }
  return a;
}

function findSecret(value: unknown, depth = 0): string | undefined {
  if (depth > 60) return undefined;
  if (typeof value === 'string') return describeSecretValue(value);
  if (Array.isArray(value)) {
    for (const v of value) {
      const s = findSecret(v, depth + 1);
      if (s) return s;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const s = describeSecretValue(k) ?? findSecret(v, depth + 1);
      if (s) return s;
    }
  }
  return undefined;
}

// ---------- request bodies ----------

const BINARY_MEDIA = /^(application\/(octet-stream|pdf|zip|gzip|x-tar)|image\/|audio\/|video\/|font\/)/i;

function chooseMedia(
  content: ApiMediaType[],
): { media: ApiMediaType; kind: 'json' | 'form' | 'multipart' } | undefined {
  for (const kind of ['json', 'form', 'multipart'] as const) {
    const media = content.find((m) => bodyKind(m.contentType) === kind);
    if (media) return { media, kind };
  }
  return undefined;
}

function isBinary(s: Record<string, unknown>): boolean {
  return (
    s.format === 'binary' ||
    (typeof s.contentMediaType === 'string' && s.contentEncoding === undefined) ||
    (s.type === 'string' && s.contentEncoding === 'binary')
  );
}

function mapBody(
  op: ApiOperation,
  http: HttpInput,
  parameters: Record<string, ValueSchema>,
  ids: IdentifierAllocator,
  ctx: OperationContext,
  convert: (mode: ConvertOptions['mode']) => ConvertOptions,
): void {
  const body = op.requestBody;
  if (!body || body.content.length === 0) return;
  const paramMax = Math.max(50, Math.floor(ctx.maxDescription / 2));
  const unusable = (reason: string) => {
    if (body.required) throw new Skip(`the request body cannot be sent: ${reason}`);
    ctx.add(`the optional request body was dropped: ${reason}`, 'warning');
  };
  if (op.method === 'GET' || op.method === 'HEAD') {
    unusable(`${op.method} requests carry no body`);
    return;
  }
  const chosen = chooseMedia(body.content);
  if (!chosen) {
    // The payload is the file itself (binary) or a document in another format (XML, text): one parameter
    // carries it as is — base64 for binary content.
    const binary = body.content.find((m) => BINARY_MEDIA.test(m.contentType));
    const textual = body.content.find((m) =>
      /^(text\/|application\/([\w.+-]*\+)?xml\b)/i.test(m.contentType),
    );
    const media = binary ?? textual;
    if (!media) {
      unusable(
        `media type ${body.content
          .map((m) => m.contentType)
          .join(', ')
          .slice(0, 200)} is not supported (JSON, form, multipart, text, XML and binary are)`,
      );
      return;
    }
    const id = ids.allocate(binary ? 'content' : 'body');
    const description = cleanText(body.description, paramMax);
    parameters[id] = {
      type: 'string',
      description:
        `${description ? `${description} ` : ''}(${media.contentType}${binary ? ', base64-encoded' : ''})`.trim(),
      ...(body.required ? { required: true } : {}),
    };
    http.bodyEncoding = binary ? 'binary' : 'text';
    http.body = binary ? { file: id } : `{{${id}}}`;
    http.contentType = media.contentType;
    return;
  }
  const { media, kind } = chosen;
  const others = body.content.filter((m) => m !== media).map((m) => m.contentType);
  if (others.length)
    ctx.add(
      `request body sent as ${media.contentType} (also accepts ${others.join(', ').slice(0, 200)})`,
      'info',
    );
  const flat = flatten(media.schema ?? {}, new Set());
  const properties = flat.properties as Record<string, Record<string, unknown>> | undefined;
  const required = new Set(Array.isArray(flat.required) ? (flat.required as string[]) : []);
  const isObject =
    (flat.type === 'object' || (flat.type === undefined && properties !== undefined)) && !flat['x-mcp-cut'];
  const canFlatten = isObject && properties !== undefined && Object.keys(properties).length > 0;

  if (kind === 'json' && !(ctx.flattenBody && canFlatten)) {
    const schema = toValueSchema(media.schema, convert('input'), 'object') ?? { type: 'object' as const };
    const id = ids.allocate('body');
    const description = cleanText(body.description, paramMax) ?? schema.description;
    parameters[id] = {
      ...schema,
      ...(description ? { description } : {}),
      ...(body.required ? { required: true } : {}),
    };
    http.body = `{{${id}}}`;
    return;
  }
  if (!canFlatten) {
    unusable(`a ${kind === 'form' ? 'form' : 'multipart'} body needs an object schema with properties`);
    return;
  }
  if (
    flat.additionalProperties === true ||
    (flat.additionalProperties && typeof flat.additionalProperties === 'object')
  )
    ctx.add('the body accepts additional properties; only the declared ones are parameters', 'info');

  const template: Record<string, unknown> = {};
  for (const [field, sub] of Object.entries(properties!)) {
    if (sub === null || typeof sub !== 'object' || sub.readOnly === true) continue;
    const fieldRequired = body.required && required.has(field);
    const subFlat = flatten(sub, new Set());
    if (
      kind === 'multipart' &&
      (isBinary(subFlat) ||
        (subFlat.type === 'array' && subFlat.items && isBinary(subFlat.items as Record<string, unknown>)))
    ) {
      if (subFlat.type === 'array') {
        if (fieldRequired)
          throw new Skip(
            `multipart field "${field.slice(0, 60)}" holds several files, which is not supported`,
          );
        ctx.add(`multipart field "${field.slice(0, 60)}" (several files) dropped`, 'warning');
        continue;
      }
      const id = ids.allocate(field, 'body');
      const nameId = ids.allocate(`${id}_filename`);
      parameters[id] = {
        type: 'string',
        description: cleanText(
          `Base64-encoded content of the file "${field}".${subFlat.description ? ` ${String(subFlat.description)}` : ''}`,
          paramMax,
        )!,
        ...(fieldRequired ? { required: true } : {}),
      };
      const defaultName = field.replace(/[^\w.-]+/g, '_').slice(0, 100) || 'file';
      parameters[nameId] = {
        type: 'string',
        description: `File name sent with "${field.slice(0, 80)}".`,
        maxLength: 255,
        default: defaultName,
      };
      const declared =
        media.encoding?.[field]?.contentType ??
        (typeof subFlat.contentMediaType === 'string' ? subFlat.contentMediaType : undefined);
      const contentType = declared && /^[\w.+-]+\/[\w.+-]+$/.test(declared) ? declared : undefined;
      template[field] = { file: id, filename: `{{${nameId}}}`, ...(contentType ? { contentType } : {}) };
      continue;
    }
    const schema = toValueSchema(sub, convert('input'), 'object') ?? { type: 'object' as const };
    const id = ids.allocate(field, 'body');
    parameters[id] = { ...schema, ...(fieldRequired ? { required: true } : {}) };
    if (!fieldRequired) delete parameters[id]!.required;
    template[field] = `{{${id}}}`;
  }
  http.body = template;
  if (kind !== 'json') http.bodyEncoding = kind;
}
