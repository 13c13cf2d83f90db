/**
 * Operations on specs: validate one, create a server from one (a new revision with force), and create a server
 * from a natural-language description (an LLM drafts the spec). Creations count against the caller's server
 * quota when the surface gives a `reserveCreate`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { ProgressEvent } from '../../build/create.js';
import { MAX_SPEC_BYTES } from '../../core/spec/index.js';
import type { ControlPlane, CreateOutcome } from '../../deploy/types.js';
import { authorizeSpec } from '../../identity/policy.js';
import { defineOperation, type OperationContext } from './operation.js';
import { authorizeCreate, claimServer } from './ownership.js';
import { CreateOutcomeSchema, NaturalBody, ValidationSchema } from './schemas.js';
import { checkSpecSource, specFromSource } from './spec-input.js';

/** A spec as an object or as YAML/JSON text (exactly one of them). */
const SpecInput = {
  spec: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('The spec as an object (MCP Factory spec: name, version, tools, connections, …).'),
  specText: z
    .string()
    .max(MAX_SPEC_BYTES)
    .optional()
    .describe('The spec as YAML or JSON text (instead of spec).'),
};

/** Run `fn` with the directory relative spec paths resolve in: the surface's, or a temporary one. */
async function withSpecDir<T>(
  context: OperationContext,
  prefix: string,
  fn: (specDir: string) => Promise<T>,
): Promise<T> {
  if (context.specDir !== undefined) return fn(context.specDir);
  const specDir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await fn(specDir);
  } finally {
    await rm(specDir, { recursive: true, force: true });
  }
}

export const validateSpec = defineOperation({
  name: 'validate_spec',
  title: 'Validate a spec',
  description:
    'Check an MCP Factory spec without creating anything. Returns ok and, when it is not valid, every issue with its JSON path (and line/column for text), code and hint.',
  input: z.object(SpecInput),
  output: ValidationSchema,
  annotations: { readOnly: true, idempotent: true, openWorld: false },
  permission: 'specs.validate',
  handler: async (context, input) => {
    const check = checkSpecSource(input, { allowLocalFiles: context.allowLocalFiles });
    const spec = check.spec;
    return {
      ok: check.ok,
      ...(spec
        ? {
            name: spec.name,
            version: spec.version,
            tools: spec.tools.length,
            resources: spec.resources.length,
            prompts: spec.prompts.length,
          }
        : {}),
      issues: check.issues,
    };
  },
});

/**
 * Steps of a creation as progress: each finished step moves the fraction toward (never to) 1. A cancelled job
 * stops the creation at its next step (the throw fails that step; registering is the last one, so nothing is
 * registered).
 */
function createProgress(
  report: (fraction: number, message?: string) => void,
  signal: AbortSignal | undefined,
): (event: ProgressEvent) => void {
  const EXPECTED_STEPS = 6;
  let finished = 0;
  return (event) => {
    signal?.throwIfAborted();
    if (event.status === 'start') return;
    finished++;
    report(Math.min(0.95, finished / EXPECTED_STEPS), `${event.step}: ${event.status}`);
  };
}

export const createServer = defineOperation({
  name: 'create_server',
  title: 'Create a server',
  description:
    'Create an MCP server from a spec (with force: a new revision of an existing one): generate, type-check, security-scan, bundle and test it, and register the revision. Takes a few seconds. Deploy it afterwards with deploy_server.',
  input: z.object({
    ...SpecInput,
    force: z
      .boolean()
      .optional()
      .describe(
        'Record a new revision of a server that already exists (otherwise the create fails with SERVER_EXISTS).',
      ),
    runTests: z.boolean().optional().describe("Run the generated server's own tests (default true)."),
  }),
  output: CreateOutcomeSchema,
  annotations: { readOnly: false, destructive: false, idempotent: false, openWorld: false },
  permission: 'servers.create',
  handler: async (context, input) => {
    const spec = specFromSource(input, { allowLocalFiles: context.allowLocalFiles });
    // Code tools run on the factory's machines: the caller needs the permission before anything is built.
    authorizeSpec(context.policy, context.subject, spec);
    const claim = await authorizeCreate(context, spec.name);
    const reservation = await context.reserveCreate?.(spec.name);
    try {
      const outcome = await withSpecDir(context, 'mcpf-api-', (specDir) =>
        context.controlPlane.create({
          spec,
          specDir,
          force: input.force ?? false,
          runTests: input.runTests ?? true,
          actor: context.actor,
          ...(context.progress ? { onProgress: createProgress(context.progress, context.signal) } : {}),
        }),
      );
      await claimServer(context, spec.name, claim);
      await reservation?.commit();
      return outcome;
    } finally {
      reservation?.release();
    }
  },
});

export const createServerFromDescription = defineOperation({
  name: 'create_server_from_description',
  title: 'Create a server from a description',
  description:
    'An LLM drafts the spec from a plain-language description (validated and repaired like any spec); the server is then generated, checked, tested and registered like create_server. Environment variables the description could not supply are listed in envRefs; nothing is invented.',
  input: NaturalBody,
  output: CreateOutcomeSchema,
  annotations: { readOnly: false, destructive: false, idempotent: false, openWorld: true },
  permission: 'servers.create',
  handler: async (context, input) => {
    const { createFromPrompt } = await import('../../sources/nl/index.js');
    return withSpecDir({ ...context, specDir: undefined }, 'mcpf-api-nl-', async (specDir) => {
      let release: (() => void) | undefined;
      const result = await createFromPrompt(input.description, {
        specDir,
        ...(input.name ? { name: input.name } : {}),
        build: async (spec, ctx) => {
          // A drafted spec is held to the same permissions as one the caller wrote.
          authorizeSpec(context.policy, context.subject, spec);
          const claim = await authorizeCreate(context, spec.name);
          // The quota is reserved once the name is known; repairs of the same server reuse it.
          const reservation = release ? undefined : await context.reserveCreate?.(spec.name);
          if (reservation) release = () => reservation.release();
          const outcome = await context.controlPlane.create({
            spec,
            specDir: ctx.specDir,
            runTests: true,
            actor: context.actor,
            log: ctx.log,
            sandboxTests: true,
            testEnv: ctx.testEnv,
          } as Parameters<ControlPlane['create']>[0]);
          await claimServer(context, spec.name, claim);
          await reservation?.commit();
          return outcome;
        },
      }).finally(() => release?.());
      const outcome: CreateOutcome & { envRefs: unknown; warnings: unknown } = {
        ...result.result,
        envRefs: result.envRefs,
        warnings: result.warnings,
      };
      return outcome;
    });
  },
});
