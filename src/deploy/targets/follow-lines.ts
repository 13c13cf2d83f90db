/**
 * `logs` of a target that can only read its last N lines (a container's log, a VM's console file): the last
 * `tail` lines, then, with `follow`, the lines after the last one seen, polled every second until aborted.
 */
import type { LogQuery } from '../types.js';

export async function* followLines(
  lastLines: (n: number) => Promise<string[]>,
  query: LogQuery = {},
): AsyncIterable<string> {
  const first = await lastLines(query.tail ?? 100);
  for (const line of first) yield line;
  let last = first[first.length - 1];
  while (query.follow && !query.signal?.aborted) {
    await new Promise((r) => setTimeout(r, 1000));
    const lines = await lastLines(1000);
    const from = last === undefined ? 0 : lines.lastIndexOf(last) + 1;
    for (const line of lines.slice(from)) yield line;
    if (lines.length) last = lines[lines.length - 1];
  }
}
