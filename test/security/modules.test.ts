// Unit tests for the internal modules the scanner is split into: the rule families and their order,
// the report builder, the redactor, the engine's per-file view and the rule validator.
import { describe, expect, it } from 'vitest';
import { type CompiledRule, createView, runRule, variant } from '../../src/build/security/engine.js';
import { JS_FILE, SOURCE_OR_CONFIG_FILE } from '../../src/build/security/files.js';
import { makeExcerpt } from '../../src/build/security/redact.js';
import { testFrom0, withFlags } from '../../src/build/security/regex.js';
import { buildReport } from '../../src/build/security/report.js';
import { DEFAULT_RULES } from '../../src/build/security/rules/index.js';
import { SECRET_RULES } from '../../src/build/security/rules/secrets.js';
import type { SecurityFinding, SecurityRule } from '../../src/build/security/types.js';
import { validateRule } from '../../src/build/security/validate.js';

const finding = (over: Partial<SecurityFinding>): SecurityFinding => ({
  ruleId: 'r',
  ruleName: 'R',
  severity: 'low',
  message: 'm',
  file: 'a.ts',
  line: 1,
  column: 1,
  excerpt: '',
  ...over,
});

describe('rule families', () => {
  it('the default list keeps its documented order and every rule is frozen', () => {
    expect(DEFAULT_RULES.map((r) => r.id)).toEqual([
      'eval',
      'new-function',
      'shell-exec',
      'child-process-import',
      'vm-module',
      'dynamic-require',
      'string-built-sql',
      'tls-verification-disabled',
      'hardcoded-secret',
      'private-key',
      'hardcoded-credential',
      'hardcoded-auth-header',
      'credential-in-url',
      'http-cleartext-credential-url',
      'insecure-random-token',
      'env-dump',
      'weak-hash',
      'recursive-delete-dynamic-path',
      'cors-wildcard-origin',
      'bind-all-interfaces',
    ]);
    expect(Object.isFrozen(DEFAULT_RULES)).toBe(true);
    for (const r of DEFAULT_RULES) expect(Object.isFrozen(r)).toBe(true);
  });

  it('every secret rule names the credential it matches, so excerpts can redact it', () => {
    expect(SECRET_RULES.map((r) => r.id)).toEqual([
      'hardcoded-secret',
      'private-key',
      'hardcoded-credential',
      'hardcoded-auth-header',
      'credential-in-url',
    ]);
    for (const r of SECRET_RULES) expect(r.pattern.source).toContain('(?<secret>');
  });
});

describe('files and regex helpers', () => {
  it('classifies sources and configuration files', () => {
    expect(JS_FILE.test('src/a.mts')).toBe(true);
    expect(JS_FILE.test('a.json')).toBe(false);
    expect(SOURCE_OR_CONFIG_FILE.test('deploy/.env.production')).toBe(true);
    expect(SOURCE_OR_CONFIG_FILE.test('README.md')).toBe(false);
  });

  it('withFlags copies without sticky and testFrom0 leaves lastIndex at 0', () => {
    const original = /a/y;
    const copy = withFlags(original, 'gd');
    expect(copy).not.toBe(original);
    expect(copy.flags).toBe('dg');
    copy.lastIndex = 5;
    expect(testFrom0(copy, 'xa')).toBe(true);
    expect(copy.lastIndex).toBe(0);
  });
});

describe('buildReport', () => {
  it('sorts by file, line, column, severity (most severe first) and rule id, and counts', () => {
    const report = buildReport(
      [
        finding({ file: 'b.ts', severity: 'info' }),
        finding({ file: 'a.ts', line: 2, ruleId: 'z', severity: 'low' }),
        finding({ file: 'a.ts', line: 2, ruleId: 'y', severity: 'critical' }),
        finding({ file: 'a.ts', line: 2, ruleId: 'a', severity: 'low' }),
      ],
      3,
    );
    expect(report.findings.map((f) => `${f.file}:${f.line}:${f.ruleId}`)).toEqual([
      'a.ts:2:y',
      'a.ts:2:a',
      'a.ts:2:z',
      'b.ts:1:r',
    ]);
    expect(report.counts).toEqual({ info: 1, low: 2, medium: 0, high: 0, critical: 1 });
    expect(report.highest).toBe('critical');
    expect(report.filesScanned).toBe(3);
  });

  it('has no highest severity when there are no findings', () => {
    expect(buildReport([], 0)).toEqual({
      findings: [],
      counts: { info: 0, low: 0, medium: 0, high: 0, critical: 0 },
      filesScanned: 0,
    });
  });
});

describe('makeExcerpt', () => {
  it('redacts the given span and any credential on the line', () => {
    const url = ['postgres://admin:', 'hunter2hunter2', '@db.example.org/app'].join('');
    const line = `  const a = 'abcdefgh'; const url = '${url}';`;
    const start = line.indexOf('abcdefgh');
    const excerpt = makeExcerpt(line, [[start, start + 8]], start + 1);
    expect(excerpt).toContain("'abcd****'");
    expect(excerpt).toContain('admin:hunt****@');
    expect(excerpt.startsWith('const')).toBe(true);
  });

  it('cuts long lines around the match', () => {
    const line = `${'x'.repeat(300)}MATCH${'y'.repeat(300)}`;
    const excerpt = makeExcerpt(line, [], 301);
    expect(excerpt).toContain('MATCH');
    expect(excerpt.startsWith('…')).toBe(true);
    expect(excerpt.endsWith('…')).toBe(true);
    expect(excerpt.length).toBe(202);
  });
});

describe('engine', () => {
  const compile = (rule: SecurityRule): CompiledRule => ({
    rule,
    re: withFlags(rule.pattern, 'gd'),
    files: /./,
    mask: rule.mask ?? 'comments',
  });
  const rule: SecurityRule = { id: 'x', name: 'X', pattern: /danger/, severity: 'high', message: 'm' };

  it('masks JS sources lazily and leaves other files raw', () => {
    const js = createView('a.ts', '// danger\nconst s = "danger";', true);
    expect(variant(js, 'comments').text).toBe('         \nconst s = "danger";');
    expect(variant(js, 'comments-and-strings').text).toBe('         \nconst s = "      ";');
    const raw = createView('a.txt', '// danger', false);
    expect(variant(raw, 'comments').text).toBe('// danger');
  });

  it('reports 1-based lines and columns in the original text, per line or over the whole file', () => {
    const view = createView('a.ts', 'ok\n  danger()\n', true);
    expect(runRule(compile(rule), view).map((f) => [f.line, f.column, f.excerpt])).toEqual([
      [2, 3, 'danger()'],
    ]);
    const multi = compile({ ...rule, pattern: /ok\s+danger/, multiline: true });
    expect(runRule(multi, view).map((f) => [f.line, f.column])).toEqual([[1, 1]]);
  });
});

describe('validateRule', () => {
  const good = { id: 'my-rule', name: 'Mine', pattern: /x/, severity: 'low', message: 'm' };
  it('accepts a well-formed rule and rejects taken ids and bad fields', () => {
    expect(() => validateRule(good, new Set())).not.toThrow();
    expect(() => validateRule(good, new Set(['my-rule']))).toThrow(/already registered/);
    expect(() => validateRule({ ...good, id: 'Not Kebab' }, new Set())).toThrow(/kebab-case/);
    expect(() => validateRule({ ...good, severity: 'urgent' }, new Set())).toThrow(/severity must be one of/);
    expect(() => validateRule({ ...good, mask: 'all' }, new Set())).toThrow(/mask must be one of/);
    expect(() => validateRule(null, new Set())).toThrow(TypeError);
  });
});
