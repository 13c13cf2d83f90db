/** The log view's line buffer: capped so a chatty server cannot grow the page without bound. Pure. */

export interface LogLine {
  /** Increasing number, a stable React key even after old lines are dropped. */
  seq: number;
  text: string;
}

export const LOG_BUFFER_CAP = 5000;

/** `buffer` followed by `texts`, keeping only the newest `cap` lines. */
export function appendCapped(
  buffer: readonly LogLine[],
  texts: readonly string[],
  cap = LOG_BUFFER_CAP,
): LogLine[] {
  if (texts.length === 0) return buffer as LogLine[];
  let seq = buffer.length > 0 ? buffer[buffer.length - 1]!.seq + 1 : 0;
  const added = texts.map((text) => ({ seq: seq++, text }));
  const all = [...buffer, ...added];
  return all.length > cap ? all.slice(-cap) : all;
}

/** Lines containing the filter (case-insensitive); a filter wrapped in slashes is a regular expression. */
export function filterLines(
  lines: readonly LogLine[],
  filter: string,
): { lines: LogLine[]; invalid?: string } {
  const trimmed = filter.trim();
  if (!trimmed) return { lines: lines as LogLine[] };
  const regex = /^\/(.+)\/([imsu]*)$/.exec(trimmed);
  if (regex) {
    try {
      const pattern = new RegExp(regex[1]!, regex[2]!.includes('i') ? regex[2] : `${regex[2]}i`);
      return { lines: lines.filter((l) => pattern.test(l.text)) };
    } catch (error) {
      return { lines: [], invalid: error instanceof Error ? error.message : 'invalid regular expression' };
    }
  }
  const needle = trimmed.toLowerCase();
  return { lines: lines.filter((l) => l.text.toLowerCase().includes(needle)) };
}

/** The severity of a structured (JSON) log line, for colouring; plain lines have none. */
export function levelOf(text: string): 'error' | 'warn' | undefined {
  const match = /"level"\s*:\s*"(error|fatal|warn|warning)"/.exec(text);
  if (!match) return undefined;
  return match[1] === 'warn' || match[1] === 'warning' ? 'warn' : 'error';
}
