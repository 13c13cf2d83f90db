/**
 * What a management operation is: a stable name, a title and description, zod input and output schemas,
 * behaviour hints, the permission it needs, and one handler over the control plane and the registry. The HTTP
 * API and the factory's MCP server are projections of these definitions; `invoke` is the one way a surface runs
 * an operation (policy check, then the handler).
 */
import type { z } from 'zod';
import type { ControlPlane } from '../../deploy/types.js';
import type { CreateReservation } from '../../identity/access.js';
import { authorize, type Permission, type Policy, type Subject } from '../../identity/policy.js';
import type { Registry } from '../../store/index.js';
import type { Toolsmith } from '../../toolsmith/index.js';
import { authorizeServer } from './ownership.js';

/** How an operation behaves (MCP tool annotations are projected from these). */
export type OperationAnnotations =
  | { readOnly: true; idempotent: boolean; openWorld: boolean }
  | { readOnly: false; destructive: boolean; idempotent: boolean; openWorld: boolean };

/** Everything a handler may use: the factory, who asks, and what the surface allows. */
export interface OperationContext {
  controlPlane: ControlPlane;
  registry: Registry;
  /** Who asks (the policy decides with it). */
  subject: Subject;
  policy: Policy;
  /** Audit actor of the changes: the token's name, or the local user. */
  actor: string;
  /** Whether specs may name SQLite files of this host: only for a local user. */
  allowLocalFiles: boolean;
  /** Where relative SQLite paths of a spec resolve; absent: each creation gets a temporary directory. */
  specDir?: string | undefined;
  /** Reserve a creation against the caller's server quota and the concurrency limit; absent: no quota. */
  reserveCreate?: ((server: string) => Promise<CreateReservation>) | undefined;
  /** The toolsmith of this factory (absent: the surface offers no toolsmith operations). */
  toolsmith?: Toolsmith | undefined;
  /** Aborted when the caller goes away (reads of logs stop early), or when its job is cancelled. */
  signal?: AbortSignal | undefined;
  /** Progress of a long operation (0..1, message), reported when it runs as a job; absent: nobody listens. */
  progress?: ((fraction: number, message?: string) => void) | undefined;
  /**
   * The caller's own credential, set by the HTTP API only: operations that act at the gateway as the caller
   * (gateway_call) send it there, so the gateway applies that caller's roles, allow-lists, limits and audit.
   * Absent on every other surface. Never logged, stored or echoed.
   */
  credential?: string | undefined;
}

export interface Operation<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** Stable name (also the MCP tool name where the operation is a tool). */
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: OperationAnnotations;
  permission: Permission;
  /** The server the operation acts on: the policy decides with its owner and team. */
  server?: (input: z.output<I>) => string;
  handler(context: OperationContext, input: z.output<I>): Promise<z.output<O>>;
}

/** Identity helper that infers the input and output types of an operation for its handler. */
export function defineOperation<I extends z.ZodObject, O extends z.ZodType>(
  operation: Operation<I, O>,
): Operation<I, O> {
  return operation;
}

/** The policy's checks of an operation for a caller: its permission, and on the server it acts on. */
export async function authorizeOperation<I extends z.ZodType, O extends z.ZodType>(
  operation: Operation<I, O>,
  context: OperationContext,
  input: z.output<I>,
): Promise<void> {
  authorize(context.policy, context.subject, operation.permission);
  if (operation.server) await authorizeServer(context, operation.permission, operation.server(input));
}

/** Run an operation for a caller: the policy decides, then the handler runs. */
export async function invoke<I extends z.ZodType, O extends z.ZodType>(
  operation: Operation<I, O>,
  context: OperationContext,
  input: z.output<I>,
): Promise<z.output<O>> {
  await authorizeOperation(operation, context, input);
  return operation.handler(context, input);
}
