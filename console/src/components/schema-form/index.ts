export type { EnumValue, Field, FieldError, JsonSchema, RawValue } from './model.ts';
export { buildValue, fieldFromSchema, initialRaw, rawFromValue, SECRET_NAME, safeText } from './model.ts';
export { SchemaForm, type SchemaFormProps } from './SchemaForm.tsx';
