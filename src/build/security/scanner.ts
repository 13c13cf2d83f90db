/**
 * The security scanner: a registry of validated, compiled rules (the defaults plus any given), an allow
 * list, and `scan()`, which runs every applicable rule over `[path, content]` pairs and returns a report.
 *
 * Pure module: no I/O, no logging, no process access. Each rule is a regular expression matched against a
 * *masked* copy of the source (see mask.ts) so that comments never produce findings (and, for code-shape
 * rules, string contents do not either) while line and column numbers stay identical to the original text.
 */
import { type CompiledRule, createView, runRule, variant } from './engine.js';
import { DEFAULT_FILE_PATTERN, JS_FILE } from './files.js';
import { testFrom0, withFlags } from './regex.js';
import { buildReport } from './report.js';
import { DEFAULT_RULES } from './rules/index.js';
import type {
  AllowEntry,
  ScanReport,
  SecurityFinding,
  SecurityRule,
  SecurityScannerOptions,
} from './types.js';
import { validateRule } from './validate.js';

export class SecurityScanner {
  readonly #compiled: CompiledRule[] = [];
  readonly #ids = new Set<string>();
  readonly #allow: AllowEntry[];

  constructor(options: SecurityScannerOptions = {}) {
    if (options.includeDefaultRules !== false) for (const r of DEFAULT_RULES) this.addRule(r);
    for (const r of options.rules ?? []) this.addRule(r);
    this.#allow = (options.allow ?? []).map((entry, i) => {
      if (typeof entry?.ruleId !== 'string' || entry.ruleId === '') {
        throw new TypeError(`allow[${i}]: ruleId must be a non-empty string`);
      }
      if (entry.file !== undefined && !(entry.file instanceof RegExp)) {
        throw new TypeError(`allow[${i}]: file must be a RegExp when given`);
      }
      return { ruleId: entry.ruleId, ...(entry.file ? { file: withFlags(entry.file, '') } : {}) };
    });
  }

  /** Register a rule. Throws a TypeError when it is malformed or its id is already taken. */
  addRule(rule: SecurityRule): this {
    validateRule(rule, this.#ids);
    const frozen: SecurityRule = Object.isFrozen(rule) ? rule : Object.freeze({ ...rule });
    this.#ids.add(frozen.id);
    this.#compiled.push({
      rule: frozen,
      re: withFlags(frozen.pattern, 'gd'),
      files: withFlags(frozen.files ?? DEFAULT_FILE_PATTERN, ''),
      ...(frozen.when ? { when: withFlags(frozen.when, '') } : {}),
      mask: frozen.mask ?? 'comments',
    });
    return this;
  }

  get rules(): readonly SecurityRule[] {
    return Object.freeze(this.#compiled.map((c) => c.rule));
  }

  scan(files: Iterable<[path: string, content: string]> | Record<string, string>): ScanReport {
    const entries: Iterable<[string, string]> =
      typeof (files as Iterable<unknown>)[Symbol.iterator] === 'function'
        ? (files as Iterable<[string, string]>)
        : Object.entries(files as Record<string, string>);
    const findings: SecurityFinding[] = [];
    const seen = new Set<string>();
    let filesScanned = 0;

    for (const [path, content] of entries) {
      if (typeof path !== 'string' || typeof content !== 'string') {
        throw new TypeError('scan() expects [path, content] string pairs');
      }
      const normalized = path.replace(/\\/g, '/');
      const applicable = this.#compiled.filter((c) => testFrom0(c.files, normalized));
      if (applicable.length === 0) continue;
      filesScanned++;
      const view = createView(path, content, JS_FILE.test(normalized));

      for (const c of applicable) {
        if (c.when && !testFrom0(c.when, variant(view, 'comments').text)) continue;
        if (this.#allowed(c.rule.id, normalized)) continue;
        for (const f of runRule(c, view)) {
          const key = `${f.ruleId}\u0000${f.file}\u0000${f.line}\u0000${f.column}`;
          if (seen.has(key)) continue;
          seen.add(key);
          findings.push(f);
        }
      }
    }
    return buildReport(findings, filesScanned);
  }

  #allowed(ruleId: string, path: string): boolean {
    return this.#allow.some(
      (a) => (a.ruleId === '*' || a.ruleId === ruleId) && (a.file === undefined || testFrom0(a.file, path)),
    );
  }
}
