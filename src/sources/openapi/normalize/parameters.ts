/**
 * One parameter (path, query, header, cookie) → `ApiParameter`. OpenAPI 3 parameters carry a schema (or a
 * single-entry `content`) and a style; Swagger 2.0 parameters carry their schema keywords themselves and a
 * `collectionFormat`, which maps onto the 3.x style/explode pair.
 */
import type { ApiParameter, JsonSchema, ParameterLocation, ParameterStyle } from '../model.js';
import type { LocatedObject, Resolver } from '../refs.js';
import { shortMessage } from '../text.js';
import { isObj, type Obj, type ProblemSink, type SchemaReader, str } from './common.js';

/** The locations an ApiParameter can have (Swagger's body and formData become the request body). */
export const PARAMETER_LOCATIONS = new Set<string>(['path', 'query', 'header', 'cookie']);

/** `p` keeps, per keyword, the file it was written in: its schema (and `content`) resolve there. */
export function openApiParameter(
  located: LocatedObject,
  name: string,
  location: ParameterLocation,
  schemaOf: SchemaReader,
  resolver: Resolver,
  problem: ProblemSink,
): ApiParameter {
  const p = located.value;
  const style = (
    typeof p.style === 'string' ? p.style : location === 'query' || location === 'cookie' ? 'form' : 'simple'
  ) as ParameterStyle;
  const parameter: ApiParameter = {
    name,
    in: location,
    required: location === 'path' ? true : p.required === true,
    style,
    explode: typeof p.explode === 'boolean' ? p.explode : style === 'form',
  };
  const description = str(p.description);
  if (description) parameter.description = description;
  if (isObj(p['x-mcp']) && typeof p['x-mcp'].env === 'string') parameter.xMcpEnv = p['x-mcp'].env;
  if (p.deprecated === true) parameter.deprecated = true;
  if (p.schema !== undefined)
    parameter.schema = schemaOf(p.schema, located.baseOf('schema'), `parameter "${name}"`);
  else if (isObj(p.content)) {
    const [contentType, media] = Object.entries(p.content)[0] ?? [];
    if (contentType) {
      parameter.contentType = contentType;
      try {
        const m = resolver.follow({ value: media, base: located.baseOf('content') });
        if (isObj(m.value) && m.value.schema !== undefined)
          parameter.schema = schemaOf(m.value.schema, m.base, `parameter "${name}"`);
      } catch (error) {
        problem(`parameter "${name}": its content cannot be read: ${shortMessage(error)}`);
      }
    }
  }
  return parameter;
}

const SWAGGER_SCHEMA_FIELDS = [
  'type',
  'format',
  'items',
  'enum',
  'default',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'description',
];

/** A Swagger 2.0 parameter carries its schema keywords itself; `exclusiveMinimum` is boolean as in 3.0. */
export function swaggerSchemaOf(p: Obj): Obj {
  const schema: Obj = {};
  for (const k of SWAGGER_SCHEMA_FIELDS) if (p[k] !== undefined) schema[k] = p[k];
  if (schema.type === 'file') schema.type = 'string';
  if (p.type === 'file') schema.format = 'binary';
  return schema;
}

export function swaggerParameter(
  p: Obj,
  name: string,
  location: ParameterLocation,
  schemaOf: (node: unknown, where: string) => JsonSchema,
  problem: ProblemSink,
): ApiParameter {
  const format = typeof p.collectionFormat === 'string' ? p.collectionFormat : 'csv';
  const simple = location === 'path' || location === 'header';
  const styles: Record<string, [ParameterStyle, boolean]> = {
    csv: [simple ? 'simple' : 'form', false],
    multi: ['form', true],
    ssv: ['spaceDelimited', false],
    pipes: ['pipeDelimited', false],
    tsv: ['tabDelimited', false],
  };
  const [style, explode] = styles[format] ?? styles.csv!;
  if (!styles[format])
    problem(`parameter "${name}": unknown collectionFormat "${format}", read as csv`, 'info');
  const parameter: ApiParameter = {
    name,
    in: location,
    required: location === 'path' ? true : p.required === true,
    style,
    explode,
    schema: schemaOf(swaggerSchemaOf(p), `parameter "${name}"`),
  };
  const description = str(p.description);
  if (description) parameter.description = description;
  if (isObj(p['x-mcp']) && typeof p['x-mcp'].env === 'string') parameter.xMcpEnv = p['x-mcp'].env;
  return parameter;
}
