import { describe, expect, it } from 'vitest';
import {
  diffLines,
  diffStats,
  foldUnchanged,
  MAX_DIFF_CELLS,
  splitLines,
} from '../../../console/src/app/diff.ts';

/** Rebuilds both sides from a diff: the old text from same+del lines, the new one from same+add lines. */
function sides(lines: ReturnType<typeof diffLines>) {
  return {
    old: lines.filter((l) => l.kind !== 'add').map((l) => l.text),
    new: lines.filter((l) => l.kind !== 'del').map((l) => l.text),
  };
}

describe('console line diff', () => {
  it('splits lines on any line ending and ignores one trailing newline', () => {
    expect(splitLines('')).toEqual([]);
    expect(splitLines('a\nb\n')).toEqual(['a', 'b']);
    expect(splitLines('a\r\nb\rc')).toEqual(['a', 'b', 'c']);
    expect(splitLines('a\n\n')).toEqual(['a', '']);
  });

  it('finds a changed line between a common start and end', () => {
    const lines = diffLines('name: inv\nversion: 1\ntools: []\n', 'name: inv\nversion: 2\ntools: []\n');
    expect(lines.map((l) => [l.kind, l.text])).toEqual([
      ['same', 'name: inv'],
      ['del', 'version: 1'],
      ['add', 'version: 2'],
      ['same', 'tools: []'],
    ]);
    expect(lines[1]).toMatchObject({ oldLine: 2 });
    expect(lines[2]).toMatchObject({ newLine: 2 });
    expect(lines[3]).toMatchObject({ oldLine: 3, newLine: 3 });
    expect(diffStats(lines)).toEqual({ added: 1, removed: 1 });
  });

  it('keeps the longest common subsequence in the middle', () => {
    const a = ['x', 'a', 'b', 'c', 'd', 'y'].join('\n');
    const b = ['x', 'b', 'q', 'c', 'd', 'e', 'y'].join('\n');
    const lines = diffLines(a, b);
    expect(lines.filter((l) => l.kind === 'same').map((l) => l.text)).toEqual(['x', 'b', 'c', 'd', 'y']);
    expect(diffStats(lines)).toEqual({ added: 2, removed: 1 });
  });

  it('always reproduces both texts, numbering lines consistently (randomised)', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: Math.floor(random() * 30) }, () => 'abcd'[Math.floor(random() * 4)]!);
      const b = Array.from({ length: Math.floor(random() * 30) }, () => 'abcd'[Math.floor(random() * 4)]!);
      const lines = diffLines(a.join('\n'), b.join('\n'));
      expect(sides(lines)).toEqual({ old: a, new: b });
      const oldNumbers = lines.filter((l) => l.kind !== 'add').map((l) => l.oldLine);
      const newNumbers = lines.filter((l) => l.kind !== 'del').map((l) => l.newLine);
      expect(oldNumbers).toEqual(a.map((_, i) => i + 1));
      expect(newNumbers).toEqual(b.map((_, i) => i + 1));
    }
  });

  it('shows a change too large for the table as replaced wholesale, still exact', () => {
    const size = Math.ceil(Math.sqrt(MAX_DIFF_CELLS)) + 10;
    const a = Array.from({ length: size }, (_, i) => `old ${i}`).join('\n');
    const b = Array.from({ length: size }, (_, i) => `new ${i}`).join('\n');
    const lines = diffLines(a, b);
    expect(diffStats(lines)).toEqual({ added: size, removed: size });
    expect(sides(lines).new).toHaveLength(size);
  });

  it('handles empty sides', () => {
    expect(diffLines('', '')).toEqual([]);
    expect(diffLines('', 'a\nb').map((l) => l.kind)).toEqual(['add', 'add']);
    expect(diffLines('a', '').map((l) => l.kind)).toEqual(['del']);
  });

  it('folds long unchanged runs but keeps context around changes', () => {
    const a = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    const b = [...a];
    b[15] = 'changed';
    const rows = foldUnchanged(diffLines(a.join('\n'), b.join('\n')), 3);
    expect(rows[0]).toEqual({ kind: 'skip', count: 12 });
    const kinds = rows.map((r) => r.kind);
    expect(kinds).toEqual(['skip', 'same', 'same', 'same', 'del', 'add', 'same', 'same', 'same', 'skip']);
    expect(rows.at(-1)).toEqual({ kind: 'skip', count: 11 });
    // Identical texts fold to one row; a short run is not folded.
    expect(foldUnchanged(diffLines('a\nb', 'a\nb'))).toEqual([{ kind: 'skip', count: 2 }]);
    expect(foldUnchanged(diffLines('a\nb\nc', 'a\nB\nc')).map((r) => r.kind)).toEqual([
      'same',
      'del',
      'add',
      'same',
    ]);
  });
});
