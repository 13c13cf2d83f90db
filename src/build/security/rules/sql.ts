/**
 * SQL injection: SQL text built by interpolating or concatenating values, with the safe shapes generated
 * code uses (quoting helpers, placeholder lists, LIMIT/OFFSET numbers, `$${n}` positions) left alone.
 */
import type { SecurityRule } from '../types.js';
import { BT, rule } from './patterns.js';

/**
 * Interpolated/concatenated expressions treated as safe: identifier quoting/escaping helpers,
 * generated placeholder lists (`placeholders`, `….map((_, i) => \`$${i + 1}\`)`, `….map(() => '?')`)
 * and the `.text`/`.sql` of another (static) statement.
 */
const SQL_SAFE_EXPR = String.raw`\s*(?:(?:[\w$]+\s*\.\s*)*(?:quote|escape)\w*\s*\(|[\w$]*placeholders?\b|[^${BT};}]*?(?:${BT}\$\$\{|=>\s*['"]\?['"])|[\w$]+(?:\s*\.\s*[\w$]+)*\s*\.\s*(?:text|sql)\b(?!\s*[(.[]))`;
/** Interpolation positions that only take numbers (LIMIT/OFFSET) or are positional placeholders ($${n}). */
const SQL_SAFE_POSITION = String.raw`(?<!\$)(?<!\b(?:LIMIT|OFFSET)\s+)`;
const sqlHead = (b: string): string =>
  String.raw`\s*\(?\s*(?:SELECT\s+(?:DISTINCT\s+)?(?=\*|\$\{|[\w."\[\]]+\s*(?:\(|,|AS\b|FROM\b))${b}*?\bFROM\b|INSERT\s+(?:OR\s+\w+\s+)?INTO\b|UPDATE\s+${b}*?\bSET\s+(?:[\w."\[\]]+\s*=|\$\{)|DELETE\s+FROM\b|(?:DROP|TRUNCATE|ALTER)\s+(?:TABLE|DATABASE|SCHEMA|VIEW|INDEX)\b|(?:REPLACE|MERGE)\s+INTO\b)`;
const TPL_BODY = String.raw`(?:[^${BT}\\]|\\.)`;
const SQ_BODY = String.raw`(?:[^'\\\n]|\\.)`;
const DQ_BODY = String.raw`(?:[^"\\\n]|\\.)`;
/** Concatenated with a non-literal operand that is not an obviously safe helper. */
const CONCAT_DYNAMIC = String.raw`\s*\+\s*(?=[\w$(])(?!${SQL_SAFE_EXPR})`;
const TEMPLATE_OPEN = String.raw`(?:(?<=\b(?:return|await|yield|throw|case|of|in|else|do)\s*)|(?<![\w$)\]]\s*))`;
const STRING_BUILT_SQL = new RegExp(
  [
    // `SELECT … ${value}` (not a tagged template such as sql`…`, not $${n} positional placeholders)
    String.raw`(?=${BT})${TEMPLATE_OPEN}${BT}(?=${sqlHead(TPL_BODY)})${TPL_BODY}*?(?:${SQL_SAFE_POSITION}\$\{(?!${SQL_SAFE_EXPR})|${BT}${CONCAT_DYNAMIC})`,
    // 'SELECT … WHERE id = ' + id
    `'(?=${sqlHead(SQ_BODY)})${SQ_BODY}*'${CONCAT_DYNAMIC}`,
    `"(?=${sqlHead(DQ_BODY)})${DQ_BODY}*"${CONCAT_DYNAMIC}`,
  ].join('|'),
  'i',
);

export const stringBuiltSqlRule: SecurityRule = rule({
  id: 'string-built-sql',
  name: 'SQL built from strings',
  pattern: STRING_BUILT_SQL,
  severity: 'high',
  message: 'SQL text is built by interpolating or concatenating values, which allows SQL injection.',
  hint: 'Keep the SQL text static and pass values as parameters (client.query(text, values)); quote identifiers with a vetted helper.',
  multiline: true,
});
