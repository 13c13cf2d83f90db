/** SQLite adapter: reads sqlite_schema and the table_xinfo / foreign_key_list pragmas of a database file. */
import { existsSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { connectFailed, introspectionFailed } from './errors.js';
import { nameFilter } from './filter.js';
import type {
  ColumnInfo,
  ColumnKind,
  DatabaseSchema,
  DialectIntrospector,
  ForeignKeyInfo,
  IntrospectOptions,
  TableInfo,
} from './types.js';

interface Statement {
  all(...values: unknown[]): unknown[];
}
interface Handle {
  prepare(sql: string): Statement;
  close(): void;
}

interface XInfoRow {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
  hidden: number;
}
interface FkRow {
  id: number;
  seq: number;
  table: string;
  from: string;
  to: string | null;
  on_update: string;
  on_delete: string;
}

/** SQLite's type-affinity rules, refined for common declared names (DATE, BOOLEAN, JSON, UUID). */
export function sqliteKind(declared: string): { kind: ColumnKind; precision?: 'bigint' | 'decimal' } {
  const t = declared.toUpperCase();
  if (t === '') return { kind: 'other' };
  if (t.includes('BOOL')) return { kind: 'boolean' };
  if (t.includes('BIGINT') || t.includes('INT8')) return { kind: 'integer', precision: 'bigint' };
  if (t.includes('INT')) return { kind: 'integer' };
  if (t.includes('UUID') || t.includes('GUID')) return { kind: 'uuid' };
  if (t.includes('JSON')) return { kind: 'json' };
  if (t.includes('DATETIME') || t.includes('TIMESTAMP')) return { kind: 'datetime' };
  if (t === 'DATE' || t.startsWith('DATE(')) return { kind: 'date' };
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return { kind: 'string' };
  if (t.includes('BLOB') || t.includes('BINARY')) return { kind: 'binary' };
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return { kind: 'number' };
  if (t.includes('DECIMAL') || t.includes('NUMERIC') || t.includes('MONEY'))
    return { kind: 'number', precision: 'decimal' };
  return { kind: 'other' };
}

const IDENT = String.raw`"(?:[^"]|"")+"|\x60(?:[^\x60]|\x60\x60)+\x60|\[[^\]]+\]|[A-Za-z_][A-Za-z0-9_$]*`;
const STRING = "'(?:[^']|'')*'";
const CHECK_IN = new RegExp(
  String.raw`CHECK\s*\(\s*(${IDENT})\s+IN\s*\(\s*(${STRING}(?:\s*,\s*${STRING})*)\s*\)\s*\)`,
  'gi',
);

function unquote(ident: string): string {
  const c = ident[0];
  if (c === '"') return ident.slice(1, -1).replace(/""/g, '"');
  if (c === '`') return ident.slice(1, -1).replace(/``/g, '`');
  if (c === '[') return ident.slice(1, -1);
  return ident;
}

/** `CHECK (col IN ('a', 'b'))` constraints in a CREATE TABLE statement, by lower-cased column name. */
export function sqliteCheckEnums(createSql: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of createSql.matchAll(CHECK_IN)) {
    const values = [...m[2]!.matchAll(/'((?:[^']|'')*)'/g)].map((v) => v[1]!.replace(/''/g, "'"));
    out.set(unquote(m[1]!).toLowerCase(), values);
  }
  return out;
}

export class SqliteIntrospector implements DialectIntrospector {
  constructor(
    private readonly file: string,
    private readonly redacted: string,
  ) {}

  async introspect(options: IntrospectOptions): Promise<DatabaseSchema> {
    if (!existsSync(this.file)) {
      throw connectFailed(
        Object.assign(new Error(`${this.file} does not exist`), { code: 'SQLITE_CANTOPEN' }),
        this.redacted,
        this.redacted,
      );
    }
    const mod = (await import('better-sqlite3')) as unknown as {
      default: new (file: string, options: object) => Handle;
    };
    let db: Handle;
    try {
      db = new mod.default(this.file, { readonly: true, fileMustExist: true });
      db.prepare('SELECT count(*) FROM sqlite_master').all();
    } catch (error) {
      throw connectFailed(error, this.redacted, this.redacted);
    }
    try {
      return this.read(db, options);
    } catch (error) {
      throw introspectionFailed(error, this.redacted, this.redacted);
    } finally {
      db.close();
    }
  }

