/**
 * The response: how the result is read (JSON or text, from the success response's media types) and the
 * output schema a JSON result is described and validated with.
 */
import type { ValueSchema } from '../../../core/spec/model.js';
import type { ApiOperation } from '../model.js';
import { type ConvertOptions, toValueSchema } from '../schema.js';
import type { HttpInput, OperationContext } from './model.js';

/** Sets `http.response` and returns the output schema, if the success response has a single-typed one. */
export function mapResponse(
  op: ApiOperation,
  http: HttpInput,
  ctx: OperationContext,
  convert: (mode: ConvertOptions['mode']) => ConvertOptions,
): ValueSchema | undefined {
  let returns: ValueSchema | undefined;
  if (op.response) {
    if (op.response.contentType) {
      http.response = 'json';
      if (op.response.schema) {
        returns = toValueSchema(op.response.schema, convert('output'));
        if (!returns)
          ctx.add(
            `the ${op.response.status} response schema has no single type; the result is not described`,
            'info',
          );
      }
    } else if (op.response.contentTypes.length > 0) {
      http.response = 'text';
    }
  }
  return returns;
}
