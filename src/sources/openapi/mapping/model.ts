/**
 * Shapes shared by the steps of the OpenAPI → spec mapping: the spec input types being built, an operation
 * once mapped (before it becomes a tool or a catalog entry), the per-operation context, how steps report,
 * and `Skip`, which a step throws to leave one operation out with a reason.
 */
import type { ServerSpecInput, ValueSchema } from '../../../core/spec/model.js';
import type { Severity } from '../model.js';
import type { AuthPlan } from './auth.js';

export type ToolInput = NonNullable<ServerSpecInput['tools']>[number];
export type HttpInput = NonNullable<ToolInput['http']>;
export type ConnectionInput = NonNullable<ServerSpecInput['connections']>[number];
export type CatalogInput = NonNullable<ServerSpecInput['catalogs']>[number];
export type Annotations = NonNullable<ToolInput['annotations']>;

/** Adds a report entry for the document as a whole (`operation` is '' then) or for one operation. */
export type ReportAdd = (operation: string, reason: string, severity: Severity) => void;

/** Thrown while mapping one operation: the operation is skipped and the message becomes its report entry. */
export class Skip extends Error {}

/** HTTP header and cookie names (RFC 9110 token). */
export const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A tool or catalog operation, before it is placed. */
export interface MappedOperation {
  name: string;
  title?: string;
  description: string;
  parameters: Record<string, ValueSchema>;
  returns?: ValueSchema;
  annotations: Annotations;
  http: HttpInput;
}

/** What mapping one operation needs to know about the rest of the document. */
export interface OperationContext {
  connection: string;
  authPlan: AuthPlan;
  maxDescription: number;
  flattenBody: boolean;
  add: (reason: string, severity: Severity) => void;
}

/** Parameter descriptions get half the description budget (at least 50 characters). */
export function parameterDescriptionMax(maxDescription: number): number {
  return Math.max(50, Math.floor(maxDescription / 2));
}
