/**
 * Search over API operations (the catalog of a dynamic-mode server): which text of an operation counts how
 * much, under English analysis. The generated server's catalog and the search-quality test both use this, so
 * the ranking measured is the ranking shipped.
 */
import { createSearchIndex, type SearchDocument, type SearchIndex } from './rank.js';

/** The text of one operation that search reads. */
export interface OperationText {
  /** The operationId or method-and-path name (`CreateMessage`, `get_users_by_id`). */
  name: string;
  title?: string | undefined;
  description: string;
  /** The request path (`/Accounts/{{AccountSid}}/Messages.json`). */
  path?: string | undefined;
  /** Names of the operation's parameters (`To`, `Body`, `StatusCallback`). */
  parameters?: readonly string[] | undefined;
}

/**
 * The name says most (method and resource, or the operationId), then the title (the summary), then the
 * description. The path and parameter names are a weak hint: they find `SmsUrl` on the phone-number update,
 * but should not outvote what the operation says it does.
 */
export const OPERATION_WEIGHTS = {
  name: 3,
  title: 2,
  description: 1,
  path: 0.5,
  parameters: 0.3,
} as const;

export type OperationField = keyof typeof OPERATION_WEIGHTS;

export interface OperationDocument<T> extends SearchDocument<OperationField> {
  operation: T;
}

/** What search reads of a catalog operation as generated servers hold it (runtime/catalog.ts). */
export function catalogOperationText(op: {
  name: string;
  title?: string | undefined;
  description: string;
  inputSchema: Record<string, unknown>;
  http: { path: string };
}): OperationText {
  const properties = op.inputSchema.properties;
  return {
    name: op.name,
    title: op.title,
    description: op.description,
    path: op.http.path,
    parameters:
      properties && typeof properties === 'object' && !Array.isArray(properties)
        ? Object.keys(properties)
        : [],
  };
}

/** Index operations once (keyed by name), with English analysis and an idf per field (see IndexOptions). */
export function createOperationIndex<T>(
  operations: readonly T[],
  textOf: (operation: T) => OperationText,
): SearchIndex<OperationDocument<T>> {
  const documents = operations.map((operation) => {
    const text = textOf(operation);
    return {
      key: text.name,
      fields: {
        name: text.name,
        title: text.title,
        description: text.description,
        path: text.path,
        parameters: text.parameters?.join(' '),
      },
      operation,
    };
  });
  return createSearchIndex(documents, OPERATION_WEIGHTS, { english: true, fieldIdf: true });
}
