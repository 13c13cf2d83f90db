/**
 * The success response → `ApiResponse`: 200, 201, … in ascending order, then 2XX; the first with a body wins,
 * else the first. Only a JSON body gets its schema resolved. Swagger 2.0 responses take their content types
 * from `produces` (the operation's, else the document's).
 */
import type { ApiResponse } from '../model.js';
import type { Located, Resolver } from '../refs.js';
import { shortMessage } from '../text.js';
import { bodyKind } from './bodies.js';
import { isObj, type Obj, type ProblemSink, type SchemaReader, str, stringList } from './common.js';

/** The success response: 200, 201, … in ascending order, then 2XX; the first with a body wins, else the first. */
function successStatuses(responses: Obj): string[] {
  const codes = Object.keys(responses).filter((c) => /^2(\d\d|XX)$/i.test(c));
  return codes.sort(
    (a, b) =>
      (a.toUpperCase().endsWith('XX') ? 1 : 0) - (b.toUpperCase().endsWith('XX') ? 1 : 0) ||
      a.localeCompare(b),
  );
}

/**
 * Walk the success responses in order, each followed through `$ref` (a broken one is reported and skipped), and
 * return the first that `read` gives content types, else the first it read at all.
 */
function firstSuccessResponse(
  op: Obj,
  base: string,
  resolver: Resolver,
  problem: ProblemSink,
  read: (status: string, response: Located<Obj>) => ApiResponse,
): ApiResponse | undefined {
  // The map itself is never a `$ref` in the specification, but split documents do it: follow it too.
  let map: Located<unknown>;
  try {
    map = resolver.follow({ value: op.responses, base });
  } catch (error) {
    problem(`the responses cannot be read: ${shortMessage(error)}`);
    return undefined;
  }
  const responses = isObj(map.value) ? map.value : {};
  let fallback: ApiResponse | undefined;
  for (const status of successStatuses(responses)) {
    let r: Located<unknown>;
    try {
      r = resolver.follow({ value: responses[status], base: map.base });
    } catch (error) {
      problem(`response ${status}: ${shortMessage(error)}`);
      continue;
    }
    if (!isObj(r.value)) continue;
    const response = read(status, { value: r.value, base: r.base });
    if (response.contentTypes.length > 0) return response;
    fallback ??= response;
  }
  return fallback;
}

export function openApiResponse(
  op: Obj,
  base: string,
  resolver: Resolver,
  schemaOf: SchemaReader,
  problem: ProblemSink,
): ApiResponse | undefined {
  return firstSuccessResponse(op, base, resolver, problem, (status, r) => {
    const content = isObj(r.value.content) ? r.value.content : {};
    const response: ApiResponse = { status, contentTypes: Object.keys(content) };
    const description = str(r.value.description);
    if (description) response.description = description;
    const json = Object.keys(content).find((t) => bodyKind(t) === 'json');
    if (json) {
      response.contentType = json;
      try {
        const media = resolver.follow({ value: content[json], base: r.base });
        if (isObj(media.value) && media.value.schema !== undefined)
          response.schema = schemaOf(media.value.schema, media.base, `response ${status}`);
      } catch (error) {
        problem(`response ${status}: ${shortMessage(error)}`);
      }
    }
    return response;
  });
}

export function swaggerResponse(
  op: Obj,
  base: string,
  resolver: Resolver,
  docProduces: string[],
  schemaOf: SchemaReader,
  problem: ProblemSink,
): ApiResponse | undefined {
  const produces = stringList(op.produces).length ? stringList(op.produces) : docProduces;
  return firstSuccessResponse(op, base, resolver, problem, (status, r) => {
    const response: ApiResponse = {
      status,
      contentTypes: r.value.schema !== undefined ? (produces.length ? produces : ['application/json']) : [],
    };
    const description = str(r.value.description);
    if (description) response.description = description;
    const json = response.contentTypes.find((t) => bodyKind(t) === 'json');
    if (json && r.value.schema !== undefined) {
      response.contentType = json;
      response.schema = schemaOf(r.value.schema, r.base, `response ${status}`);
    }
    return response;
  });
}
