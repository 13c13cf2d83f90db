/** Untrusted text from a document → plain strings safe to put in a spec (the generator escapes them). */
import { describeSecretValue } from '../../core/spec/secrets.js';

// C0 controls except tab and line feed, DEL, C1 controls, and the bidi/zero-width format characters that can
// hide text from a reviewer (Trojan Source).
const CONTROL =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** Strip control characters, normalise line breaks, redact credential-looking tokens, truncate. */
export function cleanText(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  let text = value.replace(/\r\n?/g, '\n').replace(CONTROL, '').trim();
  if (text === '') return undefined;
  if (text.length > max * 4) text = text.slice(0, max * 4);
  text = redactSecrets(text);
  if (text.length > max) text = `${text.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
  return text;
}

/** One line (titles). */
export function cleanLine(value: unknown, max: number): string | undefined {
  const text = cleanText(typeof value === 'string' ? value.replace(/\s+/g, ' ') : value, max);
  return text;
}

/** Replace tokens that look like credentials (the spec validator refuses literal secrets). */
export function redactSecrets(text: string): string {
  if (!describeSecretValue(text)) return text;
  const out = text
    .split(/(\s+)/)
    .map((token) => (describeSecretValue(token) ? '[redacted]' : token))
    .join('');
  return describeSecretValue(out) ? '[redacted: the text looked like a credential]' : out;
}

export function isSecretLike(value: unknown): boolean {
  return typeof value === 'string' && describeSecretValue(value) !== undefined;
}

/** A short message for reports (from an exception or a validator). */
export function shortMessage(value: unknown, max = 500): string {
  const text = value instanceof Error ? value.message : String(value);
  return cleanText(text, max) ?? 'unknown problem';
}
