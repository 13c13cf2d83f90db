/**
 * What an HTTP route of a management operation is (its method, path, schemas, statuses and how the validated
 * request maps to the operation's input), and `bind`, the typed identity every route table declares its routes
 * with (operation-routes.ts, job-routes.ts).
 */
import type { z } from 'zod';
import type { Method } from '../http/router.js';
import type { Operation, OperationContext } from '../operations/index.js';

type Parsed<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

/** A validated request: path parameters, query and body as the route's schemas output them. */
export interface ParsedRequest<P, Q, B> {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
  request: Request;
}

export interface OperationRoute<
  I extends z.ZodType = z.ZodType,
  O extends z.ZodType = z.ZodType,
  P extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
> {
  operation: Operation<I, O>;
  method: Method;
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: { schema: NonNullable<B>; required: boolean; yaml?: boolean };
  /** Error statuses this route may answer besides the ones every route has. */
  errors?: number[];
  /** The success status and the description of its response. */
  status: number;
  response: string;
  /** More content types of the success response, answered by `respond` (null: text without a schema). */
  alsoContent?: Record<string, null>;
  /** The operation's input from the validated request. */
  input(request: ParsedRequest<P, Q, B>): z.output<I>;
  /** Answer without the operation's JSON (e.g. a stream), or undefined to answer as usual. */
  respond?(request: ParsedRequest<P, Q, B>, context: OperationContext): Promise<Response | undefined>;
}

/** Declare a route with its types checked against the operation's, stored untyped in a route table. */
export function bind<
  I extends z.ZodType,
  O extends z.ZodType,
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(binding: OperationRoute<I, O, P, Q, B>): OperationRoute {
  return binding as unknown as OperationRoute;
}
