/**
 * What an import did, in a few lines for stderr: how many operations (or tables) became tools, which were
 * degraded or skipped and for which reasons (grouped, most frequent first), and the environment variables the
 * generated server will need. `--strict` (OpenAPI) turns a lossy import into OPENAPI_DEGRADED here.
 */
import { FactoryError, type Issue } from '../../core/errors/index.js';
import type { ImportReport as DatabaseReport } from '../../sources/database/index.js';
import type { ImportReport as OpenApiReport, ReportEntry } from '../../sources/openapi/model.js';

/** Reasons shown per severity; the rest is counted in one line. */
const TOP_REASONS = 4;
/** Issues an OPENAPI_DEGRADED error lists (a large API can lose hundreds of operations). */
const MAX_STRICT_ISSUES = 50;

export interface ReasonCount {
  reason: string;
  count: number;
}

export interface ImportSummary {
  source: 'openapi' | 'database';
  /** Operations (OpenAPI) or tools (database) produced. */
  imported: number;
  /** OpenAPI: imported operations that lost something. */
  degraded: number;
  /** Operations, tools or tables left out because they could not be mapped. */
  skipped: number;
  /** OpenAPI: left out on purpose (include/exclude options, x-mcp exclude). */
  excluded: number;
  skippedReasons: ReasonCount[];
  degradedReasons: ReasonCount[];
  /** Environment variables the server reads, with what each carries. */
  credentials: Array<{ envVar: string; detail: string }>;
}

/**
 * A reason without the names in it, so that the same problem on many operations groups into one line:
 * quoted names, backquoted text and numbers become `…`.
 */
export function reasonCategory(reason: string): string {
  const general = reason
    .replace(/"[^"]*"/g, '"…"')
    .replace(/`[^`]*`/g, '`…`')
    .replace(/\b\d+\b/g, 'N')
    .replace(/\s+/g, ' ')
    .trim();
  return general.length > 140 ? `${general.slice(0, 139)}…` : general;
}

function grouped(reasons: string[]): ReasonCount[] {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

/** One reason per operation and severity: an operation with three dropped parameters counts once per kind. */
function reasonsOf(entries: ReportEntry[], severity: 'error' | 'warning'): ReasonCount[] {
  const seen = new Set<string>();
  const reasons: string[] = [];
  for (const e of entries) {
    if (e.severity !== severity || !e.operation) continue;
    const category = reasonCategory(e.reason);
    const key = `${e.operation}\u0000${category}`;
    if (seen.has(key)) continue;
    seen.add(key);
    reasons.push(category);
  }
  return grouped(reasons);
}

function credentialDetail(c: OpenApiReport['credentials'][number]): string {
  const kind = c.kind === 'api_key' ? 'API key' : c.kind === 'parameter' ? 'credential parameter' : c.kind;
  const where = c.in && c.name ? `, ${c.in} ${c.name}` : '';
  return `${kind}${where} for ${c.connection}`;
}

/**
 * `fallbackEnv`: the secret variables the spec reads (from the generator's env list), used when the report
 * names no credentials (an importer that does not fill `credentials`).
 */
export function summarizeOpenApi(
  report: OpenApiReport,
  fallbackEnv: Array<{ name: string; purpose: string }> = [],
): ImportSummary {
  const entries = report.entries ?? [];
  const degradedReasons = reasonsOf(entries, 'warning');
  const degraded =
    report.counts.degraded ??
    new Set(entries.filter((e) => e.severity === 'warning' && e.operation).map((e) => e.operation)).size;
  const listed = report.credentials ?? [];
  return {
    source: 'openapi',
    imported: report.counts.imported,
    degraded,
    skipped: report.counts.skipped,
    excluded: report.counts.excluded,
    skippedReasons: reasonsOf(entries, 'error'),
    degradedReasons,
    credentials: listed.length
      ? listed.map((c) => ({ envVar: c.envVar, detail: credentialDetail(c) }))
      : fallbackEnv.map((e) => ({ envVar: e.name, detail: e.purpose })),
  };
}

export function summarizeDatabase(report: DatabaseReport): ImportSummary {
  return {
    source: 'database',
    imported: report.tools.length,
    degraded: 0,
    skipped: report.skipped.length,
    excluded: 0,
    skippedReasons: grouped(report.skipped.map((s) => reasonCategory(`${s.what}: ${s.reason}`))),
    degradedReasons: [],
    credentials: report.env.map((e) => ({ envVar: e.name, detail: e.description })),
  };
}

function reasonLines(title: string, reasons: ReasonCount[]): string[] {
  if (!reasons.length) return [];
  const shown = reasons.slice(0, TOP_REASONS);
  const rest = reasons.slice(TOP_REASONS).reduce((n, r) => n + r.count, 0);
  return [
    `  ${title}:`,
    ...shown.map((r) => `    ${String(r.count).padStart(4)}× ${r.reason}`),
    ...(rest ? [`    ${String(rest).padStart(4)}× other reasons`] : []),
  ];
}

/** The summary as stderr lines (each ends with a newline). */
export function formatImportSummary(summary: ImportSummary): string {
  const lines =
    summary.source === 'openapi'
      ? [
          `OpenAPI import: ${summary.imported} operation(s) imported (${summary.degraded} degraded), ${summary.skipped} skipped${summary.excluded ? `, ${summary.excluded} excluded by selection` : ''}`,
          ...reasonLines('skipped, by reason', summary.skippedReasons),
          ...reasonLines('degraded, by reason', summary.degradedReasons),
        ]
      : [
          `Database import: ${summary.imported} tool(s), ${summary.skipped} tool(s) or table(s) skipped`,
          ...reasonLines('skipped, by reason', summary.skippedReasons),
        ];
  if (summary.credentials.length) {
    lines.push('  the server will need these environment variables:');
    for (const c of summary.credentials) lines.push(`    ${c.envVar}  (${c.detail})`);
  }
  if (summary.skipped || summary.degraded)
    lines.push('  full report: --emit-spec FILE --format json (the report goes to stdout)');
  return `${lines.join('\n')}\n`;
}

/** `--strict`: OPENAPI_DEGRADED listing each skipped or degraded operation, or nothing when none was. */
export function strictImportError(report: OpenApiReport, summary: ImportSummary): FactoryError | undefined {
  if (!summary.skipped && !summary.degraded) return undefined;
  const hint =
    'Fix the document or leave the operation out (--exclude-path, --exclude-tag); without --strict it is imported as reported.';
  const issues: Issue[] = (report.entries ?? [])
    .filter((e) => e.operation && (e.severity === 'error' || e.severity === 'warning'))
    .slice(0, MAX_STRICT_ISSUES)
    .map((e) => ({
      code: 'OPENAPI_DEGRADED',
      message: `${e.operation}: ${e.severity === 'error' ? 'skipped' : 'degraded'}: ${e.reason}`,
      path: e.pointer ?? '',
      hint,
      file: report.source,
    }));
  return new FactoryError(
    'OPENAPI_DEGRADED',
    `--strict: ${summary.skipped} operation(s) skipped and ${summary.degraded} degraded in ${report.source}; nothing was written`,
    {
      issues,
      details: {
        counts: report.counts,
        hint: 'Read the reason listed for each operation; fix the document, exclude those operations, or import without --strict.',
      },
    },
  );
}
