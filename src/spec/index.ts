export * from './model.js';
export { checkSpec } from './check.js';
export { loadSpecText, MAX_SPEC_BYTES, parseSpecOrThrow, specError, validateSpec, type LoadOptions, type LoadResult } from './load.js';
export { formatPath, type PathSegment } from './path.js';
export { analyzeSql, compileSql, type SqlDialect } from './sql.js';
export { parseTemplate, templateVariables, uriTemplateVariables } from './template.js';
export { SPEC_SCHEMA_ID, specJsonSchema, specJsonSchemaText } from './json-schema.js';
