/**
 * The scan report: findings in a stable order (file, line, column, most severe first, rule id) with
 * per-severity counts, and its human-readable rendering. Pure.
 */
import { SEVERITIES, type Severity, severityRank } from './severity.js';
import type { ScanReport, SecurityFinding } from './types.js';

function emptyCounts(): Record<Severity, number> {
  return { info: 0, low: 0, medium: 0, high: 0, critical: 0 };
}

/** Sort `findings` in place and count them into a report. */
export function buildReport(findings: SecurityFinding[], filesScanned: number): ScanReport {
  findings.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column ||
      severityRank(b.severity) - severityRank(a.severity) ||
      (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0),
  );
  const counts = emptyCounts();
  let highest: Severity | undefined;
  for (const f of findings) {
    counts[f.severity]++;
    if (highest === undefined || severityRank(f.severity) > severityRank(highest)) highest = f.severity;
  }
  return { findings, counts, ...(highest ? { highest } : {}), filesScanned };
}

/**
 * Human-readable report: one line per finding (`severity  file:line:col  ruleId  message (hint: …)`),
 * then a summary line.
 */
export function formatReport(report: ScanReport): string {
  const width = Math.max(...SEVERITIES.map((s) => s.length));
  const lines = report.findings.map((f) => {
    const hint = f.hint ? ` (hint: ${f.hint})` : '';
    return `${f.severity.padEnd(width)}  ${f.file}:${f.line}:${f.column}  ${f.ruleId}  ${f.message}${hint}`;
  });
  const scanned = `${report.filesScanned} file${report.filesScanned === 1 ? '' : 's'} scanned`;
  const total = report.findings.length;
  if (total === 0) {
    lines.push(`No security findings (${scanned}).`);
  } else {
    const parts = [...SEVERITIES]
      .reverse()
      .filter((s) => report.counts[s] > 0)
      .map((s) => `${report.counts[s]} ${s}`);
    lines.push(`${total} security finding${total === 1 ? '' : 's'}: ${parts.join(', ')} (${scanned}).`);
  }
  return lines.join('\n');
}
