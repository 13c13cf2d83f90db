/**
 * Least privilege on the real PostgreSQL and MariaDB, checked by effect: the generated role script and
 * --create-role give a role that reads exactly the imported tables (hostile names included), cannot write
 * (read-only) or can only INSERT/UPDATE/DELETE them (--writes), cannot read the table left out; the importer
 * flags superusers, owners and over-granted users; `create --db --create-role` keeps the password out of its
 * output and stores it only as the server's secret variable.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../../src/core/errors/index.js';
import { importDatabase } from '../../src/sources/database/index.js';
import { nativePasswordHash, scramVerifier } from '../../src/sources/database/role-sql.js';
import { runCli } from '../../src/surfaces/cli/main.js';
import { newClient, textOf } from '../helpers/mcp.js';
import { REQUIRE_SERVICES, serviceGate } from '../helpers/services.js';
import { type Fixture, HOSTILE, mariadbFixture, pgFixture, SECRET_TABLE } from './fixtures.js';

const roleName = () => `mcpf_r_${randomBytes(4).toString('hex')}`;

interface Dialect {
  kind: 'postgresql' | 'mariadb';
  make: (url: string) => Promise<Fixture>;
  gate: ReturnType<typeof serviceGate>;
  /** Qualified, quoted name of a fixture table. */
  t: (fx: Fixture, name: string) => string;
  /** Give the script's locked role a password and return its URL. */
  unlock: (fx: Fixture, role: string, password: string) => Promise<string>;
  drop: (fx: Fixture, role: string) => Promise<void>;
}

const urlAs = (base: string, user: string, password: string) => {
  const u = new URL(base);
  u.username = user;
  u.password = password;
  return u.toString();
};

const DIALECTS: Dialect[] = [
  {
    kind: 'postgresql',
    make: pgFixture,
    gate: serviceGate('MCP_FACTORY_TEST_PG_URL', 'PostgreSQL'),
    t: (fx, n) => `"${fx.schema}"."${n.replaceAll('"', '""')}"`,
    unlock: async (fx, role, password) => {
      await fx.exec(`ALTER ROLE "${role}" LOGIN PASSWORD '${password}'`);
      return urlAs(fx.url, role, password);
    },
    drop: async (fx, role) => {
      await fx.exec(`DROP OWNED BY "${role}"; DROP ROLE IF EXISTS "${role}"`).catch(() => undefined);
    },
  },
  {
    kind: 'mariadb',
    make: mariadbFixture,
    gate: serviceGate('MCP_FACTORY_TEST_MYSQL_URL', 'MariaDB'),
    t: (fx, n) => `\`${fx.schema}\`.\`${n.replaceAll('`', '``')}\``,
    unlock: async (fx, role, password) => {
      await fx.exec(`ALTER USER '${role}'@'%' IDENTIFIED BY '${password}' ACCOUNT UNLOCK`);
      return urlAs(fx.url, role, password);
    },
    drop: async (fx, role) => {
      await fx.exec(`DROP USER IF EXISTS '${role}'@'%'`).catch(() => undefined);
    },
  },
];

