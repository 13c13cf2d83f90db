/**
 * An accessible form for a field model (model.ts): every control has a label, help text and its error are
 * tied to it with aria-describedby, objects are fieldsets. Labels and help are untrusted text: rendered as
 * React text (escaped), never as markup.
 */
import { type ReactNode, useId } from 'react';
import { Button } from '../Button.tsx';
import type { Field, FieldError, RawValue } from './model.ts';
import { initialRaw } from './model.ts';

export interface SchemaFormProps {
  field: Field;
  value: RawValue;
  onChange: (value: RawValue) => void;
  errors?: FieldError[];
  disabled?: boolean;
}

/** The fields of a root object schema (or the one field of any other schema). */
export function SchemaForm({ field, value, onChange, errors = [], disabled = false }: SchemaFormProps) {
  const prefix = useId();
  const byPath = new Map(errors.map((e) => [e.path, e.message]));
  if (field.kind === 'object')
    return (
      <div className="schema-form">
        <ObjectFields
          field={field}
          value={value}
          onChange={onChange}
          path=""
          prefix={prefix}
          errors={byPath}
          disabled={disabled}
        />
      </div>
    );
  return (
    <div className="schema-form">
      <FieldControl
        field={field}
        value={value}
        onChange={onChange}
        path=""
        prefix={prefix}
        errors={byPath}
        disabled={disabled}
      />
    </div>
  );
}

interface ControlProps {
  field: Field;
  value: RawValue;
  onChange: (value: RawValue) => void;
  path: string;
  prefix: string;
  errors: Map<string, string>;
  disabled: boolean;
}

function childPath(path: string, part: string): string {
  return path ? `${path}.${part}` : part;
}

function ObjectFields({ field, value, onChange, path, prefix, errors, disabled }: ControlProps) {
  if (field.kind !== 'object') return null;
  const record =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, RawValue>)
      : {};
  if (field.fields.length === 0) return <p className="muted">This tool takes no arguments.</p>;
  return (
    <>
      {field.fields.map((child) => (
        <FieldControl
          key={child.name}
          field={child}
          value={record[child.name] ?? initialRaw(child)}
          onChange={(next) => onChange({ ...record, [child.name]: next })}
          path={childPath(path, child.name)}
          prefix={prefix}
          errors={errors}
          disabled={disabled}
        />
      ))}
    </>
  );
}

function FieldControl(props: ControlProps) {
  const { field, value, onChange, path, prefix, errors, disabled } = props;
  const id = `${prefix}-${path || 'root'}`.replace(/[^A-Za-z0-9_:-]/g, '_');
  const error = errors.get(path);
  const helpId = field.description ? `${id}-help` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [helpId, errorId].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    disabled,
    'aria-describedby': describedBy,
    'aria-invalid': error ? true : undefined,
    'aria-required': field.required || undefined,
  } as const;
  const help = (
    <>
      {field.description && (
        <p className="field-help" id={helpId}>
          {field.description}
        </p>
      )}
      {error && (
        <p className="field-error" id={errorId} role="alert">
          {error}
        </p>
      )}
    </>
  );
  const label = (
    <label htmlFor={id}>
      {field.label}
      {field.required && <span aria-hidden="true"> *</span>}
    </label>
  );
  const text = typeof value === 'string' ? value : '';

  switch (field.kind) {
    case 'object':
      return (
        <fieldset className="field field-object" aria-describedby={describedBy}>
          <legend>{field.label}</legend>
          {help}
          <ObjectFields {...props} />
        </fieldset>
      );
    case 'array':
      return <ArrayControl {...props} id={id} help={help} describedBy={describedBy} />;
    case 'boolean':
      return (
        <div className="field field-boolean">
          <input
            type="checkbox"
            {...common}
            checked={value === true}
            onChange={(e) => onChange(e.currentTarget.checked)}
          />
          {label}
          {help}
        </div>
      );
    case 'enum':
      return (
        <div className="field">
          {label}
          <select {...common} value={text} onChange={(e) => onChange(e.currentTarget.value)}>
            <option value="">{field.required ? 'Choose…' : '(not set)'}</option>
            {field.options.map((option, index) => (
              <option key={String(index)} value={String(index)}>
                {option === null ? 'null' : String(option)}
              </option>
            ))}
          </select>
          {help}
        </div>
      );
    case 'number':
    case 'integer':
      return (
        <div className="field">
          {label}
          <input
            type="text"
            inputMode={field.kind === 'integer' ? 'numeric' : 'decimal'}
            autoComplete="off"
            {...common}
            value={text}
            onChange={(e) => onChange(e.currentTarget.value)}
          />
          {help}
        </div>
      );
    case 'json':
      return (
        <div className="field field-json">
          {label}
          <textarea
            {...common}
            rows={4}
            spellCheck={false}
            value={text}
            placeholder={`JSON (${field.reason})`}
            onChange={(e) => onChange(e.currentTarget.value)}
          />
          {help}
        </div>
      );
    case 'string':
      return (
        <div className="field">
          {label}
          {field.maxLength !== undefined && field.maxLength <= 200 ? (
            <input
              type={field.secret ? 'password' : 'text'}
              autoComplete={field.secret ? 'new-password' : 'off'}
              {...common}
              value={text}
              onChange={(e) => onChange(e.currentTarget.value)}
            />
          ) : field.secret ? (
            <input
              type="password"
              autoComplete="new-password"
              {...common}
              value={text}
              onChange={(e) => onChange(e.currentTarget.value)}
            />
          ) : (
            <textarea
              {...common}
              rows={text.includes('\n') ? 4 : 1}
              value={text}
              onChange={(e) => onChange(e.currentTarget.value)}
            />
          )}
          {help}
        </div>
      );
  }
}

function ArrayControl({
  field,
  value,
  onChange,
  path,
  prefix,
  errors,
  disabled,
  id,
  help,
  describedBy,
}: ControlProps & { id: string; help: ReactNode; describedBy: string | undefined }) {
  if (field.kind !== 'array') return null;
  const items = Array.isArray(value) ? value : [];
  const atMax = field.maxItems !== undefined && items.length >= field.maxItems;
  return (
    <fieldset className="field field-array" aria-describedby={describedBy} id={id}>
      <legend>
        {field.label}
        {field.required && <span aria-hidden="true"> *</span>}
      </legend>
      {help}
      {items.length === 0 && <p className="muted">No items.</p>}
      <ol className="array-items">
        {items.map((item, index) => (
          // Items have no identity of their own; the index is their position in the argument.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above.
          <li key={index} className="array-item">
            <FieldControl
              field={{ ...field.item, label: `${field.label} item ${index + 1}` }}
              value={item}
              onChange={(next) => onChange(items.map((old, i) => (i === index ? next : old)))}
              path={childPath(path, String(index))}
              prefix={prefix}
              errors={errors}
              disabled={disabled}
            />
            <Button
              variant="ghost"
              disabled={disabled}
              aria-label={`Remove ${field.label} item ${index + 1}`}
              onClick={() => onChange(items.filter((_, i) => i !== index))}
            >
              Remove
            </Button>
          </li>
        ))}
      </ol>
      <Button disabled={disabled || atMax} onClick={() => onChange([...items, initialRaw(field.item)])}>
        Add {field.label} item
      </Button>
    </fieldset>
  );
}
