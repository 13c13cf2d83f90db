/**
 * The toolsmith's sandbox policy (the seed's sandbox_policy.yaml): limits of each execution of a generated
 * tool, where remote callers' datasets may be, how large a dataset may be, and how many repairs a run gets.
 * Read from the file MCP_FACTORY_TOOLSMITH_POLICY names, else <home>/toolsmith/policy.yaml when it exists,
 * else the defaults below. A malformed file is TOOLSMITH_POLICY_INVALID naming the field — never ignored.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { FactoryError } from '../core/errors/index.js';

export const ToolsmithPolicy = z.strictObject({
  execution: z
    .strictObject({
      timeoutSeconds: z.number().int().min(1).max(3600).default(300).describe('Wall time of one execution.'),
      cpuSeconds: z.number().int().min(1).max(3600).default(300).describe('CPU time of one execution.'),
      memoryMb: z
        .number()
        .int()
        .min(128)
        .max(65536)
        .default(1024)
        .describe('Private writable memory of the sandboxed process (DuckDB gets half as its memory_limit).'),
      maxResultRows: z.number().int().min(1).max(1_000_000).default(10_000),
    })
    .default({ timeoutSeconds: 300, cpuSeconds: 300, memoryMb: 1024, maxResultRows: 10_000 }),
  dataRoots: z
    .array(z.string().min(1).refine(isAbsolute, 'must be an absolute path'))
    .max(50)
    .default([])
    .describe(
      'Directories remote callers (API, MCP over HTTP) may name datasets in. The local CLI user may name any file.',
    ),
  maxDatasetBytes: z
    .number()
    .int()
    .min(1)
    .default(10 * 1024 * 1024 * 1024),
  maxRepairs: z.number().int().min(0).max(10).default(3),
  sandbox: z
    .enum(['bwrap', 'docker'])
    .default('bwrap')
    .describe('What confines generated code: bubblewrap (default) or a Docker container (`docker`).'),
  docker: z
    .strictObject({
      image: z
        .string()
        .regex(/^[a-z0-9][a-z0-9._/:@-]*$/i, 'an image reference such as node:22-bookworm-slim')
        .default('node:22-bookworm-slim')
        .describe(
          'An image with Node.js on a glibc system (DuckDB does not load on musl/alpine); built or pulled beforehand.',
        ),
      runtime: z
        .string()
        .regex(/^[a-z0-9_-]+$/)
        .optional()
        .describe('OCI runtime, e.g. runsc (gVisor).'),
    })
    .default({ image: 'node:22-bookworm-slim' }),
  server: z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/)
    .default('toolsmith')
    .describe('The registry server that promoted tools are added to.'),
});
export type ToolsmithPolicy = z.infer<typeof ToolsmithPolicy>;

export const DEFAULT_POLICY: ToolsmithPolicy = ToolsmithPolicy.parse({});

/** Parse a policy document (YAML or JSON text); `source` names it in errors. */
export function parsePolicy(text: string, source: string): ToolsmithPolicy {
  let raw: unknown;
  try {
    raw = parse(text, { maxAliasCount: 50 }) ?? {};
  } catch (error) {
    throw new FactoryError('TOOLSMITH_POLICY_INVALID', `${source}: not YAML: ${(error as Error).message}`, {
      details: { source },
    });
  }
  const parsed = ToolsmithPolicy.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = issue.path.join('.') || '(root)';
    throw new FactoryError('TOOLSMITH_POLICY_INVALID', `${source}: ${at}: ${issue.message}`, {
      details: { source, path: at, issues: parsed.error.issues.slice(0, 10) },
    });
  }
  return { ...parsed.data, dataRoots: parsed.data.dataRoots.map((p) => resolve(p)) };
}

/** The policy in force: the named file, else `fallback` when it exists, else the defaults. */
export function loadPolicy(file: string | undefined, fallback: string): ToolsmithPolicy {
  const path = file ?? fallback;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (!file && (error as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_POLICY;
    throw new FactoryError('TOOLSMITH_POLICY_INVALID', `${path}: cannot read: ${(error as Error).message}`, {
      details: { source: path },
    });
  }
  return parsePolicy(text, path);
}
