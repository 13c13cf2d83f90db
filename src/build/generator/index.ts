/**
 * The one generator: ServerSpec → every file of a standalone TypeScript MCP server project.
 * Pure: takes the runtime sources and dependency versions as input, returns file contents.
 */
import { basename } from 'node:path/posix';
import type { ServerSpec } from '../../core/spec/model.js';
import { fileAssets } from './assets.js';
import { readme, skill } from './docs.js';
import { mockUpstreamPlan } from './mock-upstream.js';
import {
  buildScript,
  ciWorkflow,
  type DependencyVersions,
  dockerfile,
  dockerignore,
  envExample,
  gitignore,
  mcpbManifest,
  packageJson,
  serverJson,
  tsconfigJson,
} from './project-files.js';
import { generateServerCode, runtimeFilesFor } from './server-code.js';
import { testFile } from './test-file.js';
import { planTests, requiresEnvFor, type TestCase } from './test-plan.js';
import { coveredTools, planWriteScenarios } from './write-plan.js';

export interface GenerateOptions {
  /** runtime/*.ts of MCP Factory, by file name; copied to src/runtime/. */
  runtimeFiles: Record<string, string>;
  dependencyVersions: DependencyVersions;
  generatorVersion: string;
  /** Files a source adds (e.g. the database role script), by relative path; the docs point at the known ones. */
  extraFiles?: Record<string, string>;
}

/** A file to copy from the spec's folder into the project (e.g. a SQLite database). */
export interface Asset {
  /** As written in the spec (relative to the spec file). */
  from: string;
  /** Path inside the generated project. */
  to: string;
  /** `file`: a spec `file:` (assets/, size-capped); otherwise a SQLite database (data/). */
  kind?: 'file';
}

export interface GeneratedProject {
  files: Record<string, string>;
  assets: Asset[];
  codeToolFiles: Record<string, string>;
  testCases: TestCase[];
}

export function generateProject(spec: ServerSpec, options: GenerateOptions): GeneratedProject {
  const assets: Asset[] = [];
  const sqlitePaths: Record<string, string> = {};
  const usedTargets = new Set<string>();
  for (const c of spec.connections) {
    if (c.type !== 'sqlite' || !c.path) continue;
    let target = `data/${basename(c.path.replace(/\\/g, '/')) || 'database.db'}`;
    for (let i = 2; usedTargets.has(target); i++) target = target.replace(/(\.[^./]*)?$/, `-${i}$1`);
    usedTargets.add(target);
    assets.push({ from: c.path, to: target });
    sqlitePaths[c.name] = target;
  }
  for (const a of fileAssets(spec)) assets.push({ ...a, kind: 'file' });
  const code = generateServerCode({ spec, sqlitePaths, generatorVersion: options.generatorVersion });
  const writeScenarios = planWriteScenarios(spec, requiresEnvFor(spec));
  const testCases = planTests(spec, coveredTools(writeScenarios));
  const upstream = mockUpstreamPlan(spec, testCases);
  const files: Record<string, string> = {
    ...code.files,
    ...Object.fromEntries(
      Object.entries(runtimeFilesFor(spec, options.runtimeFiles)).map(([name, text]) => [
        `src/runtime/${name}`,
        text,
      ]),
    ),
    'package.json': packageJson(spec, options.dependencyVersions),
    'tsconfig.json': tsconfigJson(),
    'build.mjs': buildScript(spec),
    ...options.extraFiles,
    'README.md': readme(spec, options.extraFiles),
    'SKILL.md': skill(spec, options.extraFiles),
    Dockerfile: dockerfile(spec),
    '.dockerignore': dockerignore(),
    '.gitignore': gitignore(),
    '.env.example': envExample(spec),
    '.github/workflows/ci.yml': ciWorkflow(),
    'server.json': serverJson(spec),
    'manifest.json': mcpbManifest(spec),
    'mcp-spec.json': `${JSON.stringify(spec, null, 2)}\n`,
    'test/server.test.mjs': testFile(spec, {
      writes: writeScenarios.length > 0,
      upstream: upstream !== undefined,
    }),
    'test/cases.json': `${JSON.stringify(testCases, null, 2)}\n`,
    ...(upstream ? { 'test/upstream.json': `${JSON.stringify(upstream, null, 2)}\n` } : {}),
    ...(writeScenarios.length ? { 'test/writes.json': `${JSON.stringify(writeScenarios, null, 2)}\n` } : {}),
  };
  return { files, assets, codeToolFiles: code.codeToolFiles, testCases };
}

export { collectEnv, type EnvVarInfo } from './env.js';
export {
  BUNDLE_DATA_FILES,
  BUNDLE_EXTERNALS,
  BUNDLE_FILE,
  bundleOptions,
  DUCKDB_NATIVE_FILES,
} from './project-files.js';
export { usesDatasets } from './server-code.js';
export type { TestCase } from './test-plan.js';
