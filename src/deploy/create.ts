/**
 * Creating a server revision: generate and verify the project in a staging directory of the factory home,
 * name it by its artifact hash (identical builds share one directory), then record the version in the registry
 * in one write. After that write the version and its complete files both exist; before it, nothing is recorded.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createServerProject, type ProgressEvent } from '../build/create.js';
import type { Severity } from '../build/security/index.js';
import { FactoryError } from '../core/errors/index.js';
import type { ExecutionLog } from '../platform/execution-log.js';
import type { HomeLayout } from '../platform/home.js';
import type { Registry, ServerRecord } from '../store/index.js';
import { hashArtifacts, linkRevision, removeDeadStaging, stagingName } from './artifacts.js';
import type { CreateOutcome, CreateRequest } from './types.js';

/** CreateRequest plus generation knobs the local control plane understands. */
export interface LocalCreateRequest extends CreateRequest {
  /** An execution log to continue (natural-language creation: it already holds the LLM calls). */
  log?: ExecutionLog;
  /** Environment for the generated tests only. */
  testEnv?: NodeJS.ProcessEnv;
  /** Extra project files from the source (the database role script db/readonly-role.sql). */
  extraFiles?: Record<string, string>;
  /** Run the generated tests in the sandbox (code written by an LLM). */
  sandboxTests?: boolean;
  /** Run the generated tests unconfined when no sandbox is available (local CLI `--unsafe-no-sandbox` only). */
  unsafeNoSandbox?: boolean;
  /** Copy SQLite files named outside the spec's folder (only for a spec the user trusts; see build/assets.ts). */
  allowOutsidePaths?: boolean;
  typecheck?: boolean;
  securityThreshold?: Severity;
  onProgress?: (event: ProgressEvent) => void;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof FactoryError && error.code === 'REGISTRY_NOT_FOUND';
}

/** Build and register a new revision of `request.spec` (SERVER_EXISTS for a live server without `force`). */
export async function createRevision(
  registry: Registry,
  layout: HomeLayout,
  request: LocalCreateRequest,
): Promise<CreateOutcome> {
  const { spec } = request;
  const name = spec.name;
  let existing: ServerRecord | undefined;
  try {
    existing = await registry.getServer(name);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (existing && existing.status !== 'removed' && !request.force) {
    throw new FactoryError(
      'SERVER_EXISTS',
      `server ${name} is already registered (revision ${existing.currentRevision}); pass --force to record a new revision`,
      { details: { server: name, revision: existing.currentRevision } },
    );
  }
  const serverDir = layout.serverDir(name);
  await mkdir(serverDir, { recursive: true, mode: 0o700 });
  await removeDeadStaging(serverDir);
  const staging = join(serverDir, stagingName(randomBytes(4).toString('hex')));
  let projectDir: string;
  let artifactHash: string;
  let steps: CreateOutcome['steps'];
  try {
    const result = await createServerProject({
      spec,
      specDir: request.specDir,
      outDir: staging,
      force: false,
      typecheck: request.typecheck ?? true,
      runTests: request.runTests ?? true,
      ...(request.securityThreshold ? { securityThreshold: request.securityThreshold } : {}),
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      ...(request.log ? { log: request.log } : {}),
      ...(request.testEnv ? { testEnv: request.testEnv } : {}),
      ...(request.extraFiles ? { extraFiles: request.extraFiles } : {}),
      ...(request.sandboxTests ? { sandboxTests: true } : {}),
      ...(request.allowOutsidePaths ? { allowOutsidePaths: true } : {}),
      ...(request.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}),
    });
    steps = result.log.steps.map((s) => ({ step: s.step, status: s.status, durationMs: s.durationMs }));
    artifactHash = await hashArtifacts(staging);
    projectDir = layout.projectDir(name, artifactHash);
    if (existsSync(projectDir)) await rm(staging, { recursive: true, force: true });
    else await rename(staging, projectDir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  // The only registry write, one transaction: after it, the version and its complete files both exist.
  const { version } = await registry.createServerVersion({
    name,
    version: spec.version,
    spec,
    artifactHash,
    tools: spec.tools.map((t) => ({
      name: t.name,
      title: t.title ?? null,
      description: t.description,
      annotations: t.annotations ?? {},
    })),
    actor: request.actor,
  });
  await linkRevision(serverDir, version.revision, basename(projectDir));
  return { name, revision: version.revision, version: spec.version, projectDir, artifactHash, steps };
}
