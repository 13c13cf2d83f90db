/**
 * conformance.md: the run's header, then per revision a table of every scenario (scored, status,
 * classification, reason) and the details of each protocol failure.
 */
import { type ConformanceReport, isVersionFailure } from './types.js';

const mdCell = (s: unknown): string =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\s+/g, ' ')
    .slice(0, 300);

export function renderMarkdown(report: ConformanceReport): string {
  const lines: string[] = [];
  lines.push('# MCP conformance report', '');
  lines.push(`- Server: \`${report.server ?? report.url}\``);
  lines.push(`- URL: \`${report.url}\``);
  lines.push(`- Generated: ${report.generatedAt} (took ${(report.durationMs / 1000).toFixed(1)} s)`);
  lines.push(`- Suite runner: Node ${report.tools.node}`);
  lines.push(
    `- Result: **${report.ok ? 'OK' : 'FAIL'}** — ${report.ok ? 'every failure is fixture-required' : 'at least one failure is a protocol problem'}`,
    '',
  );
  for (const [version, v] of Object.entries(report.versions)) {
    lines.push(`## ${version}`, '');
    if (isVersionFailure(v)) {
      lines.push(`Run failed: ${v.error}`, '');
      continue;
    }
    lines.push(`Suite \`${v.suite}\` (\`${v.mode}\`), ${(v.durationMs / 1000).toFixed(1)} s.`);
    lines.push(
      `${v.summary.scenarios} scenarios: ${v.summary.pass} pass, ${v.summary.fixtureRequired} fixture-required, ${v.summary.protocol} protocol.`,
      '',
    );
    lines.push('| Scenario | Scored | Status | Classification | Reason |', '| --- | --- | --- | --- | --- |');
    for (const s of v.scenarios) {
      const reason =
        s.reason || (s.warnings.length ? `warnings: ${s.warnings.map((w) => w.id).join(', ')}` : '');
      lines.push(
        `| ${s.scenario} | ${s.scored ? 'yes' : `no (${s.notScoredReason})`} | ${s.status} | ${s.classification} | ${mdCell(reason)} |`,
      );
    }
    const protocol = v.scenarios.filter((s) => s.classification === 'protocol');
    if (protocol.length) {
      lines.push('', `### Protocol failures (${version})`, '');
      for (const s of protocol) {
        for (const f of s.failures.filter((x) => x.classification === 'protocol')) {
          lines.push(`- **${s.scenario}** / \`${f.id}\`: ${mdCell(f.message)}`);
          if (f.details) lines.push(`  - details: \`${mdCell(JSON.stringify(f.details))}\``);
        }
        if (!s.failures.length) lines.push(`- **${s.scenario}**: ${s.reason}`);
      }
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