for (const d of DIALECTS) {
  if (d.gate.missing) {
    const why = d.gate.missing;
    if (REQUIRE_SERVICES) it(`${d.kind}: required service is configured`, () => expect.fail(why));
    else it.skip(`${d.kind}: ${why}`, () => undefined);
    continue;
  }
  describe(`${d.kind}: least privilege`, () => {
    let fx: Fixture;
    const roles: string[] = [];
    const role = () => {
      const r = roleName();
      roles.push(r);
      return r;
    };
    const denied = async (url: string, sql: string) => {
      const outcome = await fx.as(url, sql).then(
        () => 'allowed',
        (e: { message?: string }) => String(e.message),
      );
      expect(outcome, sql).toMatch(/denied|read-only|must be owner|permission/i);
    };

    beforeAll(async () => {
      fx = await d.make(d.gate.url!);
    }, 60_000);
    afterAll(async () => {
      for (const r of roles) await d.drop(fx, r);
      await fx?.close();
    });

    it('the generated script grants SELECT on exactly the imported tables, hostile names included', async () => {
      const r = role();
      const imported = await importDatabase(fx.url, { ...fx.filter, roleName: r });
      expect(imported.report.role).toEqual({ name: r, file: 'db/readonly-role.sql', created: false });
      await fx.exec(imported.files['db/readonly-role.sql']!);
      // Locked until the operator sets a password: the script alone opens no login.
      await expect(fx.as(urlAs(fx.url, r, ''), 'SELECT 1')).rejects.toThrow();
      const url = await d.unlock(fx, r, `pw${randomBytes(8).toString('hex')}`);
      expect(await fx.as(url, `SELECT label FROM ${d.t(fx, 'big')} ORDER BY id`)).toHaveLength(2);
      expect(await fx.as(url, `SELECT * FROM ${d.t(fx, HOSTILE)}`)).toHaveLength(1);
      await denied(url, `SELECT * FROM ${d.t(fx, SECRET_TABLE)}`);
      await denied(url, `INSERT INTO ${d.t(fx, 'big')} (id, label) VALUES (1, 'x')`);
      await denied(url, `DELETE FROM ${d.t(fx, HOSTILE)}`);
      await denied(url, `DROP TABLE ${d.t(fx, 'big')}`);
      expect(await fx.as(fx.url, `SELECT count(*) AS n FROM ${d.t(fx, 'big')}`)).toEqual([
        { n: d.kind === 'postgresql' ? '2' : 2 },
      ]);
      // Importing as that role: nothing to warn about.
      const again = await importDatabase(url, { ...fx.filter, roleName: r });
      expect(again.report.notices.filter((n) => n.code === 'DB_PRIVILEGED_USER')).toEqual([]);
      // One grant more (a table the server does not import, which its query tool could read): flagged.
      await fx.exec(
        `GRANT SELECT ON ${d.t(fx, SECRET_TABLE)} TO ${d.kind === 'postgresql' ? `"${r}"` : `'${r}'@'%'`}`,
      );
      const wider = await importDatabase(url, { ...fx.filter, roleName: r });
      const flagged = wider.report.notices.find((n) => n.code === 'DB_PRIVILEGED_USER');
      expect(flagged?.message).toMatch(/not imported .*other_secret/);
      expect(flagged?.hint).toMatch(/--create-role/);
    });

    it('--create-role with writes: INSERT/UPDATE/DELETE on the imported tables only; flagged when used read-only', async () => {
      const r = role();
      const imported = await importDatabase(fx.url, {
        ...fx.filter,
        writes: true,
        roleName: r,
        createRole: true,
      });
      const created = imported.createdRole!;
      expect(created.role).toBe(r);
      expect(imported.report.role).toEqual({ name: r, file: 'db/readonly-role.sql', created: true });
      const password = new URL(created.url).password;
      expect(password.length).toBeGreaterThanOrEqual(24);
      expect(created.redacted).not.toContain(password);
      expect(JSON.stringify(imported.report)).not.toContain(password);
      await fx.as(created.url, `INSERT INTO ${d.t(fx, 'big')} (id, label) VALUES (5, 'five')`);
      await fx.as(created.url, `DELETE FROM ${d.t(fx, 'big')} WHERE id = 5`);
      // The hostile table's key is serial/AUTO_INCREMENT: inserting needs the sequence grant (parsed, re-quoted).
      const col = d.kind === 'postgresql' ? '"Имя"' : '`Имя`';
      await fx.as(created.url, `INSERT INTO ${d.t(fx, HOSTILE)} (${col}) VALUES ('new')`);
      await fx.as(created.url, `DELETE FROM ${d.t(fx, HOSTILE)} WHERE ${col} = 'new'`);
      await denied(created.url, `SELECT * FROM ${d.t(fx, SECRET_TABLE)}`);
      await denied(created.url, `DROP TABLE ${d.t(fx, 'big')}`);
      if (d.kind === 'postgresql') await denied(created.url, `TRUNCATE ${d.t(fx, 'big')}`);
      const asWriter = await importDatabase(created.url, { ...fx.filter, writes: true, roleName: r });
      expect(asWriter.report.notices.filter((n) => n.code === 'DB_PRIVILEGED_USER')).toEqual([]);
      // The same role for a read-only server holds more than it needs.
      const asReader = await importDatabase(created.url, { ...fx.filter, roleName: r });
      const flagged = asReader.report.notices.find((n) => n.code === 'DB_PRIVILEGED_USER');
      expect(flagged?.message).toMatch(/INSERT/);
      // The name is taken now: a clear error, and the existing role keeps working.
      const again = await importDatabase(fx.url, { ...fx.filter, roleName: r, createRole: true }).catch(
        (e) => e,
      );
      expect(again).toBeInstanceOf(FactoryError);
      expect((again as FactoryError).code).toBe('DB_ROLE_FAILED');
      expect(await fx.as(created.url, `SELECT count(*) AS n FROM ${d.t(fx, 'big')}`)).toHaveLength(1);
    });

    it('refuses role names that would need quoting', async () => {
      for (const bad of ['x"; DROP ROLE postgres; --', "x'@'%", 'Admin', '']) {
        const e = await importDatabase(fx.url, { ...fx.filter, roleName: bad }).catch((x) => x);
        expect((e as FactoryError).code, bad).toBe('DB_ROLE_FAILED');
      }
    });

    it('sends a password hash the server computes the same way (no plain password in any statement)', async () => {
      const r = role();
      const password = `pw-${randomBytes(6).toString('hex')}`;
      if (d.kind === 'postgresql') {
        await fx.exec(`SET password_encryption = 'scram-sha-256'; CREATE ROLE "${r}" PASSWORD '${password}'`);
        const [row] = (await fx.as(
          fx.url,
          `SELECT rolpassword AS v FROM pg_authid WHERE rolname = '${r}'`,
        )) as Array<{
          v: string;
        }>;
        const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(row!.v)!;
        expect(scramVerifier(password, Buffer.from(m[2]!, 'base64'), Number(m[1]))).toBe(row!.v);
      } else {
        const [row] = (await fx.as(fx.url, `SELECT PASSWORD('${password}') AS v`)) as Array<{ v: string }>;
        expect(nativePasswordHash(password)).toBe(row!.v);
      }
    });

    if (d.kind === 'postgresql')
      it('flags a connection that owns an imported table', async () => {
        const owner = role();
        const password = `pw${randomBytes(8).toString('hex')}`;
        await fx.exec(
          `CREATE ROLE "${owner}" LOGIN PASSWORD '${password}'; GRANT USAGE ON SCHEMA "${fx.schema}" TO "${owner}";
           ALTER TABLE ${d.t(fx, '顧客')} OWNER TO "${owner}";`,
        );
        const imported = await importDatabase(urlAs(fx.url, owner, password), {
          includeSchemas: [fx.schema],
          includeTables: ['顧客'],
        });
        const flagged = imported.report.notices.find((n) => n.code === 'DB_PRIVILEGED_USER');
        expect(flagged?.message).toMatch(/owns .*顧客/);
        expect(flagged?.message).not.toMatch(/superuser/);
      });

    it('create --register --create-role: the password goes only to the factory secret store', async () => {
      const r = role();
      const home = mkdtempSync(join(tmpdir(), 'mcpf-dbsrc-home-'));
      try {
        let out = '';
        let err = '';
        const tables = ['big', HOSTILE].map((t) => (d.kind === 'postgresql' ? `${fx.schema}.${t}` : t));
        const code = await runCli(
          [
            'create',
            '--db',
            fx.url,
            '--create-role',
            r,
            '--name',
            `${r.replaceAll('_', '-')}-srv`,
            '--register',
            '--home',
            home,
            '--no-typecheck',
            '--no-tests',
            '--tables',
            ...tables,
          ],
          {
            stdout: (x) => {
              out += x;
            },
            stderr: (x) => {
              err += x;
            },
            isTTY: false,
          },
        );
        expect(code, err).toBe(0);
        const file = join(home, 'secrets', `${r.replaceAll('_', '-')}-srv.env`);
        const url = JSON.parse(/^DATABASE_URL=(.*)$/m.exec(readFileSync(file, 'utf8'))![1]!) as string;
        expect(new URL(url).username).toBe(r);
        expect(statSync(file).mode & 0o777).toBe(0o600);
        expect(out + err).not.toContain(new URL(url).password);
        expect(await fx.as(url, `SELECT label FROM ${d.t(fx, 'big')}`)).not.toHaveLength(0);
        // The registered project carries the role script too, and nothing in it holds the password.
        const projectDir = /at (\S+)\n/.exec(err)![1]!;
        const script = readFileSync(join(projectDir, 'db/readonly-role.sql'), 'utf8');
        expect(script).toContain(r);
        expect(readFileSync(join(projectDir, 'README.md'), 'utf8')).toContain('db/readonly-role.sql');
        expect(script + readFileSync(join(projectDir, 'mcp-spec.json'), 'utf8')).not.toContain(
          new URL(url).password,
        );
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    }, 300_000);

    it('create --db --create-role: the server connects as the role; the password is only in .env (0600)', async () => {
      const r = role();
      const work = mkdtempSync(join(tmpdir(), 'mcpf-dbsrc-cli-'));
      try {
        let out = '';
        let err = '';
        const outDir = join(work, 'srv');
        const args = [
          'create',
          '--db',
          fx.url,
          '--create-role',
          r,
          '--out',
          outDir,
          '--no-typecheck',
          '--no-tests',
        ];
        // Everything but the secret table; PostgreSQL also the unpopulated materialized view (create used to exit 4).
        const tables = ['big', HOSTILE, '顧客', ...(d.kind === 'postgresql' ? ['mv_unpopulated'] : [])];
        args.push('--tables', ...tables.map((t) => (d.kind === 'postgresql' ? `${fx.schema}.${t}` : t)));
        const code = await runCli(args, {
          stdout: (s) => {
            out += s;
          },
          stderr: (s) => {
            err += s;
          },
          isTTY: false,
        });
        expect(code, err).toBe(0);
        const env = readFileSync(join(outDir, '.env'), 'utf8');
        const url = JSON.parse(/^DATABASE_URL=(.*)$/m.exec(env)![1]!) as string;
        const password = new URL(url).password;
        expect(new URL(url).username).toBe(r);
        expect(statSync(join(outDir, '.env')).mode & 0o777).toBe(0o600);
        expect(out + err).not.toContain(password);
        expect(err).toContain(`created role ${r}`);
        for (const f of ['mcp-spec.json', 'README.md', 'SKILL.md', 'db/readonly-role.sql'])
          expect(readFileSync(join(outDir, f), 'utf8')).not.toContain(password);
        // The generated server, started with that .env, reads as the role.
        const client = newClient('2026-07-28');
        await client.connect(
          new StdioClientTransport({
            command: process.execPath,
            args: [join(outDir, 'dist/server.mjs'), '--transport', 'stdio'],
            env: { ...(process.env as Record<string, string>), LOG_LEVEL: 'warn', DATABASE_URL: url },
            stderr: 'inherit',
          }),
        );
        try {
          const list = (await client.listTools()).tools.find(
            (t) => t.title?.endsWith('big') && t.name.includes('list_'),
          )!;
          const rows = await client.callTool({ name: list.name, arguments: {} });
          expect(rows.isError, textOf(rows)).toBeFalsy();
          expect((rows.structuredContent as { rows: unknown[] }).rows.length).toBeGreaterThan(0);
          const query = await client.callTool({
            name: (await client.listTools()).tools.find((t) => t.name.endsWith('query'))!.name,
            arguments: { sql: `SELECT * FROM ${d.t(fx, SECRET_TABLE)}` },
          });
          expect(query.isError, JSON.stringify(query)).toBe(true); // the ad-hoc query tool cannot reach the table left out either
        } finally {
          await client.close();
        }
        await denied(url, `SELECT * FROM ${d.t(fx, SECRET_TABLE)}`);
        expect(await fx.as(url, `SELECT label FROM ${d.t(fx, 'big')}`)).not.toHaveLength(0);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }, 300_000);
  });
}
