/**
 * Event templates of trigger arguments and idempotency keys: `{{event.payload.sku}}`, `{{event.meta.path}}`,
 * `{{event.id}}`. A string that is exactly one placeholder keeps the value's type; inside text the value is
 * inserted as text (objects as JSON). Lookups read own properties only (never the prototype chain); nothing is
 * evaluated.
 */
import { asText } from '../template.js';

/** `event` then dot-separated names or array indexes; the same grammar the spec check accepts. */
const PATH = 'event(?:\\.[A-Za-z0-9_-]+)*';
const TOKEN = new RegExp(`\\{\\{\\s*(${PATH})\\s*\\}\\}`, 'g');
const WHOLE = new RegExp(`^\\{\\{\\s*(${PATH})\\s*\\}\\}$`);

/** Every `{{…}}` placeholder in a text, as written (the spec check reports those that are not event paths). */
export function placeholdersOf(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].map((m) => m[1]!);
}

/** Whether a placeholder is a readable event path. */
export function isEventPath(placeholder: string): boolean {
  return new RegExp(`^${PATH}$`).test(placeholder);
}

/** The value at `event.a.b.0` in `scope` (own properties and array indexes only), or undefined. */
export function lookup(scope: Record<string, unknown>, path: string): unknown {
  let value: unknown = scope;
  for (const segment of path.split('.')) {
    if (Array.isArray(value)) {
      value = /^\d+$/.test(segment) ? value[Number(segment)] : undefined;
    } else if (value !== null && typeof value === 'object' && Object.hasOwn(value, segment)) {
      value = (value as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return value;
}

/** Renders a text template (every placeholder as text). */
export function renderEventText(template: string, scope: Record<string, unknown>): string {
  return template.replace(TOKEN, (_m, path: string) => asText(lookup(scope, path)));
}

/** Renders a JSON value: strings are templates; a key whose whole-placeholder value is missing is left out. */
export function renderEventValue(template: unknown, scope: Record<string, unknown>): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    return whole ? lookup(scope, whole[1]!) : renderEventText(template, scope);
  }
  if (Array.isArray(template)) return template.map((t) => renderEventValue(t, scope) ?? null);
  if (template !== null && typeof template === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(template)) {
      const rendered = renderEventValue(value, scope);
      // defineProperty: a key named __proto__ stays a plain key instead of replacing the prototype.
      if (rendered !== undefined)
        Object.defineProperty(out, key, {
          value: rendered,
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
    return out;
  }
  return template;
}
