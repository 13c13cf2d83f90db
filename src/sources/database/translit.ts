/**
 * Names for tools and parameters from database identifiers in any script: Latin letters with diacritics,
 * Cyrillic and Greek are transliterated (a small fixed table, so output never changes with a dependency);
 * whatever has no mapping (CJK, emoji, …) is dropped and marked by a stable hash of the original name, so two
 * names that lose different characters never fold into the same tool name.
 */
import { createHash } from 'node:crypto';

const LATIN: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  Æ: 'Ae',
  œ: 'oe',
  Œ: 'Oe',
  ø: 'o',
  Ø: 'O',
  đ: 'd',
  Đ: 'D',
  ð: 'd',
  Ð: 'D',
  ł: 'l',
  Ł: 'L',
  þ: 'th',
  Þ: 'Th',
  ı: 'i',
  ħ: 'h',
  Ħ: 'H',
};

// ISO 9 / BGN-style, lower case; upper case is derived.
const CYRILLIC: Record<string, string> = {
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'g',
  д: 'd',
  е: 'e',
  ё: 'yo',
  ж: 'zh',
  з: 'z',
  и: 'i',
  й: 'y',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'kh',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'shch',
  ъ: '',
  ы: 'y',
  ь: '',
  э: 'e',
  ю: 'yu',
  я: 'ya',
  і: 'i',
  ї: 'yi',
  є: 'ye',
  ґ: 'g',
  ў: 'u',
  ј: 'j',
  љ: 'lj',
  њ: 'nj',
  ћ: 'c',
  џ: 'dz',
  ђ: 'dj',
};

const GREEK: Record<string, string> = {
  α: 'a',
  β: 'v',
  γ: 'g',
  δ: 'd',
  ε: 'e',
  ζ: 'z',
  η: 'i',
  θ: 'th',
  ι: 'i',
  κ: 'k',
  λ: 'l',
  μ: 'm',
  ν: 'n',
  ξ: 'x',
  ο: 'o',
  π: 'p',
  ρ: 'r',
  σ: 's',
  ς: 's',
  τ: 't',
  υ: 'y',
  φ: 'f',
  χ: 'ch',
  ψ: 'ps',
  ω: 'o',
};

function lookup(c: string): string | undefined {
  const direct = LATIN[c];
  if (direct !== undefined) return direct;
  const lower = c.toLowerCase();
  const mapped = CYRILLIC[lower] ?? GREEK[lower];
  if (mapped === undefined) return undefined;
  return c !== lower && mapped.length > 0 ? mapped[0]!.toUpperCase() + mapped.slice(1) : mapped;
}

/** Six hex digits of SHA-256: short, stable across runs and machines. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 6);
}

/**
 * ASCII for a name: diacritics removed, Cyrillic/Greek transliterated, other characters replaced by a space.
 * `lossy` says whether letters or digits without a mapping were dropped (the caller then adds shortHash).
 */
export function transliterate(name: string): { ascii: string; lossy: boolean } {
  let ascii = '';
  let lossy = false;
  // Whole characters first (й, ё are letters of their own), then NFKD: é → e + accent, ﬁ → fi, full-width → ASCII.
  for (const whole of name.normalize('NFC')) {
    const direct = lookup(whole);
    if (direct !== undefined) {
      ascii += direct;
      continue;
    }
    for (const c of whole.normalize('NFKD')) {
      if (/[\u0300-\u036f]/.test(c)) continue;
      if (/^[\x20-\x7e]$/.test(c)) {
        ascii += c;
        continue;
      }
      const mapped = lookup(c);
      if (mapped !== undefined) {
        ascii += mapped;
        continue;
      }
      if (/[\p{L}\p{N}\p{So}\p{Sk}]/u.test(c)) lossy = true;
      ascii += ' ';
    }
  }
  return { ascii, lossy };
}
