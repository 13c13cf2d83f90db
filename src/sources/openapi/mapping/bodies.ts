/**
 * Request bodies: JSON (one `body` parameter, or flattened into one parameter per property), forms and
 * multipart (one parameter per field, files as base64 with a file name), and raw text/XML/binary payloads
 * carried by a single parameter.
 */
import type { ValueSchema } from '../../../core/spec/model.js';
import type { ApiMediaType, ApiOperation } from '../model.js';
import type { IdentifierAllocator } from '../names.js';
import { bodyKind } from '../normalize.js';
import { type ConvertOptions, flatten, toValueSchema } from '../schema.js';
import { cleanText } from '../text.js';
import { type HttpInput, type OperationContext, parameterDescriptionMax, Skip } from './model.js';

const BINARY_MEDIA = /^(application\/(octet-stream|pdf|zip|gzip|x-tar)|image\/|audio\/|video\/|font\/)/i;

function chooseMedia(
  content: ApiMediaType[],
): { media: ApiMediaType; kind: 'json' | 'form' | 'multipart' } | undefined {
  for (const kind of ['json', 'form', 'multipart'] as const) {
    const media = content.find((m) => bodyKind(m.contentType) === kind);
    if (media) return { media, kind };
  }
  return undefined;
}

function isBinary(s: Record<string, unknown>): boolean {
  return (
    s.format === 'binary' ||
    (typeof s.contentMediaType === 'string' && s.contentEncoding === undefined) ||
    (s.type === 'string' && s.contentEncoding === 'binary')
  );
}

