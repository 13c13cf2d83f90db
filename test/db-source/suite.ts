/**
 * One live suite per dialect: the hostile fixture → importDatabase → a real generated server (bundled, over
 * stdio) → checked by effect: the tool names, what the descriptions carry, the rows a 64-bit key reaches, and
 * the least-privilege files of the project.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerProject } from '../../src/build/create.js';
import { connectToProject, runAllCases } from '../../src/build/verify/cases.js';
import { validateSpec } from '../../src/core/spec/index.js';
import { type ImportDatabaseResult, importDatabase } from '../../src/sources/database/index.js';
import { newClient, textOf } from '../helpers/mcp.js';
import { BIG, type Fixture, HOSTILE, INJECTED, LONG_A, LONG_B } from './fixtures.js';

type Row = Record<string, unknown>;

export function liveSuite(kind: Fixture['kind'], make: () => Promise<Fixture>): void {
  describe(`${kind}: hostile schema → server`, () => {
    let fx: Fixture;
    let work: string;
    let imported: ImportDatabaseResult;
    let outDir: string;
    let client: Client;
    const call = async (name: string, args: Row = {}) => {
      const res = await client.callTool({ name, arguments: args });
      return res.isError ? { error: textOf(res) } : ((res.structuredContent ?? {}) as Row);
    };
    const spec = () => imported.spec;
    const toolTitled = (title: string) => {
      const t = spec().tools!.find((x) => x.title === title);
      if (!t)
        throw new Error(
          `no tool titled ${title}: ${spec()
            .tools!.map((x) => x.title)
            .join(', ')}`,
        );
      return t;
    };
    const label = (name: string) => (kind === 'postgresql' ? `${fx.schema}.${name}` : name);

    beforeAll(async () => {
      fx = await make();
      work = mkdtempSync(join(tmpdir(), `mcpf-dbsrc-${kind}-`));
      imported = await importDatabase(fx.url, { ...fx.filter, writes: true });
      const checked = validateSpec(imported.spec);
      if (!checked.spec) throw new Error(JSON.stringify(checked.issues));
      outDir = join(work, 'server');
      await createServerProject({
        spec: checked.spec,
        specDir: work,
        outDir,
        typecheck: false,
        runTests: false,
        extraFiles: imported.files,
      });
      const env: Record<string, string> =
        kind === 'sqlite' ? { DATABASE_PATH: fx.url.slice('sqlite:'.length) } : { DATABASE_URL: fx.url };
      client = newClient('2026-07-28');
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [join(outDir, 'dist/server.mjs'), '--transport', 'stdio'],
          env: { ...(process.env as Record<string, string>), LOG_LEVEL: 'warn', ...env },
          stderr: 'inherit',
        }),
      );
    }, 120_000);

    afterAll(async () => {
      await client?.close();
      await fx?.close();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('keeps every tool name within 64 characters, unique, transliterated or hashed, originals in titles', async () => {
      const names = spec().tools!.map((t) => t.name);
      for (const n of names) expect(n.length, n).toBeLessThanOrEqual(64);
      expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
      expect(toolTitled(`List ${label('Заказы')}`).name).toMatch(/^(?:[a-z0-9_]+_)?list_zakazy$/);
      const cjk = [toolTitled(`List ${label('顧客')}`).name, toolTitled(`List ${label('注文')}`).name];
      for (const n of cjk) expect(n).toMatch(/_[0-9a-f]{6}$/);
      expect(cjk[0]).not.toBe(cjk[1]);
      const longs = [toolTitled(`Search ${label(LONG_A)}`).name, toolTitled(`Search ${label(LONG_B)}`).name];
      expect(longs[0]).not.toBe(longs[1]);
      for (const n of longs) expect(n.length).toBeLessThanOrEqual(64);
      // What the server publishes is what the spec says: the names a client sees.
      const listed = (await client.listTools()).tools.map((t) => t.name);
      expect(listed.sort()).toEqual([...names].sort());
      const hostile = toolTitled(`List ${label(HOSTILE)}`);
      const params = Object.keys(hostile.parameters!);
      expect(params).toEqual(expect.arrayContaining(['Imya']));
      expect(params.some((p) => /^column_[0-9a-f]{6}$/.test(p))).toBe(true);
      const rows = (await call(hostile.name)) as { rows?: Row[] };
      expect(rows.rows).toEqual([expect.objectContaining({ Имя: 'Иван', 名前: '太郎', 'a"b;--': 'q' })]);
    });

    it('leaves instruction-like comments and links out of every description', async () => {
      const published = JSON.stringify((await client.listTools()).tools);
      expect(published).not.toContain(INJECTED.slice(0, 30));
      expect(published).not.toContain('evil.example');
      if (kind === 'sqlite') return; // SQLite has no comments
      expect(published).toContain('Given name');
      const untrusted = imported.report.notices.filter((n) => n.code === 'DB_UNTRUSTED_TEXT');
      expect(untrusted.map((n) => n.message).join('\n')).toMatch(/comment on table/);
      expect(untrusted.map((n) => n.message).join('\n')).toMatch(/comment on column "Имя"/);
    });

    it('passes every planned test case of the generated project (what its own tests call)', async () => {
      const env = {
        ...process.env,
        ...(kind === 'sqlite' ? { DATABASE_PATH: fx.url.slice('sqlite:'.length) } : { DATABASE_URL: fx.url }),
      };
      const session = await connectToProject(outDir, { env });
      try {
        const outcomes = await runAllCases(outDir, session, env);
        const failed = outcomes.filter((o) => o.status === 'failed');
        expect(failed.map((o) => `${o.case.tool}: ${o.reason}`)).toEqual([]);
        const passed = outcomes.filter((o) => o.status === 'passed').map((o) => o.case.tool);
        expect(passed).toEqual(expect.arrayContaining([toolTitled(`Get ${label('big')}`).name]));
        expect(passed.length).toBeGreaterThan(10);
      } finally {
        await session.close();
      }
    });

    it('reaches a 64-bit key past 2^53 exactly in get_, list_, update_ and delete_', async () => {
      const get = toolTitled(`Get ${label('big')}`);
      expect(get.parameters!.id).toMatchObject({ type: 'string', pattern: '^-?[0-9]{1,20}$' });
      const one = (await call(get.name, { id: BIG })) as { result?: Row | null };
      expect(one.result).toMatchObject({ label: 'two53+1' });
      expect(String(one.result!.id)).toBe(BIG);
      const other = (await call(get.name, { id: '9007199254740992' })) as { result?: Row | null };
      expect(other.result).toMatchObject({ label: 'two53' });
      // A JSON number cannot carry 2^53+1: refused instead of silently reading the neighbour.
      expect(await call(get.name, { id: Number(BIG) })).toHaveProperty('error');
      const list = (await call(toolTitled(`List ${label('big')}`).name)) as { rows?: Row[] };
      expect(list.rows!.map((r) => String(r.id)).sort()).toEqual(['9007199254740992', BIG]);
      const filtered = (await call(toolTitled(`List ${label('big')}`).name, { id: BIG })) as { rows?: Row[] };
      expect(filtered.rows!.map((r) => String(r.id))).toEqual([BIG]);
      await call(toolTitled(`Update ${label('big')}`).name, { id: BIG, label: 'changed' });
      expect((await call(get.name, { id: BIG })) as Row).toMatchObject({ result: { label: 'changed' } });
      expect((await call(get.name, { id: '9007199254740992' })) as Row).toMatchObject({
        result: { label: 'two53' },
      });
      await call(toolTitled(`Delete ${label('big')}`).name, { id: BIG });
      expect(((await call(get.name, { id: BIG })) as Row).result).toBeNull();
      expect(((await call(get.name, { id: '9007199254740992' })) as Row).result).toMatchObject({
        label: 'two53',
      });
    });

    it('ships the least-privilege role script and points README and SKILL.md at it', () => {
      const file = join(outDir, 'db/readonly-role.sql');
      const readme = readFileSync(join(outDir, 'README.md'), 'utf8');
      const skill = readFileSync(join(outDir, 'SKILL.md'), 'utf8');
      if (kind === 'sqlite') {
        expect(existsSync(file)).toBe(false);
        expect(readme).not.toContain('readonly-role.sql');
        expect(imported.report.notices.filter((n) => n.code === 'DB_PRIVILEGED_USER')).toEqual([]);
        return;
      }
      const script = readFileSync(file, 'utf8');
      expect(readme).toContain('db/readonly-role.sql');
      expect(skill).toContain('db/readonly-role.sql');
      expect(script).not.toContain('other_secret');
      expect(script).not.toMatch(/PASSWORD '(?!<)/); // no password in the file
      // The connection is a superuser/root: reported with a code and a hint.
      const privileged = imported.report.notices.find((n) => n.code === 'DB_PRIVILEGED_USER');
      expect(privileged?.message).toMatch(/superuser|SUPER/);
      expect(privileged?.hint).toContain('readonly-role.sql');
    });

    if (kind === 'postgresql')
      it('skips a materialized view that was never populated, with a report entry', () => {
        expect(imported.report.skipped).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              table: `${fx.schema}.mv_unpopulated`,
              reason: expect.stringMatching(/not populated/),
            }),
          ]),
        );
        expect(JSON.stringify(spec().tools)).not.toContain('mv_unpopulated');
      });
  });
}
