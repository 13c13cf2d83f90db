/**
 * One end-to-end suite for every dialect: Chinook (+ fixtures) → introspect → spec → validateSpec →
 * createServerProject (generated tests against the database) → SDK v2 client calls checked against direct SQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../../src/build/create.js';
import { analyzeSql, type ServerSpec, validateSpec } from '../../../src/core/spec/index.js';
import {
  type ImportDatabaseResult,
  importDatabase,
  introspect,
  quoteIdent,
  type TableInfo,
} from '../../../src/sources/database/index.js';
import { connectStdio, textOf } from '../../helpers/mcp.js';
import { HOSTILE_TABLE, type Kind, type LoadedDatabase } from './fixtures.js';

const CHINOOK = [
  'album',
  'artist',
  'customer',
  'employee',
  'genre',
  'invoice',
  'invoice_line',
  'media_type',
  'playlist',
  'playlist_track',
  'track',
];

type Rows = Array<Record<string, unknown>>;

export function chinookSuite(kind: Kind, load: (work: string) => Promise<LoadedDatabase>): void {
  describe(`${kind}: Chinook → spec → server`, () => {
    let work: string;
    let db: LoadedDatabase;
    let imported: ImportDatabaseResult;
    let spec: ServerSpec;
    let client: Client | undefined;
    const timings: Record<string, number> = {};
    const dialect = kind === 'mariadb' ? 'mysql' : kind;
    const q = (name: string) => quoteIdent(dialect, name);

    const table = (name: string): TableInfo => {
      const t = imported.schema.tables.find((x) => x.name === db.n(name));
      if (!t) throw new Error(`no table ${db.n(name)}`);
      return t;
    };
    const column = (tableName: string, name: string) => {
      const c = table(tableName).columns.find((x) => x.name === db.n(name));
      if (!c) throw new Error(`no column ${db.n(name)}`);
      return c;
    };
    const call = async (name: string, args: Record<string, unknown> = {}) => {
      if (!client) throw new Error('the server was not created');
      return client.callTool({ name, arguments: args });
    };
    const structured = async (name: string, args: Record<string, unknown> = {}) => {
      const res = await call(name, args);
      if (res.isError) throw new Error(`${name} failed: ${textOf(res)}`);
      return res.structuredContent as {
        rows?: Rows;
        nextCursor?: string;
        result?: Record<string, unknown> | null;
      };
    };
    const tool = (name: string) => {
      const t = spec.tools.find((x) => x.name === name);
      if (!t) throw new Error(`no tool ${name}`);
      return t;
    };
    const ids = (rows: Rows, key: string) => rows.map((r) => Number(r[key]));

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), `mcpf-dbimport-${kind}-`));
      let t0 = performance.now();
      db = await load(work);
      timings.load = performance.now() - t0;
      t0 = performance.now();
      imported = await importDatabase(db.url, {
        writes: true,
        excludeSchemas: ['mcpf_other'],
        query: { timeoutMs: 1000 },
      });
      timings.import = performance.now() - t0;
    });

    afterAll(async () => {
      await client?.close();
      await db?.close();
      rmSync(work, { recursive: true, force: true });
      process.stderr.write(
        `[${kind}] ${Object.entries(timings)
          .map(([k, v]) => `${k} ${Math.round(v)} ms`)
          .join(', ')}\n`,
      );
    });

    it('introspects tables, views, keys, types, nullability, enums, comments and generated columns', () => {
      const names = imported.schema.tables.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(CHINOOK.map(db.n)));
      expect(names).toEqual(
        expect.arrayContaining([db.n('review'), db.n('artist_album_count'), HOSTILE_TABLE]),
      );
      expect(imported.schema.kind).toBe(kind);

      const track = table('track');
      expect(track.type).toBe('table');
      expect(track.primaryKey).toEqual([db.n('track_id')]);
      expect(
        track.foreignKeys
          .map((f) => ({ columns: f.columns, table: f.referencedTable, refs: f.referencedColumns }))
          .sort((a, b) => String(a.columns[0]).localeCompare(String(b.columns[0]))),
      ).toEqual(
        ['album', 'genre', 'media_type'].map((t) => ({
          columns: [db.n(`${t}_id`)],
          table: db.n(t),
          refs: [db.n(`${t}_id`)],
        })),
      );
      expect(table('playlist_track').primaryKey).toEqual([db.n('playlist_id'), db.n('track_id')]);
      expect(column('artist', 'name')).toMatchObject({ kind: 'string', nullable: true });
      expect(column('track', 'name')).toMatchObject({ kind: 'string', nullable: false });
      expect(column('track', 'milliseconds')).toMatchObject({ kind: 'integer', nullable: false });
      expect(column('track', 'unit_price')).toMatchObject({ kind: 'number', precision: 'decimal' });
      expect(column('invoice', 'invoice_date')).toMatchObject({ kind: 'datetime', nullable: false });
      expect(column('track', 'name').maxLength).toBe(200);

      const review = table('review');
      expect(review.primaryKey).toEqual([db.n('review_id')]);
      expect(column('review', 'review_id').autoIncrement).toBe(true);
      expect(column('review', 'mood')).toMatchObject({
        kind: 'string',
        nullable: false,
        enumValues: ['happy', 'sad', "it's complicated"],
      });
      expect(column('review', 'mood').default).toMatch(/happy/);
      expect(column('review', 'body_length').generated).toBe(true);
      expect(column('review', 'big')).toMatchObject({ kind: 'integer', precision: 'bigint' });
      expect(column('review', 'data').kind).toBe('json');
      expect(column('review', 'raw').kind).toBe('binary');
      expect(column('review', 'day').kind).toBe('date');
      expect(column('review', 'flag').kind).toBe('boolean');
      expect(column('review', 'created_at')).toMatchObject({ kind: 'datetime', nullable: false });
      expect(column('review', 'created_at').default).toBeDefined();
      if (kind === 'postgresql') expect(column('review', 'uid').kind).toBe('uuid');
      if (kind !== 'sqlite') {
        expect(review.comment).toBe('Listener reviews');
        expect(column('review', 'stars').comment).toBe('One to five');
      }
      expect(review.foreignKeys.map((f) => f.referencedTable)).toEqual([db.n('track')]);

      const view = table('artist_album_count');
      expect(view).toMatchObject({ type: 'view', primaryKey: [], foreignKeys: [] });
      expect(view.columns.map((c) => c.name)).toEqual([db.n('artist_id'), db.n('name'), db.n('albums')]);
      if (kind === 'postgresql') expect(view.comment).toBe('Albums per artist');

      const hostile = imported.schema.tables.find((t) => t.name === HOSTILE_TABLE)!;
      expect(hostile.columns.map((c) => c.name)).toEqual(
        expect.arrayContaining(['id', 'a"b', 'x; DROP TABLE y', 'sort', '1st', 'a b', 'a_b']),
      );
    });

    it('applies include/exclude filters (names and globs)', async () => {
      const some = await introspect(db.url, { includeTables: ['art*'], excludeSchemas: ['mcpf_other'] });
      expect(some.tables.map((t) => t.name).sort()).toEqual(
        [db.n('artist'), db.n('artist_album_count')].sort(),
      );
      const noViews = await introspect(db.url, {
        includeTables: ['art*'],
        views: false,
        excludeSchemas: ['mcpf_other'],
      });
      expect(noViews.tables.map((t) => t.name)).toEqual([db.n('artist')]);
      const excluded = await introspect(db.url, { excludeTables: ['*track*', 'review', HOSTILE_TABLE] });
      expect(excluded.tables.map((t) => t.name)).not.toContain(db.n('track'));
      expect(excluded.tables.map((t) => t.name)).not.toContain(db.n('playlist_track'));
      if (kind === 'postgresql') {
        const all = await introspect(db.url, { includeTables: ['artist'] });
        expect(all.tables.map((t) => `${t.schema}.${t.name}`).sort()).toEqual([
          'mcpf_other.artist',
          'public.artist',
        ]);
        const other = await introspect(db.url, { includeTables: ['mcpf_other.*'] });
        expect(other.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(['mcpf_other.artist']);
        // Same table name in two schemas: tool names carry the schema.
        const both = await importDatabase(db.url, { includeTables: ['artist'] });
        expect(both.spec.tools?.map((t) => t.name)).toEqual(
          expect.arrayContaining(['list_mcpf_other_artist', 'list_public_artist']),
        );
        expect(both.spec.tools?.find((t) => t.name === 'list_mcpf_other_artist')?.sql?.statement).toContain(
          '"mcpf_other"."artist"',
        );
      }
      await expect(importDatabase(db.url, { excludeTables: ['*'] })).rejects.toMatchObject({
        code: 'DB_NOTHING_TO_IMPORT',
      });
    });

    it('maps to a valid spec with allow-listed, quoted identifiers and bound values only', () => {
      expect(imported.report.issues).toEqual([]);
      const result = validateSpec(imported.spec);
      expect(result.issues).toEqual([]);
      spec = result.spec!;
      const names = spec.tools.map((t) => t.name);
      for (const t of CHINOOK) expect(names).toEqual(expect.arrayContaining([`list_${t}`, `get_${t}`]));
      expect(names).toEqual(
        expect.arrayContaining([
          'search_artist',
          'list_artist_album_count',
          'search_artist_album_count',
          'query',
          'create_artist',
          'update_artist',
          'delete_artist',
          'list_we_ird_drop_table_artist',
          'get_we_ird_drop_table_artist',
        ]),
      );
      expect(names).not.toContain('get_artist_album_count');
      expect(names).not.toContain('create_artist_album_count');
      expect(names).not.toContain('search_invoice_line'); // no text columns
      expect(tool('get_artist').annotations).toMatchObject({ readOnly: true, destructive: false });
      expect(tool('delete_artist').annotations).toMatchObject({ destructive: true, idempotent: true });
      expect(tool('update_artist').annotations).toMatchObject({ destructive: true, idempotent: true });
      expect(tool('create_artist').annotations).toMatchObject({ destructive: false, idempotent: false });
      expect(spec.connections.map((c) => c.name)).toEqual(['db', 'db_write']);
      expect(spec.connections[0]).toMatchObject({ readOnly: true });
      expect(tool('list_track').parameters.sort?.enum).toEqual(table('track').columns.map((c) => c.name));
      expect(tool('list_track').parameters.direction?.enum).toEqual(['asc', 'desc']);
      expect(tool('list_review').parameters[db.n('mood')]?.enum).toEqual([
        'happy',
        'sad',
        "it's complicated",
      ]);

      // Every quoted identifier in every statement names an introspected schema, table or column.
      const allowed = new Set(
        imported.schema.tables.flatMap((t) => [t.schema, t.name, ...t.columns.map((c) => c.name)]),
      );
      const quoted = dialect === 'mysql' ? /`((?:[^`]|``)*)`/g : /"((?:[^"]|"")*)"/g;
      for (const t of spec.tools) {
        if (!t.sql) continue;
        const analysis = analyzeSql(t.sql.statement);
        expect(analysis.multipleStatements, t.name).toBe(false);
        expect(analysis.unterminated, t.name).toBeUndefined();
        for (const p of analysis.placeholders) expect(Object.keys(t.parameters), t.name).toContain(p.name);
        const withoutLiterals = t.sql.statement.replace(/'(?:[^']|'')*'/g, "''");
        for (const m of withoutLiterals.matchAll(quoted)) {
          const ident = m[1]!.replace(dialect === 'mysql' ? /``/g : /""/g, dialect === 'mysql' ? '`' : '"');
          if (kind === 'postgresql' && ident === 'mood') continue; // the enum type in CAST(… AS "public"."mood")
          expect(allowed.has(ident), `${t.name}: ${ident}`).toBe(true);
        }
      }
      const hostile = tool('list_we_ird_drop_table_artist').sql!.statement;
      expect(hostile).toContain(q(HOSTILE_TABLE));
      expect(hostile).toContain(q('x; DROP TABLE y'));
      expect(hostile).toContain(q('a"b'));
      const params = Object.keys(tool('list_we_ird_drop_table_artist').parameters);
      expect(params).toEqual(
        expect.arrayContaining(['id', 'a_b', 'x_DROP_TABLE_y', 'sort_2', 'c_1st', 'a_b_2']),
      );
      expect(imported.report.renamed).toEqual(
        expect.arrayContaining([
          { table: HOSTILE_TABLE, column: 'x; DROP TABLE y', parameter: 'x_DROP_TABLE_y' },
        ]),
      );
    });

    it('creates a server whose generated tests pass against the database', async () => {
      const t0 = performance.now();
      const result = await createServerProject({
        spec,
        specDir: work,
        outDir: join(work, 'server'),
        testEnv: db.env,
        onProgress: (e) => {
          if (e.status === 'done') timings[`step:${e.step}`] = e.ms;
        },
      });
      timings.create = performance.now() - t0;
      expect(result.tests?.failed).toBe(0);
      client = await connectStdio(result.bundle.file, '2026-07-28', db.env);
    });

    it('gets, lists with filters and searches real Chinook rows', async () => {
      const artist = (await structured('get_artist', { [db.n('artist_id')]: 1 })).result!;
      expect(artist[db.n('name')]).toBe('AC/DC');
      expect((await structured('get_artist', { [db.n('artist_id')]: 999_999 })).result).toBeNull();
      expect(
        (await structured('get_playlist_track', { [db.n('playlist_id')]: 1, [db.n('track_id')]: 3402 }))
          .result,
      ).toEqual({ [db.n('playlist_id')]: 1, [db.n('track_id')]: 3402 });

      const aero = await structured('list_artist', { [db.n('name')]: 'Aerosmith' });
      expect(aero.rows).toEqual([{ [db.n('artist_id')]: 3, [db.n('name')]: 'Aerosmith' }]);
      const albums = await structured('list_album', { [db.n('artist_id')]: 1 });
      expect(albums.rows?.map((r) => r[db.n('title')])).toEqual([
        'For Those About To Rock We Salute You',
        'Let There Be Rock',
      ]);

      const big = await structured('list_invoice', { [`${db.n('total')}_min`]: 20, limit: 100 });
      const direct = await db.query(
        `SELECT ${q(db.n('invoice_id'))} AS id FROM ${q(db.n('invoice'))} WHERE ${q(db.n('total'))} >= 20 ORDER BY ${q(db.n('invoice_id'))}`,
      );
      expect(ids(big.rows!, db.n('invoice_id'))).toEqual(ids(direct, 'id'));
      expect(direct.length).toBeGreaterThan(0);

      const [{ d } = { d: undefined }] = await db.query(
        `SELECT MAX(${q(db.n('invoice_date'))}) AS d FROM ${q(db.n('invoice'))}`,
      );
      const year = String(d instanceof Date ? d.toISOString() : d).slice(0, 4);
      const late = await structured('list_invoice', {
        [`${db.n('invoice_date')}_min`]: `${year}-01-01`,
        limit: 1000,
      });
      const lateDirect = await db.query(
        `SELECT COUNT(*) AS n FROM ${q(db.n('invoice'))} WHERE ${q(db.n('invoice_date'))} >= ${kind === 'postgresql' ? '$1' : '?'}`,
        [`${year}-01-01`],
      );
      expect(late.rows?.length).toBe(Number(lateDirect[0]?.n));

      const found = await structured('search_artist', { query: 'ac/dc' });
      expect(found.rows?.map((r) => r[db.n('name')])).toContain('AC/DC');
      const rock = await structured('search_track', { query: 'Rock', limit: 1000 });
      const rockDirect = await db.query(
        `SELECT COUNT(*) AS n FROM ${q(db.n('track'))} WHERE LOWER(${q(db.n('name'))}) LIKE '%rock%' OR LOWER(${q(db.n('composer'))}) LIKE '%rock%'`,
      );
      expect(rock.rows?.length).toBe(Number(rockDirect[0]?.n));
      // % and _ are matched literally, not as wildcards.
      const instr = kind === 'postgresql' ? 'strpos' : 'instr';
      const percent = await db.query(
        `SELECT ${q(db.n('track_id'))} AS id FROM ${q(db.n('track'))} WHERE ${instr}(${q(db.n('name'))}, '%') > 0 OR ${instr}(${q(db.n('composer'))}, '%') > 0 ORDER BY 1`,
      );
      expect(ids(percent, 'id')).toEqual([2242, 3166]);
      expect(ids((await structured('search_track', { query: '%' })).rows!, db.n('track_id'))).toEqual([
        2242, 3166,
      ]);
      expect(ids((await structured('search_track', { query: '0%' })).rows!, db.n('track_id'))).toEqual([
        2242,
      ]);
      const underscore = await structured('search_customer', { query: '_', limit: 1000 });
      for (const row of underscore.rows ?? [])
        expect(Object.values(row).some((v) => typeof v === 'string' && v.includes('_'))).toBe(true);

      const reviewIds = async (args: Record<string, unknown>) =>
        ids((await structured('list_review', args)).rows!, db.n('review_id'));
      expect(await reviewIds({ [db.n('flag')]: true })).toEqual([1]);
      expect(await reviewIds({ [db.n('mood')]: "it's complicated" })).toEqual([2]);
      expect(await reviewIds({ [db.n('day')]: '2024-02-29' })).toEqual([1]);
      expect((await call('list_review', { [db.n('mood')]: 'angry' })).isError).toBe(true);
      if (kind === 'postgresql') {
        // char(n): the parameter is cast to bpchar, never to char(1) (which would truncate 'abc' to 'a').
        expect(await reviewIds({ code: 'abc' })).toEqual([1]);
        expect(await reviewIds({ code: 'a' })).toEqual([2]);
        expect(await reviewIds({ code: 'abcd' })).toEqual([]);
      }

      const view = await structured('list_artist_album_count', { [db.n('artist_id')]: 1 });
      // COUNT(*) is a bigint: PostgreSQL's driver returns it as a string.
      expect(
        view.rows?.map((r) => [r[db.n('artist_id')], r[db.n('name')], Number(r[db.n('albums')])]),
      ).toEqual([[1, 'AC/DC', 2]]);
    });

    it('sorts by every allowed column in both directions and rejects anything else', async () => {
      const list = tool('list_track');
      const sortable = list.parameters.sort!.enum as string[];
      expect(sortable.length).toBe(9);
      const pk = q(db.n('track_id'));
      for (const sort of sortable) {
        for (const direction of ['asc', 'desc'] as const) {
          const page = await structured('list_track', { sort, direction, limit: 25 });
          const direct = await db.query(
            // Keyset pages: the primary-key tiebreak follows the direction (desc is the exact reverse of asc).
            `SELECT ${pk} AS id FROM ${q(db.n('track'))} ORDER BY ${q(sort)} ${direction.toUpperCase()}, ${pk} ${direction.toUpperCase()} LIMIT 25`,
          );
          expect(ids(page.rows!, db.n('track_id')), `${sort} ${direction}`).toEqual(ids(direct, 'id'));
        }
      }
      for (const args of [
        { sort: 'nope' },
        { sort: `${db.n('name')}; DROP TABLE ${db.n('track')}` },
        { sort: db.n('name'), direction: 'sideways' },
      ]) {
        const res = await call('list_track', args);
        expect(res.isError, JSON.stringify(args)).toBe(true);
      }
      expect(Number((await db.query(`SELECT COUNT(*) AS n FROM ${q(db.n('track'))}`))[0]?.n)).toBe(3503);
    });

    it('walks every row with pagination cursors, also under a non-unique sort', async () => {
      const walk = async (name: string, args: Record<string, unknown>, key: string) => {
        const out: number[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await structured(name, { ...args, ...(cursor ? { cursor } : {}) });
          out.push(...ids(page.rows!, key));
          cursor = page.nextCursor;
          pages++;
        } while (cursor && pages < 100);
        return { out, pages };
      };
      const invoices = await walk('list_invoice', { limit: 100 }, db.n('invoice_id'));
      expect(invoices.pages).toBe(5);
      expect(invoices.out).toEqual(Array.from({ length: 412 }, (_, i) => i + 1));

      const tracks = await walk(
        'list_track',
        { sort: db.n('genre_id'), direction: 'desc', limit: 1000 },
        db.n('track_id'),
      );
      const pk = q(db.n('track_id'));
      const direct = await db.query(
        `SELECT ${pk} AS id FROM ${q(db.n('track'))} ORDER BY ${q(db.n('genre_id'))} DESC, ${pk} DESC`,
      );
      expect(tracks.pages).toBe(4);
      expect(new Set(tracks.out).size).toBe(3503);
      expect(tracks.out).toEqual(ids(direct, 'id'));

      const defaultPage = await structured('list_track');
      expect(defaultPage.rows?.length).toBe(50);
      expect(defaultPage.nextCursor).toBeDefined();
    });

    it('creates, updates and deletes rows through the write tools', async () => {
      const id = db.n('artist_id');
      const name = db.n('name');
      const hostileName = "O'Reilly; DROP TABLE artist; --";
      const created = await call('create_artist', { [id]: 9001, [name]: hostileName });
      expect(created.isError, textOf(created)).toBeFalsy();
      expect((created.structuredContent as { result: Record<string, unknown> }).result).toEqual({
        [id]: 9001,
        [name]: hostileName,
      });
      const updated = await structured('update_artist', { [id]: 9001, [name]: 'Renamed' });
      const missing = await structured('update_artist', { [id]: 424_242, [name]: 'x' });
      if (kind === 'mariadb') {
        // MariaDB has no UPDATE … RETURNING: the tool reports affected rows.
        expect(updated).toEqual({ affectedRows: 1 });
        expect(missing).toEqual({ affectedRows: 0 });
      } else {
        expect(updated.result).toEqual({ [id]: 9001, [name]: 'Renamed' });
        expect(missing.result).toBeNull();
      }
      expect((await structured('get_artist', { [id]: 9001 })).result).toEqual({
        [id]: 9001,
        [name]: 'Renamed',
      });
      expect(await structured('delete_artist', { [id]: 9001 })).toEqual({ affectedRows: 1 });
      expect(await structured('delete_artist', { [id]: 9001 })).toEqual({ affectedRows: 0 });
      expect((await structured('get_artist', { [id]: 9001 })).result).toBeNull();

      // Defaults and generated keys: mood falls back to its default, the key and timestamp come from the database.
      const review = (await structured('create_review', { [db.n('track_id')]: 5, [db.n('body')]: 'Nice' }))
        .result!;
      expect(review[db.n('mood')]).toBe('happy');
      expect(Number(review[db.n('review_id')])).toBeGreaterThan(2);
      expect(review[db.n('created_at')]).toBeTruthy();
      const rejected = await call('create_review', { [db.n('track_id')]: 5, [db.n('mood')]: 'bad' });
      expect(rejected.isError).toBe(true);
      expect(Number((await db.query(`SELECT COUNT(*) AS n FROM ${q(db.n('artist'))}`))[0]?.n)).toBe(275);
    });

    it('serves the table with hostile identifiers', async () => {
      const all = await structured('list_we_ird_drop_table_artist');
      expect(all.rows?.map((r) => r.id)).toEqual([1, 2]);
      expect(all.rows?.[0]).toMatchObject({
        'a"b': 'quote',
        'x; DROP TABLE y': 'semi',
        sort: 'zzz',
        '1st': 7,
      });
      const filtered = await structured('list_we_ird_drop_table_artist', { x_DROP_TABLE_y: 'semi' });
      expect(filtered.rows?.map((r) => r.id)).toEqual([1]);
      for (const sort of tool('list_we_ird_drop_table_artist').parameters.sort!.enum as string[]) {
        const asc = await structured('list_we_ird_drop_table_artist', { sort, direction: 'asc' });
        expect(asc.rows?.length, sort).toBe(2);
      }
      const bySort = await structured('list_we_ird_drop_table_artist', { sort: 'sort_2', direction: 'asc' });
      expect(bySort.rows?.map((r) => r.id)).toEqual([2, 1]);
      expect((await structured('get_we_ird_drop_table_artist', { id: 1 })).result).toMatchObject({
        'a b': 'space',
      });
      expect(
        (await structured('search_we_ird_drop_table_artist', { query: 'quote' })).rows?.map((r) => r.id),
      ).toEqual([1]);
      expect((await db.query(`SELECT COUNT(*) AS n FROM ${q(HOSTILE_TABLE)}`))[0]?.n).toBeTruthy();
    });

    it('query tool: runs one read-only statement and refuses everything else', async () => {
      const ph = kind === 'postgresql' ? '$1' : '?';
      const ok = await call('query', {
        sql: `SELECT ${q(db.n('name'))} FROM ${q(db.n('artist'))} WHERE ${q(db.n('artist_id'))} = ${ph}`,
        params: [1],
      });
      expect(ok.isError, textOf(ok)).toBeFalsy();
      expect(ok.structuredContent).toMatchObject({ rows: [{ [db.n('name')]: 'AC/DC' }] });
      const many = await call('query', { sql: `SELECT * FROM ${q(db.n('track'))}` });
      expect((many.structuredContent as { rows: Rows; truncated: boolean }).rows.length).toBe(1000);
      expect((many.structuredContent as { truncated: boolean }).truncated).toBe(true);

      const artist = q(db.n('artist'));
      const refused: Array<[string, RegExp]> = [
        [`COMMIT; DROP TABLE ${artist}`, /one statement|read-only/i],
        [`SELECT 1; DELETE FROM ${artist}`, /one statement/i],
        ['SELECT 1 -- x', /comment/i],
        ['SELECT /* */ 1', /comment/i],
        [`DELETE FROM ${artist}`, /read-only/i],
        [`UPDATE ${artist} SET ${q(db.n('name'))} = 'x'`, /read-only/i],
        [`DROP TABLE ${q(HOSTILE_TABLE)}`, /read-only/i],
      ];
      if (kind === 'postgresql') {
        // A writable CTE passes the first-word check; the read-only transaction stops it.
        refused.push([`WITH d AS (DELETE FROM ${artist} RETURNING *) SELECT count(*) FROM d`, /read-only/i]);
        // Sleep functions are refused by the guard's allow-list; a long query with allowed ones hits the timeout.
        refused.push(['SELECT pg_sleep(10)', /allow-list/i]);
        refused.push(['SELECT count(*) FROM generate_series(1, 10000000000)', /timeout|cancel/i]);
      }
      if (kind === 'mariadb') {
        refused.push(['SELECT SLEEP(10)', /allow-list/i]);
        const track = q(db.n('track'));
        refused.push([
          `SELECT COUNT(*) FROM ${track} a, ${track} b, ${track} c`,
          /timeout|interrupt|max_statement_time/i,
        ]);
      }
      for (const [sql, reason] of refused) {
        const t0 = performance.now();
        const res = await call('query', { sql });
        expect(res.isError, `${sql}: ${textOf(res)}`).toBe(true);
        expect(textOf(res), sql).toMatch(reason);
        expect(performance.now() - t0, sql).toBeLessThan(8000);
      }
      expect(Number((await db.query(`SELECT COUNT(*) AS n FROM ${artist}`))[0]?.n)).toBe(275);
      expect((await db.query(`SELECT COUNT(*) AS n FROM ${q(HOSTILE_TABLE)}`))[0]?.n).toBeTruthy();
    });
  });
}