  private read(db: Handle, options: IntrospectOptions): DatabaseSchema {
    const filter = nameFilter(options, (schema) => schema === 'main');
    const objects = db
      .prepare(
        `SELECT type, name, sql FROM sqlite_master
         WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`,
      )
      .all() as Array<{ type: string; name: string; sql: string | null }>;
    let shadowOrVirtual = new Set<string>();
    try {
      shadowOrVirtual = new Set(
        (
          db
            .prepare(
              `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('shadow', 'virtual')`,
            )
            .all() as Array<{ name: string }>
        ).map((r) => r.name),
      );
    } catch {
      /* pragma table_list needs SQLite 3.37 */
    }
    const xinfo = db.prepare('SELECT * FROM pragma_table_xinfo(?)');
    const fkList = db.prepare('SELECT * FROM pragma_foreign_key_list(?)');
    const tables: TableInfo[] = [];
    const skipped: DatabaseSchema['skipped'] = [];
    if (filter.schema('main')) {
      for (const o of objects) {
        const isView = o.type === 'view';
        if (isView && options.views === false) continue;
        if (!filter.table('main', o.name)) continue;
        if (shadowOrVirtual.has(o.name) || /^\s*CREATE\s+VIRTUAL\b/i.test(o.sql ?? '')) {
          skipped.push({ schema: 'main', name: o.name, reason: 'virtual or shadow table' });
          continue;
        }
        const rows = xinfo.all(o.name) as XInfoRow[];
        const enums = sqliteCheckEnums(o.sql ?? '');
        const pkRows = rows.filter((r) => r.pk > 0).sort((a, b) => a.pk - b.pk);
        const withoutRowid = /\bWITHOUT\s+ROWID\b/i.test(o.sql ?? '');
        const rowidAlias =
          !isView && !withoutRowid && pkRows.length === 1 && pkRows[0]!.type.toUpperCase() === 'INTEGER'
            ? pkRows[0]!.name
            : undefined;
        const columns: ColumnInfo[] = rows
          .filter((r) => r.hidden !== 1)
          .map((r) => {
            const { kind, precision } = sqliteKind(r.type);
            const generated = r.hidden === 2 || r.hidden === 3;
            const enumValues = enums.get(r.name.toLowerCase());
            const maxLength = /CHAR\s*\(\s*(\d+)\s*\)/i.exec(r.type)?.[1];
            return {
              name: r.name,
              dataType: r.type,
              kind,
              ...(precision ? { precision } : {}),
              nullable: r.notnull === 0 && r.name !== rowidAlias,
              ...(r.dflt_value !== null && !generated ? { default: r.dflt_value } : {}),
              generated,
              autoIncrement: r.name === rowidAlias,
              ...(enumValues ? { enumValues } : {}),
              ...(maxLength && kind === 'string' ? { maxLength: Number(maxLength) } : {}),
            };
          });
        const fks = new Map<number, ForeignKeyInfo>();
        if (!isView) {
          for (const f of (fkList.all(o.name) as FkRow[]).sort((a, b) => a.id - b.id || a.seq - b.seq)) {
            const fk = fks.get(f.id) ?? {
              columns: [],
              referencedSchema: 'main',
              referencedTable: f.table,
              referencedColumns: [],
              onUpdate: f.on_update,
              onDelete: f.on_delete,
            };
            fk.columns.push(f.from);
            fk.referencedColumns.push(f.to ?? '');
            fks.set(f.id, fk);
          }
          // REFERENCES t without a column list means t's primary key
          for (const fk of fks.values()) {
            if (fk.referencedColumns.some((c) => c === '')) {
              const target = (xinfo.all(fk.referencedTable) as XInfoRow[])
                .filter((r) => r.pk > 0)
                .sort((a, b) => a.pk - b.pk)
                .map((r) => r.name);
              if (target.length === fk.columns.length) fk.referencedColumns = target;
            }
          }
        }
        tables.push({
          schema: 'main',
          name: o.name,
          type: isView ? 'view' : 'table',
          columns,
          primaryKey: isView ? [] : pkRows.map((r) => r.name),
          foreignKeys: [...fks.values()],
        });
      }
    }
    const version = (db.prepare('SELECT sqlite_version() AS v').all()[0] as { v: string }).v;
    return {
      dialect: 'sqlite',
      kind: 'sqlite',
      database: basename(this.file, extname(this.file)),
      defaultSchema: 'main',
      serverVersion: version,
      tables,
      skipped,
    };
  }
}
