export { checkSpec } from './check.js';
export { SPEC_SCHEMA_ID, specJsonSchema, specJsonSchemaText } from './json-schema.js';
export {
  type LoadOptions,
  type LoadResult,
  loadSpecText,
  MAX_SPEC_BYTES,
  parseSpecOrThrow,
  specError,
  validateSpec,
} from './load.js';
export * from './model.js';
export { formatPath, type PathSegment } from './path.js';
export { analyzeSql, compileSql, type SqlDialect } from './sql.js';
export { parseTemplate, templateVariables, uriTemplateVariables } from './template.js';
