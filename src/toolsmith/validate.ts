/**
 * validator_node: a candidate tool goes through everything a hand-written spec goes through — spec checks
 * (including the code check that refuses imports, host access and eval), generation, type-check, security scan,
 * bundle, and the generated tests, which start the server in the sandbox and call the tool on the question's
 * dataset. The outcome is the seed's ValidationReport; problems a repair can fix are reported, problems of the
 * machine (no sandbox) are thrown.
 */
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createServerProject } from '../build/create.js';
import { FactoryError, type Issue } from '../core/errors/index.js';
import { validateSpec } from '../core/spec/load.js';
import type { ServerSpecInput } from '../core/spec/model.js';
import { DATA_ROOTS_ENV } from './candidate.js';
import type { ValidationReport } from './types.js';

/** Failures of the candidate itself: a repair gets their messages. Anything else is the machine's problem. */
const CANDIDATE_FAILURES = new Set([
  'TYPECHECK_FAILED',
  'SECURITY_BLOCKED',
  'SPEC_UNSAFE_CODE',
  'GENERATED_TESTS_FAILED',
  'BUNDLE_FAILED',
]);

export async function validateCandidate(input: {
  spec: ServerSpecInput;
  outDir: string;
  datasetsDir: string;
  /** The sandbox's docker backend (policy `sandbox: docker`): the generated tests run in this image. */
  container?: { image: string; runtime?: string | undefined } | undefined;
}): Promise<{ report: ValidationReport; projectDir?: string }> {
  const started = performance.now();
  const report: ValidationReport = {
    schema_ok: false,
    tests_ok: false,
    sandbox_ok: false,
    errors: [],
    warnings: [],
    steps: [],
    durationMs: 0,
  };
  const finish = () => {
    report.durationMs = Math.round(performance.now() - started);
    return report;
  };
  const checked = validateSpec(input.spec);
  if (!checked.ok || !checked.spec) {
    report.errors.push(...checked.issues.slice(0, 20).map(issueText));
    return { report: finish() };
  }
  report.schema_ok = true;
  await rm(input.outDir, { recursive: true, force: true });
  try {
    const result = await createServerProject({
      spec: checked.spec,
      specDir: dirname(input.outDir),
      outDir: input.outDir,
      typecheck: true,
      runTests: true,
      securityThreshold: 'high',
      testEnv: { [DATA_ROOTS_ENV]: input.datasetsDir },
      ...(input.container
        ? { testContainer: { ...input.container, env: { [DATA_ROOTS_ENV]: input.datasetsDir } } }
        : {}),
    });
    report.steps = result.log.steps.map((s) => ({
      step: s.step,
      status: s.status,
      ms: Math.round(s.durationMs),
    }));
    report.tests_ok = result.tests?.ok ?? false;
    report.sandbox_ok = result.tests?.sandboxed ?? false;
    for (const f of result.security.findings) report.warnings.push(`${f.severity} ${f.ruleId}: ${f.message}`);
    return { report: finish(), projectDir: result.outDir };
  } catch (error) {
    if (!(error instanceof FactoryError) || !CANDIDATE_FAILURES.has(error.code)) throw error;
    const issues = error.issues ?? [];
    if (issues.length > 0) report.errors.push(...issues.slice(0, 20).map(issueText));
    else report.errors.push(`${error.code}: ${error.message}`);
    const output = (error.details as { output?: string } | undefined)?.output;
    if (output) report.errors.push(`test output (end):\n${testFailures(output)}`);
    return { report: finish() };
  }
}

function issueText(issue: Issue): string {
  return `${issue.code}${issue.path ? ` at ${issue.path}` : ''}: ${issue.message}`;
}

/** The failing lines of a TAP report, not the whole output. */
function testFailures(output: string): string {
  const lines = output.split('\n');
  const keep = lines.filter((l) => /not ok|error|Error|expected|actual|message:/.test(l));
  return (keep.length > 0 ? keep : lines).slice(-40).join('\n').slice(-4000);
}
