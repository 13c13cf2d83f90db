/**
 * What the queue sources (queue-<broker>.ts) share: reading a message body, their options, and naming a broker
 * in logs without its credentials. Copied with the broker files whenever a spec has a queue trigger.
 */

/** Payload size cap when the spec gives none (an oversized message is dead-lettered, never run). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1_048_576;
/** How long a source waits for its broker at start before failing with a clear message. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** JSON when it parses as JSON, else the UTF-8 text as is. */
export function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function stringOption(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function numberOption(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** The URL's host:port, never its credentials; a placeholder when the URL does not parse. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host || '(unknown host)';
  } catch {
    return '(unparseable url)';
  }
}