/** Maps the request body onto `http` and `parameters`; throws Skip when a required body cannot be sent. */
export function mapBody(
  op: ApiOperation,
  http: HttpInput,
  parameters: Record<string, ValueSchema>,
  ids: IdentifierAllocator,
  ctx: OperationContext,
  convert: (mode: ConvertOptions['mode']) => ConvertOptions,
): void {
  const body = op.requestBody;
  if (!body || body.content.length === 0) return;
  const paramMax = parameterDescriptionMax(ctx.maxDescription);
  const unusable = (reason: string) => {
    if (body.required) throw new Skip(`the request body cannot be sent: ${reason}`);
    ctx.add(`the optional request body was dropped: ${reason}`, 'warning');
  };
  if (op.method === 'GET' || op.method === 'HEAD') {
    unusable(`${op.method} requests carry no body`);
    return;
  }
  const chosen = chooseMedia(body.content);
  if (!chosen) {
    // The payload is the file itself (binary) or a document in another format (XML, text): one parameter
    // carries it as is — base64 for binary content.
    const binary = body.content.find((m) => BINARY_MEDIA.test(m.contentType));
    const textual = body.content.find((m) =>
      /^(text\/|application\/([\w.+-]*\+)?xml\b)/i.test(m.contentType),
    );
    const media = binary ?? textual;
    if (!media) {
      unusable(
        `media type ${body.content
          .map((m) => m.contentType)
          .join(', ')
          .slice(0, 200)} is not supported (JSON, form, multipart, text, XML and binary are)`,
      );
      return;
    }
    const id = ids.allocate(binary ? 'content' : 'body');
    const description = cleanText(body.description, paramMax);
    parameters[id] = {
      type: 'string',
      description:
        `${description ? `${description} ` : ''}(${media.contentType}${binary ? ', base64-encoded' : ''})`.trim(),
      ...(body.required ? { required: true } : {}),
    };
    http.bodyEncoding = binary ? 'binary' : 'text';
    http.body = binary ? { file: id } : `{{${id}}}`;
    http.contentType = media.contentType;
    return;
  }
  const { media, kind } = chosen;
  const others = body.content.filter((m) => m !== media).map((m) => m.contentType);
  if (others.length)
    ctx.add(
      `request body sent as ${media.contentType} (also accepts ${others.join(', ').slice(0, 200)})`,
      'info',
    );
  const flat = flatten(media.schema ?? {}, new Set());
  const properties = flat.properties as Record<string, Record<string, unknown>> | undefined;
  const required = new Set(Array.isArray(flat.required) ? (flat.required as string[]) : []);
  const isObject =
    (flat.type === 'object' || (flat.type === undefined && properties !== undefined)) && !flat['x-mcp-cut'];
  const canFlatten = isObject && properties !== undefined && Object.keys(properties).length > 0;

  if (kind === 'json' && !(ctx.flattenBody && canFlatten)) {
    const schema = toValueSchema(media.schema, convert('input'), 'object') ?? { type: 'object' as const };
    const id = ids.allocate('body');
    const description = cleanText(body.description, paramMax) ?? schema.description;
    parameters[id] = {
      ...schema,
      ...(description ? { description } : {}),
      ...(body.required ? { required: true } : {}),
    };
    http.body = `{{${id}}}`;
    return;
  }
  if (!canFlatten) {
    unusable(`a ${kind === 'form' ? 'form' : 'multipart'} body needs an object schema with properties`);
    return;
  }
  if (
    flat.additionalProperties === true ||
    (flat.additionalProperties && typeof flat.additionalProperties === 'object')
  )
    ctx.add('the body accepts additional properties; only the declared ones are parameters', 'info');

  const template: Record<string, unknown> = {};
  for (const [field, sub] of Object.entries(properties!)) {
    if (sub === null || typeof sub !== 'object' || sub.readOnly === true) continue;
    // The schema's `required` list holds whether or not the body itself is required (`requestBody.required`
    // only says whether a body must be sent). A flattened body is always sent — the template is the body — so a
    // property the schema requires must be a required parameter, else the tool would send bodies the API
    // rejects (Twilio's CreateMessage lost `To` this way: its body is optional in the document).
    const fieldRequired = required.has(field);
    const subFlat = flatten(sub, new Set());
    if (
      kind === 'multipart' &&
      (isBinary(subFlat) ||
        (subFlat.type === 'array' && subFlat.items && isBinary(subFlat.items as Record<string, unknown>)))
    ) {
      if (subFlat.type === 'array') {
        if (fieldRequired)
          throw new Skip(
            `multipart field "${field.slice(0, 60)}" holds several files, which is not supported`,
          );
        ctx.add(`multipart field "${field.slice(0, 60)}" (several files) dropped`, 'warning');
        continue;
      }
      const id = ids.allocate(field, 'body');
      const nameId = ids.allocate(`${id}_filename`);
      parameters[id] = {
        type: 'string',
        description: cleanText(
          `Base64-encoded content of the file "${field}".${subFlat.description ? ` ${String(subFlat.description)}` : ''}`,
          paramMax,
        )!,
        ...(fieldRequired ? { required: true } : {}),
      };
      const defaultName = field.replace(/[^\w.-]+/g, '_').slice(0, 100) || 'file';
      parameters[nameId] = {
        type: 'string',
        description: `File name sent with "${field.slice(0, 80)}".`,
        maxLength: 255,
        default: defaultName,
      };
      const declared =
        media.encoding?.[field]?.contentType ??
        (typeof subFlat.contentMediaType === 'string' ? subFlat.contentMediaType : undefined);
      const contentType = declared && /^[\w.+-]+\/[\w.+-]+$/.test(declared) ? declared : undefined;
      template[field] = { file: id, filename: `{{${nameId}}}`, ...(contentType ? { contentType } : {}) };
      continue;
    }
    const schema = toValueSchema(sub, convert('input'), 'object') ?? { type: 'object' as const };
    const id = ids.allocate(field, 'body');
    parameters[id] = { ...schema, ...(fieldRequired ? { required: true } : {}) };
    if (!fieldRequired) delete parameters[id]!.required;
    template[field] = `{{${id}}}`;
  }
  http.body = template;
  if (kind !== 'json') http.bodyEncoding = kind;
}
