/**
 * A small SQL lexer: finds `:param` placeholders and statement separators outside string literals,
 * quoted identifiers and comments, so validation and generation agree on what a statement binds.
 */
export interface SqlAnalysis {
  /** Placeholder names in order of appearance (repeats kept). */
  placeholders: Array<{ name: string; offset: number }>;
  /** True when more than one statement is present (a `;` followed by anything but whitespace/comments). */
  multipleStatements: boolean;
  /** Set when a string, identifier or block comment is not closed. */
  unterminated?: string;
}

export type SqlDialect = 'postgresql' | 'mysql' | 'sqlite';

export function analyzeSql(sql: string): SqlAnalysis {
  const placeholders: SqlAnalysis['placeholders'] = [];
  let multipleStatements = false;
  let sawTerminator = false;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
      continue;
    }
    if (c === '#') {
      // MySQL line comment; harmless to treat as such elsewhere because # is not valid SQL syntax otherwise.
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) return { placeholders, multipleStatements, unterminated: 'block comment' };
      i = end + 2;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (;;) {
        if (j >= n)
          return {
            placeholders,
            multipleStatements,
            unterminated: c === "'" ? 'string literal' : 'quoted identifier',
          };
        if (sql[j] === '\\' && c === "'") {
          j += 2;
          continue;
        }
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      i = j + 1;
      continue;
    }
    if (c === '$') {
      // PostgreSQL dollar-quoted string: $tag$ … $tag$
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 66));
      if (m) {
        const tag = m[0];
        const end = sql.indexOf(tag, i + tag.length);
        if (end === -1) return { placeholders, multipleStatements, unterminated: 'dollar-quoted string' };
        i = end + tag.length;
        continue;
      }
    }
    if (sawTerminator && !/\s|;/.test(c)) multipleStatements = true;
    if (c === ';') {
      sawTerminator = true;
      i++;
      continue;
    }
    if (c === ':') {
      if (next === ':') {
        i += 2; // PostgreSQL cast ::type
        continue;
      }
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1, i + 66));
      if (m && sql[i - 1] !== ':') {
        placeholders.push({ name: m[0], offset: i });
        i += 1 + m[0].length;
        continue;
      }
    }
    i++;
  }
  return { placeholders, multipleStatements };
}

/** Rewrite `:param` placeholders to the driver's positional form; returns the text and the parameter order. */
export function compileSql(sql: string, dialect: SqlDialect): { text: string; params: string[] } {
  const { placeholders } = analyzeSql(sql);
  let out = '';
  let last = 0;
  const params: string[] = [];
  for (const p of placeholders) {
    out += sql.slice(last, p.offset);
    params.push(p.name);
    out += dialect === 'postgresql' ? `$${params.length}` : '?';
    last = p.offset + 1 + p.name.length;
  }
  out += sql.slice(last);
  return { text: out.trim().replace(/;\s*$/, ''), params };
}
