/**
 * The request body → `ApiRequestBody`. OpenAPI 3: every media type is listed, and the schema is resolved for
 * the first one of each kind the mapping can send (JSON, form, multipart). Swagger 2.0: the body parameter
 * (with the `consumes` types), or else the formData parameters folded into one object schema.
 */
import type { ApiMediaType, ApiRequestBody, JsonSchema } from '../model.js';
import type { LocatedObject, Resolver } from '../refs.js';
import { shortMessage } from '../text.js';
import { isObj, type Obj, type ProblemSink, type SchemaReader, str } from './common.js';
import { swaggerSchemaOf } from './parameters.js';

/** Media types the mapping can use get their schema resolved; others are listed only. */
export function bodyKind(contentType: string): 'json' | 'form' | 'multipart' | undefined {
  const t = contentType.toLowerCase().split(';')[0]!.trim();
  if (
    t === 'application/json' ||
    /^[a-z0-9.+-]+\/[a-z0-9.+-]*\+json$/.test(t) ||
    t === '*/*' ||
    t === 'application/*' ||
    t === 'text/json'
  )
    return 'json';
  if (t === 'application/x-www-form-urlencoded') return 'form';
  if (t === 'multipart/form-data' || t === 'multipart/mixed') return 'multipart';
  return undefined;
}

/** `located` keeps, per keyword, the file it was written in (a `$ref`'d body may sit in another file). */
export function openApiBody(
  located: LocatedObject,
  resolver: Resolver,
  schemaOf: SchemaReader,
  problem: ProblemSink,
): ApiRequestBody {
  const body = located.value;
  const base = located.baseOf('content');
  const content: ApiMediaType[] = [];
  const resolvedKinds = new Set<string>();
  for (const [contentType, rawMedia] of Object.entries(isObj(body.content) ? body.content : {})) {
    const media: ApiMediaType = { contentType };
    const kind = bodyKind(contentType);
    if (kind && !resolvedKinds.has(kind)) {
      try {
        const m = resolver.follow({ value: rawMedia, base });
        if (isObj(m.value)) {
          if (m.value.schema !== undefined)
            media.schema = schemaOf(m.value.schema, m.base, `request body (${contentType})`);
          if (isObj(m.value.encoding)) {
            const encoding: Record<string, { contentType?: string }> = {};
            for (const [field, enc] of Object.entries(m.value.encoding))
              if (isObj(enc) && typeof enc.contentType === 'string')
                encoding[field] = { contentType: enc.contentType };
            media.encoding = encoding;
          }
        }
        resolvedKinds.add(kind);
      } catch (error) {
        problem(`request body (${contentType}): ${shortMessage(error)}`);
      }
    }
    content.push(media);
  }
  const result: ApiRequestBody = { required: body.required === true, content };
  const description = str(body.description);
  if (description) result.description = description;
  return result;
}

export function swaggerBody(
  bodyParams: Array<{ value: Obj; base: string }>,
  formParams: Array<{ value: Obj; base: string }>,
  consumes: string[],
  schemaOf: SchemaReader,
  problem: ProblemSink,
): ApiRequestBody | undefined {
  const body = bodyParams[0];
  if (bodyParams.length > 1) problem('more than one body parameter: only the first is used');
  if (body) {
    if (formParams.length)
      problem('both a body and formData parameters: the formData parameters were dropped');
    const types = consumes.length ? consumes : ['application/json'];
    const schema = schemaOf(body.value.schema, body.base, 'request body');
    const result: ApiRequestBody = {
      required: body.value.required === true,
      content: types.map((contentType) => ({ contentType, schema })),
    };
    const description = str(body.value.description);
    if (description) result.description = description;
    return result;
  }
  if (formParams.length === 0) return undefined;
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const p of formParams) {
    const name = p.value.name as string;
    const schema = schemaOf(swaggerSchemaOf(p.value), p.base, `form field "${name}"`);
    properties[name] = schema;
    if (p.value.required === true) required.push(name);
  }
  const hasFile = formParams.some((p) => p.value.type === 'file');
  const types = consumes.filter((t) => /multipart\/form-data|application\/x-www-form-urlencoded/i.test(t));
  const contentType =
    hasFile || types.some((t) => /multipart/i.test(t))
      ? 'multipart/form-data'
      : 'application/x-www-form-urlencoded';
  return {
    required: required.length > 0,
    content: [
      {
        contentType: types[0] && !hasFile ? types[0] : contentType,
        schema: { type: 'object', properties, required },
      },
    ],
  };
}
