/**
 * Failure classification: every failing check of a scenario is `fixture-required` (the server lacks a test
 * fixture, an optional capability or an optional extension the scenario needs), `protocol` (a real
 * problem) or, while classifying, `dependent` (could not run because an earlier step failed; resolved per
 * scenario). Driven by the check's own message plus what the probe saw on the server; never by the
 * scenario's name alone. See docs/conformance.md for the rules.
 */
import {
  DEPENDENT_RE,
  EXTENSIONS,
  METHOD_CAPABILITY,
  REFERENCE_FIXTURES,
  SCENARIO_METHODS,
} from './evidence.js';
import type {
  CheckClassification,
  ClassifiedFailure,
  DeclaredRequirements,
  EntityKind,
  Evidence,
  MissingEntity,
  ScenarioClassification,
  ScenarioResult,
  ServerProbe,
  SuiteCheck,
} from './types.js';

function templateMatches(template: string, uri: string): boolean {
  const re = new RegExp(
    `^${template
      .split(/(\{[^}]+\})/)
      .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  );
  return re.test(uri);
}

/** Is the (possibly nested, `a.b`) capability advertised? */
function hasCapability(caps: Record<string, unknown>, dotted: string): boolean {
  let v: unknown = caps;
  for (const k of dotted.split('.')) v = (v as Record<string, unknown> | null | undefined)?.[k];
  return v !== undefined && v !== null && v !== false;
}

/** Does the server expose an entity of this kind and name? */
function exposes(probe: ServerProbe, kind: string, name: string): boolean {
  if (kind === 'tool') return probe.tools.some((t) => t.name === name);
  if (kind === 'prompt') return probe.prompts.some((p) => p.name === name);
  if (kind === 'resource') {
    return (
      probe.resources.some((r) => r.uri === name) ||
      probe.resourceTemplates.some((t) => t.uriTemplate === name || templateMatches(t.uriTemplate, name))
    );
  }
  return false;
}

/** Names a failure message says the server lacks. */
export function missingEntitiesIn(message: string): MissingEntity[] {
  const found: MissingEntity[] = [];
  const add = (kind: EntityKind, name: string | undefined) => {
    if (name && !found.some((f) => f.kind === kind && f.name === name)) found.push({ kind, name });
  };
  for (const m of message.matchAll(/\bTool\s+['"`]?([A-Za-z0-9_.:/-]+?)['"`]?\s+not found/gi))
    add('tool', m[1]);
  for (const m of message.matchAll(/\bPrompt\s+['"`]?([A-Za-z0-9_.:/-]+?)['"`]?\s+not found/gi))
    add('prompt', m[1]);
  for (const m of message.matchAll(/\bResource not found:\s*(\S+?)[.,;)]?(?:\s|$)/gi)) add('resource', m[1]);
  for (const m of message.matchAll(/\bdiagnostic tool\s+['"`]([^'"`]+)['"`]/gi)) add('tool', m[1]);
  return found;
}

export interface CheckContext {
  scenario: string;
  probe: ServerProbe;
  declared?: DeclaredRequirements | undefined;
  /** Substantive checks of the scenario that passed (the wire-schema check does not count). */
  successes: number;
}

interface Requirement {
  rule: string;
  kind: string;
  name: string;
  method?: string;
  all?: MissingEntity[] | string[];
}

/** Classify one failing check. */
export function classifyCheck(check: SuiteCheck, ctx: CheckContext): CheckClassification {
  const msg = `${check.errorMessage ?? ''} ${check.description ?? ''}`.trim();
  const primary = check.errorMessage ?? check.description ?? '';
  const probe = ctx.probe;
  const declared = ctx.declared ?? { fixtures: [], endpoints: [] };
  const refAll = [
    ...REFERENCE_FIXTURES.tools,
    ...REFERENCE_FIXTURES.prompts,
    ...REFERENCE_FIXTURES.resources,
  ];
  const isKnownFixture = (name: string) => declared.fixtures.includes(name) || refAll.includes(name);
  const fx = (requirement: Requirement): CheckClassification => ({
    classification: 'fixture-required',
    evidence: {
      ...requirement,
      declaredByScenario:
        declared.fixtures.includes(requirement.name) ||
        (requirement.method !== undefined && declared.endpoints.includes(requirement.method)),
      referenceFixture: refAll.includes(requirement.name),
      serverProbe: probe.ok ? 'verified absent' : `unverified (${probe.error})`,
    },
  });

  // 0. The suite gave up on the scenario (the server accepted the request but never finished the
  //    exchange). Never excused: a hanging server is a real problem whatever the scenario needs.
  if (check.id === 'scenario-timeout' || /did not complete within \d+ ?ms/i.test(primary)) {
    return { classification: 'protocol', evidence: { rule: 'scenario-timeout' } };
  }

  // 1. "Tool X not found" / "Prompt X not found" / "Resource not found: X" / "diagnostic tool 'X'"
  const missing = missingEntitiesIn(primary);
  const first = missing[0];
  if (first) {
    const present = missing.filter((m) => exposes(probe, m.kind, m.name));
    if (present.length) {
      return {
        classification: 'protocol',
        evidence: { rule: 'entity-present-but-reported-missing', entities: present },
      };
    }
    return fx({ rule: 'missing-fixture', kind: first.kind, name: first.name, all: missing });
  }

  // 2. SEP-2243 custom-header checks need a tool whose inputSchema carries x-mcp-header annotations.
  if (/no tool with x-mcp-header/i.test(primary)) {
    const annotated = probe.tools.some((t) => JSON.stringify(t.inputSchema ?? {}).includes('x-mcp-header'));
    if (!annotated) return fx({ rule: 'missing-fixture', kind: 'tool-annotation', name: 'x-mcp-header' });
  }

  // 2b. SEP-2322 leaves inputRequests keys to the server; a check that wants the reference fixture's own key
  //     ("user_name") tests that fixture's naming, not the protocol, when the server asked with another key.
  const key = /inputRequests missing expected key "([^"]+)"/i.exec(primary)?.[1];
  if (key) return fx({ rule: 'fixture-specific-input-key', kind: 'input-request-key', name: key });

  // 3. Method not found for a method whose capability the server does not advertise (spec-correct).
  if (/method not found|-32601/i.test(primary)) {
    const methods = [...declared.endpoints, SCENARIO_METHODS[ctx.scenario]].filter((m): m is string => !!m);
    for (const method of methods) {
      const cap = METHOD_CAPABILITY[method];
      if (cap && !hasCapability(probe.capabilities, cap)) {
        return fx({ rule: 'optional-capability-not-advertised', kind: 'capability', name: cap, method });
      }
    }
  }

  // 4. Optional extension checks (tasks) against a server that does not advertise the extension.
  const extensions = probe.capabilities?.extensions as Record<string, unknown> | undefined;
  for (const ext of EXTENSIONS) {
    const applies = ext.prefixes.some((p) => check.id?.startsWith(p) || ctx.scenario.startsWith(p));
    if (applies && !extensions?.[ext.id]) {
      return fx({ rule: 'optional-extension-not-advertised', kind: 'extension', name: ext.id });
    }
  }

  // 5. The message names a fixture (declared by the scenario or of the reference server) the server lacks.
  for (const tok of primary.match(/[A-Za-z][A-Za-z0-9_]*_[A-Za-z0-9_]+|test:\/\/[^\s'"`,;)]+/g) ?? []) {
    if (!isKnownFixture(tok)) continue;
    const kind = tok.startsWith('test://')
      ? 'resource'
      : REFERENCE_FIXTURES.prompts.includes(tok)
        ? 'prompt'
        : 'tool';
    if (!exposes(probe, kind, tok)) return fx({ rule: 'message-names-missing-fixture', kind, name: tok });
  }

  // 6. Checks that could not run because an earlier (fixture-needing) step failed: resolved per scenario.
  if (DEPENDENT_RE.test(msg) || check.details?.untestable === true) {
    return { classification: 'dependent', evidence: { rule: 'depends-on-earlier-step' } };
  }

  // 7. Generic failure in a scenario that never got past its declared fixture: every fixture the
  //    scenario declares is absent from the server and no substantive check of the scenario passed.
  const declaredMissing = declared.fixtures.filter(
    (f) => !['tool', 'prompt', 'resource'].some((k) => exposes(probe, k, f)),
  );
  if (
    declared.fixtures.length &&
    declaredMissing.length === declared.fixtures.length &&
    ctx.successes === 0
  ) {
    return fx({
      rule: 'declared-fixture-missing',
      kind: 'declared',
      name: declaredMissing[0] as string,
      all: declaredMissing,
    });
  }

  return { classification: 'protocol', evidence: { rule: 'unexplained-failure' } };
}

/** What a fixture-required failure needs, for the scenario's reason line. */
function describeRequirement(ev: Evidence | undefined): string {
  if (!ev) return 'fixture';
  switch (ev.kind) {
    case 'capability':
      return `capability \`${ev.name}\` (${ev.method})`;
    case 'extension':
      return `extension \`${ev.name}\``;
    case 'tool-annotation':
      return 'a tool with x-mcp-header annotations';
    case 'declared':
      return `fixture \`${ev.name}\``;
    case 'input-request-key':
      return `the reference fixture's inputRequests key \`${ev.name}\``;
    default:
      return ev.kind ? `${ev.kind} \`${ev.name}\`` : `fixture \`${ev.name}\``;
  }
}

/** Classify a whole scenario from its checks. */
export function classifyScenario(
  scenario: string,
  checks: SuiteCheck[],
  { probe, declared }: { probe: ServerProbe; declared?: DeclaredRequirements | undefined },
): ScenarioResult {
  const failing = checks.filter((c) => c.status === 'FAILURE');
  const warnings = checks.filter((c) => c.status === 'WARNING');
  const successes = checks.filter((c) => c.status === 'SUCCESS' && c.id !== 'wire-schema-valid').length;
  const failures: ClassifiedFailure[] = failing.map((c) => ({
    id: c.id,
    message: c.errorMessage ?? c.description ?? '',
    ...classifyCheck(c, { scenario, probe, declared, successes }),
    details: c.details,
  }));
  // resolve dependent checks
  const anyFixture = failures.some((f) => f.classification === 'fixture-required');
  const declaredFixtures = declared?.fixtures ?? [];
  const declaredAllMissing =
    declaredFixtures.length > 0 &&
    declaredFixtures.every((f) => !['tool', 'prompt', 'resource'].some((k) => exposes(probe, k, f)));
  for (const f of failures) {
    if (f.classification !== 'dependent') continue;
    if (anyFixture || declaredAllMissing) {
      f.classification = 'fixture-required';
      f.evidence = {
        rule: 'depends-on-missing-fixture',
        name: anyFixture
          ? failures.find((x) => x.classification === 'fixture-required')?.evidence?.name
          : declaredFixtures[0],
      };
    } else {
      f.classification = 'protocol';
    }
  }
  const status = failing.length ? 'fail' : 'pass';
  let classification: ScenarioClassification = 'pass';
  if (failing.length) {
    classification = failures.every((f) => f.classification === 'fixture-required')
      ? 'fixture-required'
      : 'protocol';
  }
  let reason = '';
  if (classification === 'fixture-required') {
    const needs = [...new Set(failures.map((f) => describeRequirement(f.evidence)))];
    reason = `needs ${needs.join(', ')}`;
  } else if (classification === 'protocol') {
    reason = failures
      .filter((f) => f.classification === 'protocol')
      .map((f) => `${f.id}: ${f.message}`)
      .join(' | ');
  }
  return {
    scenario,
    status,
    classification,
    reason,
    checks: { total: checks.length, failed: failing.length, warnings: warnings.length },
    failures,
    warnings: warnings.map((w) => ({ id: w.id, message: w.errorMessage ?? w.description ?? '' })),
  };
}
