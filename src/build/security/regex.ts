/**
 * RegExp helpers shared by the engine and the redactor: private copies with extra flags, and a `test` that
 * leaves `lastIndex` as it found it.
 */

/** A copy of `re` with the flags in `add` (never sticky), so callers' patterns are never mutated. */
export function withFlags(re: RegExp, add: string): RegExp {
  const flags = new Set(re.flags.replace('y', ''));
  for (const f of add) flags.add(f);
  return new RegExp(re.source, [...flags].join(''));
}

/** `re.test(s)` from the start of `s`, with `lastIndex` reset before and after. */
export function testFrom0(re: RegExp, s: string): boolean {
  re.lastIndex = 0;
  const ok = re.test(s);
  re.lastIndex = 0;
  return ok;
}
