/**
 * spec → generated project → type-check → security scan → bundle → generated tests → moved into place.
 * Everything happens in a temporary sibling directory that is renamed into place only when all steps pass:
 * a failed run leaves nothing half-written and never replaces an existing server without `force`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { FactoryError, type Issue } from '../core/errors/index.js';
import type { ServerSpec } from '../core/spec/model.js';
import { ExecutionLog } from '../platform/execution-log.js';
import {
  dependencyVersions,
  factoryVersion,
  PROJECT_PACKAGES,
  packageDir,
  runtimeFiles,
} from '../platform/factory-files.js';
import { datasetBinds, requireSandbox, sqliteBinds, testsNeedNetwork } from '../platform/sandbox/index.js';
import { type AssetCopyOptions, copyFileAsset, copySqliteAsset } from './assets.js';
import { type GeneratedProject, generateProject } from './generator/index.js';
import { isAtLeast, type ScanReport, SecurityScanner, type Severity } from './security/index.js';
import { type BundleResult, bundle } from './verify/bundle.js';
import { runGeneratedTests, type TestRunResult } from './verify/run-tests.js';
import { type TypecheckResult, typecheck } from './verify/typecheck.js';

export type ProgressEvent =
  | { step: string; status: 'start' }
  | { step: string; status: 'done' | 'failed'; ms: number; detail?: string }
  | { step: string; status: 'skipped'; detail: string };

export interface CreateOptions {
  spec: ServerSpec;
  /** Folder the spec came from: relative asset paths (SQLite files) resolve against it and must stay inside it. */
  specDir: string;
  /** Allow SQLite `path`s outside specDir (after symlinks): only for a spec the user trusts. */
  allowOutsidePaths?: boolean;
  outDir: string;
  force?: boolean;
  typecheck?: boolean;
  runTests?: boolean;
  /** Findings at or above this severity block creation unless `force`. Default 'high'. */
  securityThreshold?: Severity;
  scanner?: SecurityScanner;
  /** Environment for the generated tests (connection variables). */
  testEnv?: NodeJS.ProcessEnv;
  /** Extra project files from the source (e.g. db/readonly-role.sql), by relative path; README/SKILL name them. */
  extraFiles?: Record<string, string>;
  /** Obsolete: generated tests always run in the sandbox (platform/sandbox). */
  sandboxTests?: boolean;
  /** Run the generated tests unconfined when no sandbox is available (CLI `--unsafe-no-sandbox` only). */
  unsafeNoSandbox?: boolean;
  /** Run the generated tests in a container of this image (the sandbox's docker backend) instead of bubblewrap. */
  testContainer?: { image: string; env: Record<string, string>; runtime?: string | undefined };
  onProgress?: (event: ProgressEvent) => void;
  /** An execution log to continue (e.g. one that already holds LLM calls). */
  log?: ExecutionLog;
}

export interface CreateResult {
  outDir: string;
  files: string[];
  typecheck?: TypecheckResult;
  security: ScanReport;
  bundle: BundleResult;
  tests?: TestRunResult;
  log: ExecutionLog;
  totalMs: number;
}

