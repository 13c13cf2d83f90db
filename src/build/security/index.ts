/**
 * Static security scanner for the sources of a generated MCP server: the public surface. Masking
 * (mask.ts), the rule families (rules/), the engine and scanner, and the report are internal layout.
 */
export { DEFAULT_FILE_PATTERN } from './files.js';
export { type MaskedSource, maskSource } from './mask.js';
export { redactSecret } from './redact.js';
export { formatReport } from './report.js';
export { DEFAULT_RULES } from './rules/index.js';
export { SecurityScanner } from './scanner.js';
export { isAtLeast, isSeverity, SEVERITIES, type Severity, severityRank } from './severity.js';
export type {
  AllowEntry,
  RuleMask,
  ScanReport,
  SecurityFinding,
  SecurityRule,
  SecurityScannerOptions,
} from './types.js';
