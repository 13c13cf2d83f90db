import { describe, expect, it } from 'vitest';
import { analyzeSql, compileSql } from '../../src/core/spec/index.js';

describe('analyzeSql', () => {
  it('finds placeholders outside strings, identifiers, comments and casts', () => {
    const sql = `SELECT ':no', "col:no", \`x:no\`, $tag$ :no $tag$, a::text -- :no
      FROM t /* :no */ WHERE a = :yes AND b = :also # :no`;
    expect(analyzeSql(sql).placeholders.map((p) => p.name)).toEqual(['yes', 'also']);
  });

  it('detects stacked statements but allows one trailing semicolon', () => {
    expect(analyzeSql('SELECT 1;').multipleStatements).toBe(false);
    expect(analyzeSql('SELECT 1; -- done').multipleStatements).toBe(false);
    expect(analyzeSql('SELECT 1; DROP TABLE x').multipleStatements).toBe(true);
    expect(analyzeSql("SELECT ';' AS semi").multipleStatements).toBe(false);
  });

  it('reports unterminated literals', () => {
    expect(analyzeSql("SELECT 'oops").unterminated).toBe('string literal');
    expect(analyzeSql('SELECT /* oops').unterminated).toBe('block comment');
  });
});

describe('compileSql', () => {
  it('numbers placeholders for PostgreSQL and repeats names', () => {
    expect(compileSql('SELECT :a + :b + :a::int;', 'postgresql')).toEqual({
      text: 'SELECT $1 + $2 + $3::int',
      params: ['a', 'b', 'a'],
    });
  });
  it('uses ? for MySQL and SQLite', () => {
    expect(compileSql("SELECT * FROM t WHERE x = :x AND y = ':x'", 'mysql')).toEqual({
      text: "SELECT * FROM t WHERE x = ? AND y = ':x'",
      params: ['x'],
    });
  });
});
