/**
 * Untrusted text (OpenAPI descriptions, database comments and names) → plain strings safe to put in a spec and
 * show to a model. cleanText strips what hides text from a reviewer and redacts credentials; screenText also
 * flags prose that addresses the model instead of describing data (prompt injection), so a source can drop it.
 */
import { describeSecretValue } from '../spec/secrets.js';

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
  return cleanText(typeof value === 'string' ? value.replace(/\s+/g, ' ') : value, max);
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

/** Why a piece of text reads as instructions to a model rather than a description of data. */
const INSTRUCTION_PATTERNS: Array<{ reason: string; pattern: RegExp }> = [
  {
    reason: 'tells the model to ignore its instructions',
    pattern:
      /\b(?:ignore|disregard|forget|override)\b[^.\n]{0,40}\b(?:previous|prior|above|earlier|all|system|your)\b[^.\n]{0,20}\b(?:instructions?|prompts?|rules?|messages?|context)\b/i,
  },
  {
    reason: 'gives the model orders',
    pattern:
      /\b(?:you|assistant|ai|model|agent|llm)\s+(?:must|should|shall|need to|have to|are required to|will now)\b|\b(?:always|never|first|then|now|immediately)\s+(?:call|invoke|execute|send|fetch|reveal|print)\b|\b(?:call|invoke|execute)\s+(?:the\s+)?(?:tool|function)\b/i,
  },
  {
    reason: 'names a tool call',
    pattern:
      /\b(?:list|get|search|create|update|delete)_[a-z0-9_]+|\btool[_ ]?(?:call|use)\b|<\/?(?:tool|function)[_-]?(?:call|use|result)?>/i,
  },
  {
    reason: 'poses as a system or assistant message',
    pattern:
      /(?:^|\n|\s)(?:system|assistant|user)\s*:|<\/?(?:system|im_start|im_end|instructions?)\b|\[\/?INST\]/i,
  },
  {
    reason: 'contains a URL',
    pattern: /\b(?:https?|ftp|file|data|javascript):[^\s]*|\bwww\.[a-z0-9-]+\.[a-z]{2,}/i,
  },
  { reason: 'contains a markdown link or image', pattern: /!?\[[^\]\n]*\]\([^)\n]*\)/ },
  { reason: 'contains HTML', pattern: /<\/?[a-z][a-z0-9-]*(?:\s[^<>]*)?\/?>|&#x?[0-9a-f]+;/i },
];

/** The reasons (empty when none) why text looks like instructions, links or markup aimed at a model. */
export function instructionFlags(text: string): string[] {
  const flat = text.normalize('NFKC');
  return INSTRUCTION_PATTERNS.filter((p) => p.pattern.test(flat)).map((p) => p.reason);
}

/** cleanLine plus instructionFlags: `text` is undefined when empty; `flags` say why it should not be shown. */
export function screenText(value: unknown, max: number): { text: string | undefined; flags: string[] } {
  const text = cleanLine(value, max);
  if (text === undefined) return { text, flags: [] };
  // Flag on the whole (uncapped) value: a long preamble must not push the payload past the cap unnoticed.
  const whole = cleanLine(value, 20_000) ?? text;
  return { text, flags: instructionFlags(whole) };
}
