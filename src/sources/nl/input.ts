/**
 * Input validation of a natural-language description: Unicode-normalised, control and bidirectional-override
 * characters stripped (tab and newline kept), secret-looking values redacted (they would otherwise reach the
 * provider and the execution log), at most 10,000 characters.
 */
import { FactoryError } from '../../core/errors/index.js';
import { redactSecrets } from '../../llm/redact.js';

export const MAX_PROMPT_CHARS = 10_000;

export interface PromptInput {
  /** The cleaned description sent to the model. */
  text: string;
  /** Characters (code points) of `text`. */
  chars: number;
  /** Control / invisible formatting characters removed. */
  strippedControlChars: number;
  /** Kinds of secrets that were replaced by [REDACTED …]. */
  redacted: string[];
}

// C0 controls except \t and \n, DEL, C1 controls, zero-width and bidi formatting (Trojan Source), BOM.
const CONTROL =
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

export function validatePrompt(raw: unknown): PromptInput {
  if (typeof raw !== 'string') {
    throw promptError('NL_PROMPT_EMPTY', 'the description must be a string');
  }
  const normalised = raw.normalize('NFC').replace(/\r\n?/g, '\n');
  let stripped = 0;
  const cleaned = normalised
    .replace(CONTROL, () => {
      stripped++;
      return '';
    })
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{4,}/g, '\n\n\n')
    .trim();
  if (cleaned === '') {
    throw promptError(
      'NL_PROMPT_EMPTY',
      stripped > 0 ? 'the description has only control characters' : 'the description is empty',
    );
  }
  const chars = [...cleaned].length;
  if (chars > MAX_PROMPT_CHARS) {
    throw promptError(
      'NL_PROMPT_TOO_LONG',
      `the description has ${chars.toLocaleString('en-US')} characters; the maximum is ${MAX_PROMPT_CHARS.toLocaleString('en-US')}`,
    );
  }
  const { text, found } = redactSecrets(cleaned);
  return { text, chars: [...text].length, strippedControlChars: stripped, redacted: found };
}

function promptError(code: 'NL_PROMPT_EMPTY' | 'NL_PROMPT_TOO_LONG', message: string): FactoryError {
  const hint =
    code === 'NL_PROMPT_EMPTY'
      ? 'Describe the server: what it connects to and which tools it offers.'
      : 'Shorten the description, or write a spec file and use --spec.';
  return new FactoryError(code, message, { issues: [{ code, message, path: '', hint }] });
}