export async function createServerProject(options: CreateOptions): Promise<CreateResult> {
  const started = performance.now();
  const { spec } = options;
  const outDir = resolve(options.outDir);
  const log = options.log ?? new ExecutionLog(`${spec.name}@${spec.version}`);
  const emit = options.onProgress ?? (() => undefined);
  const step = async <T>(
    name: string,
    fn: () => Promise<T> | T,
    details?: (r: T) => Record<string, unknown>,
    summary?: (r: T) => string,
  ): Promise<T> => {
    emit({ step: name, status: 'start' });
    const t0 = performance.now();
    try {
      const result = await log.step(name, fn, details);
      emit({
        step: name,
        status: 'done',
        ms: performance.now() - t0,
        ...(summary ? { detail: summary(result) } : {}),
      });
      return result;
    } catch (error) {
      emit({ step: name, status: 'failed', ms: performance.now() - t0, detail: (error as Error).message });
      throw error;
    }
  };
  const skip = (name: string, reason: string) => {
    log.skip(name, reason);
    emit({ step: name, status: 'skipped', detail: reason });
  };

  // Refuse before any work when the tests would have to run unconfined (no silent fallback).
  if (options.runTests !== false && !options.testContainer) {
    requireSandbox('the generated tests', { unsafeNoSandbox: options.unsafeNoSandbox, env: process.env });
  }
  if (existsSync(outDir) && !options.force) {
    throw new FactoryError('OUTPUT_EXISTS', `${outDir} already exists`, { details: { outDir } });
  }
  if (existsSync(outDir) && !(await stat(outDir)).isDirectory()) {
    throw new FactoryError('OUTPUT_EXISTS', `${outDir} exists and is not a directory`, {
      details: { outDir },
    });
  }

  const project = await step(
    'generate',
    () =>
      generateProject(spec, {
        runtimeFiles: runtimeFiles(),
        dependencyVersions: dependencyVersions(),
        generatorVersion: factoryVersion(),
        ...(options.extraFiles ? { extraFiles: options.extraFiles } : {}),
      }),
    (p) => ({
      files: Object.keys(p.files).length,
      tools: spec.tools.length,
      resources: spec.resources.length,
      prompts: spec.prompts.length,
    }),
    (p) => `${Object.keys(p.files).length} files`,
  );

  await mkdir(dirname(outDir), { recursive: true });
  const tmp = join(dirname(outDir), `.${basename(outDir)}.tmp-${randomBytes(4).toString('hex')}`);
  try {
    await step(
      'write',
      () =>
        writeProject(tmp, project, {
          specDir: options.specDir,
          ...(options.allowOutsidePaths ? { allowOutsidePaths: true } : {}),
        }),
      () => ({ dir: tmp }),
    );
    await linkPackages(tmp);

    // The type-check runs beside the scan, the bundle and the generated tests (it reads only the sources);
    // its verdict is awaited before anything is moved into place, and a type error wins over a later failure.
    const typechecking =
      options.typecheck !== false
        ? step(
            'typecheck',
            async () => {
              const result = await typecheck(tmp);
              if (!result.ok) throw typecheckError(result, project, tmp, spec);
              return result;
            },
            (r) => ({ ok: r.ok, errors: r.diagnostics.length }),
          )
        : undefined;
    typechecking?.catch(() => undefined);
    if (!typechecking) skip('typecheck', 'disabled');
    const typeErrorFirst = async (error: unknown): Promise<never> => {
      if (typechecking) await typechecking;
      throw error;
    };

    const scanner = options.scanner ?? new SecurityScanner();
    // The project's own sources; the shared runtime is scanned by MCP Factory's test suite instead.
    const scanFiles = Object.entries(project.files).filter(
      ([path]) => path.startsWith('src/') && !path.startsWith('src/runtime/'),
    );
    const { security, bundled, tests } = await (async () => {
      const security = await step(
        'security-scan',
        () => scanner.scan(scanFiles),
        (r) => ({ findings: r.findings.length, highest: r.highest ?? 'none' }),
        (r) => `${r.findings.length} findings`,
      );
      const threshold = options.securityThreshold ?? 'high';
      const blocking = security.findings.filter((f) => isAtLeast(f.severity, threshold));
      if (blocking.length > 0 && !options.force) {
        throw new FactoryError(
          'SECURITY_BLOCKED',
          `security scan: ${blocking.length} finding(s) at or above ${threshold}`,
          {
            issues: blocking.map((f) => securityIssue(f, project, spec)),
            details: { report: security },
          },
        );
      }

      const bundled = await step(
        'bundle',
        () =>
          bundle(tmp, {
            sqlite: spec.connections.some((c) => c.type === 'sqlite'),
            duckdb: spec.connections.some((c) => c.type === 'dataset'),
          }),
        (r) => ({
          bytes: r.bytes,
          ...(r.native ? { nativeBytes: r.native.bytes, nativeLinked: r.native.linked } : {}),
        }),
        (r) =>
          `${(r.bytes / 1024).toFixed(0)} KiB${r.native ? ` + ${(r.native.bytes / 1048576).toFixed(0)} MiB native (${r.native.linked ? 'hard-linked' : 'copied'})` : ''}`,
      );

      let tests: TestRunResult | undefined;
      if (options.runTests !== false) {
        tests = await step(
          'generated-tests',
          () =>
            runGeneratedTests(tmp, {
              env: { ...process.env, ...options.testEnv },
              readOnly: [
                ...sqliteBinds(spec, { ...options.testEnv }, 'tests').readOnly,
                ...datasetBinds(spec, { ...options.testEnv }).readOnly,
              ],
              // Shipped SQLite databases: the examples of write tools write to the project's own copy.
              scratch: project.assets.some((a) => a.kind !== 'file') ? [join(tmp, 'data')] : [],
              network: testsNeedNetwork(spec),
              unsafeNoSandbox: options.unsafeNoSandbox ?? false,
              ...(options.testContainer ? { container: options.testContainer } : {}),
            }),
          (r) => ({ passed: r.passed, failed: r.failed, skipped: r.skipped, sandboxed: r.sandboxed }),
          (r) =>
            `${r.passed} passed, ${r.failed} failed${r.skipped.length ? `, ${r.skipped.length} cases skipped` : ''}`,
        );
        if (!tests.ok) {
          throw new FactoryError(
            'GENERATED_TESTS_FAILED',
            `the generated tests failed (${tests.failed} failed)`,
            {
              details: { output: tests.output.slice(-8000) },
            },
          );
        }
      } else skip('generated-tests', 'disabled');
      return { security, bundled, tests };
    })().catch(typeErrorFirst);
    const tc: TypecheckResult | undefined = await typechecking;

    await rm(join(tmp, 'node_modules'), { recursive: true, force: true });
    await writeFile(join(tmp, 'EXECUTION_LOG.md'), log.toMarkdown());
    await writeFile(join(tmp, 'execution_log.json'), `${JSON.stringify(log.toJSON(), null, 2)}\n`);
    await moveIntoPlace(tmp, outDir);
    return {
      outDir,
      files: [
        ...Object.keys(project.files),
        ...project.assets.map((a) => a.to),
        'EXECUTION_LOG.md',
        'execution_log.json',
      ],
      ...(tc ? { typecheck: tc } : {}),
      security,
      bundle: { ...bundled, file: join(outDir, relative(tmp, bundled.file)) },
      ...(tests ? { tests } : {}),
      log,
      totalMs: performance.now() - started,
    };
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
}

async function writeProject(dir: string, project: GeneratedProject, assets: AssetCopyOptions): Promise<void> {
  await mkdir(dir, { recursive: true });
  const dirs = new Set(Object.keys(project.files).map((f) => dirname(join(dir, f))));
  await Promise.all([...dirs].map((d) => mkdir(d, { recursive: true })));
  await Promise.all(Object.entries(project.files).map(([f, content]) => writeFile(join(dir, f), content)));
  const budget = { bytes: 0 };
  for (const asset of project.assets) {
    await mkdir(dirname(join(dir, asset.to)), { recursive: true });
    if (asset.kind === 'file') await copyFileAsset(asset.from, join(dir, asset.to), assets, budget);
    else await copySqliteAsset(asset.from, join(dir, asset.to), assets);
  }
}

/** Link the packages a generated project builds against, from MCP Factory's own installation. */
async function linkPackages(dir: string): Promise<void> {
  for (const name of PROJECT_PACKAGES) {
    let target: string;
    try {
      target = packageDir(name);
    } catch {
      continue;
    }
    const link = join(dir, 'node_modules', name);
    await mkdir(dirname(link), { recursive: true });
    await symlink(target, link, 'dir');
  }
}

async function moveIntoPlace(tmp: string, outDir: string): Promise<void> {
  if (!existsSync(outDir)) {
    await rename(tmp, outDir);
    return;
  }
  const backup = `${tmp}.old`;
  await rename(outDir, backup);
  try {
    await rename(tmp, outDir);
  } catch (error) {
    await rename(backup, outDir);
    throw error;
  }
  await rm(backup, { recursive: true, force: true });
}

function codeToolFor(file: string, project: GeneratedProject): string | undefined {
  return Object.entries(project.codeToolFiles).find(([, path]) => file.endsWith(path))?.[0];
}

/** Lines before the body in a code-tool file (see codeToolFile in the generator). */
function bodyOffset(project: GeneratedProject, path: string): number {
  const lines = (project.files[path] ?? '').split('\n');
  return lines.indexOf('// --- code.source begins ---') + 1;
}

function toolPath(spec: ServerSpec, tool: string): string {
  return `tools[${spec.tools.findIndex((t) => t.name === tool)}].code.source`;
}

function typecheckError(
  tc: TypecheckResult,
  project: GeneratedProject,
  tmp: string,
  spec: ServerSpec,
): FactoryError {
  const issues: Issue[] = tc.diagnostics.slice(0, 50).map((d) => {
    const rel = relative(tmp, resolve(tmp, d.file)).replace(/\\/g, '/');
    const tool = codeToolFor(rel, project);
    if (tool) {
      const bodyLine = d.line - bodyOffset(project, project.codeToolFiles[tool]!);
      return {
        code: 'TYPECHECK_FAILED',
        message: `code of tool "${tool}", line ${bodyLine}: ${d.message} (${d.code})`,
        path: toolPath(spec, tool),
        hint: 'Fix the TypeScript in the tool body; `args` is typed from the parameters and `ctx` offers log, signal, db() and env().',
      };
    }
    return {
      code: 'TYPECHECK_FAILED',
      message: `${rel}:${d.line}:${d.column}: ${d.message} (${d.code})`,
      path: '',
      hint: 'This is a generator bug; please report it with the spec.',
    };
  });
  return new FactoryError(
    'TYPECHECK_FAILED',
    `the generated project does not type-check (${tc.diagnostics.length} error(s)); first: ${issues[0]?.message ?? '?'}`,
    { issues },
  );
}

function securityIssue(
  f: ScanReport['findings'][number],
  project: GeneratedProject,
  spec: ServerSpec,
): Issue {
  const tool = codeToolFor(f.file, project);
  const where = tool
    ? `code of tool "${tool}", line ${f.line - bodyOffset(project, f.file)}`
    : `${f.file}:${f.line}:${f.column}`;
  return {
    code: 'SECURITY_BLOCKED',
    message: `${f.severity} ${f.ruleId}: ${f.message} (${where}: ${f.excerpt})`,
    path: tool ? toolPath(spec, tool) : f.file,
    hint: f.hint ?? 'Remove the flagged construct or pass --force after review.',
  };
}
