/** Reading a model's JSON answer: strict JSON first, then the usual wrappers (code fences, prose around it). */

export type JsonAnswer = { ok: true; value: unknown } | { ok: false; error: string };

export function parseJsonAnswer(text: string): JsonAnswer {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (!trimmed) return { ok: false, error: 'the answer is empty' };
  const candidates = [trimmed];
  const fence = /```(?:json|JSON)?[ \t]*\r?\n([\s\S]*?)\r?\n?```/.exec(trimmed);
  if (fence?.[1]) candidates.push(fence[1].trim());
  const first = trimmed.indexOf('{');
  const last = trimmed.lastIndexOf('}');
  if (first > 0 && last > first) candidates.push(trimmed.slice(first, last + 1));
  let firstError: string | undefined;
  for (const candidate of candidates) {
    try {
      return { ok: true, value: JSON.parse(candidate) };
    } catch (error) {
      firstError ??= (error as Error).message;
    }
  }
  return { ok: false, error: firstError ?? 'not JSON' };
}

/** A plain-prose refusal (no JSON at all) in the usual phrasings. */
export function looksLikeRefusal(text: string): boolean {
  const t = text.trim();
  if (t.includes('{')) return false;
  return /^(?:I(?:'m| am) (?:sorry|unable|not able)|I can(?:'t|not|’t)|I won(?:'t|’t)|I will not|Sorry\b|I must decline|I'm afraid)/i.test(
    t,
  );
}
